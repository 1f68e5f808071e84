"""Records: the store of every known score (lm-eval results files, ProxyLM's record files, the plugin's own runs),
ProxyLM's record files as one validated table, the regression problems made from it, and rows to estimate.

``RecordsStore().add(paths)`` imports results files and record files; ``.matrix()`` gives models x cells with
model factors. ``load_records(path)`` reads any of the four ProxyLM layouts; ``make_problem(records, dataset, target,
metric)`` gives the rows, features and target one predictor fits. To read another record layout, add a ``Layout``
to ``layouts.LAYOUTS``; to treat another record dataset, add a ``DatasetSetup`` to ``regression_problems.DATASETS``.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "layouts": ["LAYOUTS", "Layout", "RecordsError", "RecordsWarning", "SCORE_RANGES", "SE_RANGE", "UNIT_KEY",
                "detect_layout", "score_range"],
    "reader": ["load_records"],
    "table": ["Records"],
    "regression_problems": ["DATASETS", "DatasetSetup", "M2M100_UNSEEN", "Problem", "ProblemError", "make_problem",
                            "problem_keys"],
    "rows_to_estimate": ["InputError", "iter_rows", "read_rows"],
    "store": ["RecordsStore", "StoreWarning", "default_store_path"],
    "store_import": ["ImportReport"],
    "store_views": ["RecordsMatrix", "cell_label"],
    "results_files": ["read_results_file"],
    "model_factors": ["ModelRef", "family_from_name", "params_from_name"],
    "fetch": ["fetch_records"],
})
