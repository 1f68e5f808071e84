"""Backtests: ProxyLM's evaluation protocols, scoring a predictor under them, ProxyLM's published errors, the suite.

``run_benchmark(BenchmarkConfig(records=...))`` runs every protocol on every (dataset, target, metric) the
records hold and compares with ProxyLM's RMSE. To add a protocol, write ``fn(problem, seeds, datasets) ->
list[Split]`` in ``protocols`` and decorate it with ``@register_protocol("name")``; the suite and
``proxylm-harness evaluate --protocol name`` then run it.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "protocols": ["DEFAULT_SEEDS", "INCREMENTAL_PORTIONS", "PROTOCOLS", "Split", "get_protocol", "protocol_names",
                  "register_protocol"],
    "scoring": ["Outcome", "evaluate_split", "summarize"],
    "references": ["UPSTREAM_COMMIT", "reference_cells", "reference_rmse"],
    "suite": ["BenchmarkConfig", "run_benchmark"],
    "report": ["markdown_table", "replace_markdown_section", "update_results_markdown", "write_rows"],
    "plots": ["plot_benchmark", "plot_estimates"],
})
