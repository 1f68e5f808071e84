"""Backtests: ProxyLM's evaluation protocols, scoring a predictor under them, ProxyLM's published errors, the suite.

``run_benchmark(BenchmarkConfig(records=...))`` runs every protocol on every (dataset, target, metric) the
records hold and compares with ProxyLM's RMSE. To add a protocol, write ``fn(problem, seeds, datasets) ->
list[Split]`` in ``protocols`` and decorate it with ``@register_protocol("name")``; the suite and
``proxylm-harness evaluate --protocol name`` then run it. Completion has its own protocol, reveal-K (``reveal_k``:
hide a model's row but K cells, complete it, score it), run by ``run_completion_benchmark``; to score another
completion estimator there, register it (``estimators.completion``) and add its name to ``completion_suite.METHODS``.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "protocols": ["DEFAULT_SEEDS", "INCREMENTAL_PORTIONS", "PROTOCOLS", "Split", "get_protocol", "protocol_names",
                  "register_protocol"],
    "scoring": ["Outcome", "evaluate_split", "summarize"],
    "references": ["UPSTREAM_COMMIT", "reference_cells", "reference_rmse"],
    "suite": ["BenchmarkConfig", "run_benchmark"],
    "report": ["markdown_table", "replace_markdown_section", "update_results_markdown", "write_rows"],
    "plots": ["plot_benchmark", "plot_completed_row", "plot_estimates"],
    "reveal_k": ["KS", "POOLS", "PROXY_MAX_PARAMS", "RevealProblem", "reveal_problems"],
    "completion_suite": ["CompletionBenchmarkConfig", "run_completion_benchmark"],
    "completion_report": ["completion_markdown", "plot_completion"],
})
