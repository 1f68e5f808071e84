"""Estimators: the regressors, the cross-fitted collaborative key encoder, folds and intervals, metrics, the fitted
predictor (``ProxyPredictor``) and its artifacts (a folder with a manifest and model files, no pickle).

``completion`` (a subpackage) completes a model's row of the records' models x cells matrix:
``complete(matrix, target)``. ``train_artifact(problem, folder)`` fits a predictor on a problem and saves it;
``load_artifact(folder)`` reads one back. To add a regressor, subclass ``regressors.base.ProxyRegressor`` and decorate it with
``@register_regressor("name")`` (see ``estimators.regressors``); ``ProxyPredictor(regressor="name")`` then uses it.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "regressors": ["DEFAULT_REGRESSOR", "REGRESSORS", "get_regressor", "load_regressor", "regressor_class",
                   "regressor_names", "register_regressor", "save_regressor"],
    "key_encoder": ["CollaborativeEncoder"],
    "folds": ["CALIBRATIONS", "auto_splits", "calibration_groups", "cv_splits", "fold_assignment"],
    "intervals": ["cv_plus"],
    "metrics": ["coverage", "kendall", "mae", "mean_width", "rmse", "score_estimates", "spearman"],
    "predictor": ["ProxyPredictor"],
    "artifacts": ["ArtifactError", "FORMAT", "FORMAT_VERSION", "PredictorArtifact", "load_artifact", "save_artifact",
                  "validation_summary"],
    "training": ["fit_problem", "proxy_provenance", "train_artifact"],
    "completion": ["CompletionResult", "complete"],
})
