"""Completion: a model's missing scores in the records' models x cells matrix, from the other models' scores (CPP's
collaborative filtering), the proxies' scores in the same cells (ProxyLM), the models' factors and the cells'
features, with conformal intervals, a warning when the target looks stronger than every known model, active
choice of the cells to measure, and exact Shapley values of the factor groups.

``complete(store.matrix(), "bigscience/bloom-7b1")`` returns a ``CompletionResult``; every estimator has one
interface (``fit(scores, factors, cell_features, target)``, ``predict()``, see ``base``).

How to add an estimator: subclass ``base.CompletionEstimator`` (``__init__`` only stores parameters; ``_fit(Y,
factors, cell_features, t)`` sets ``pred_``), and register it with ``@register_completion_estimator("name")`` (for a
built-in, list it in ``base._BUILT_IN`` so its name is known before its module is imported). ``complete(...,
estimator="name")``, ``proxylm-harness complete`` and the benchmark then take the name; to have the default use
it, add it to ``stack.default_members``.
"""

from ..._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "base": ["BASELINES", "COMPLETION_ESTIMATORS", "CompletionError", "CompletionEstimator", "DEFAULT_ESTIMATOR",
             "check_problem", "completion_estimator_names", "get_completion_estimator",
             "register_completion_estimator"],
    "baselines": ["CellMeanOffset", "FamilyLogSize", "NearestModel", "RidgeOnModels", "ZScoreALS"],
    "gaussian": ["ConditionalGaussian", "FactorPrior", "cg_consensus", "cg_factor", "cg_full"],
    "collaborative": ["FactorMF", "FactorNCF"],
    "proxy_boost": ["FACTOR_GROUPS", "ProxyBoost"],
    "validation": ["conformal_quantile", "simulate", "strongest_flag"],
    "stack": ["StackedCompletion", "default_members"],
    "conformal": ["ConformalCompletion", "default_estimator"],
    "active": ["choose_cells"],
    "shapley": ["factor_shapley", "shapley_values"],
    "api": ["CompletionResult", "OUTPUT_COLUMNS", "complete", "completion_problem", "unit_matrix"],
})
