"""proxylm-eval's stages: plan (tasks, languages, checks) -> run proxies -> choose and run the target cells -> fit
and apply -> report, with one small class per mode (estimate only, alongside, measure).

``estimate(target, tasks)`` is the one-call API; ``Pipeline`` runs the stages with any ``ModelRunner`` (lm-eval's
by default). To add a mode, subclass ``modes.Mode`` and answer its questions (checks, target tasks, the predictor).
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "request": ["EstimationError", "Request"],
    "plan": ["FamilyPlan", "Plan", "make_plan"],
    "predictors": ["FittedPredictor", "check_predictor", "predictor_for", "proxy_column"],
    "runs": ["LmEvalRunner", "ModelRunner", "RunLog", "run_proxies", "run_target"],
    "modes": ["Alongside", "EstimateOnly", "FamilyWork", "Measure", "Mode"],
    "estimates": ["Estimate", "apply_predictor", "feature_rows"],
    "stages": ["EstimationReport", "Pipeline"],
    "report": ["estimate_table", "plot_task_estimates", "results_dict", "write_results"],
    "api": ["estimate", "make_mode", "run_pipeline", "task_manager_for"],
})
