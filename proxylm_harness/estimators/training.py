"""Fit a predictor on every row of a problem and save it as an artifact (what ``proxylm-harness train`` does)."""

from __future__ import annotations

from ..records.regression_problems import Problem
from .artifacts import PredictorArtifact, save_artifact, validation_summary
from .folds import CALIBRATIONS, calibration_groups
from .predictor import ProxyPredictor

__all__ = ["fit_problem", "proxy_provenance", "train_artifact"]

_SETTINGS = {
    "ft": {"fine_tuned": True, "n_shot": None},
    "noft": {"fine_tuned": False, "n_shot": 0},
    "scratch": {"fine_tuned": True, "n_shot": None, "trained_from_scratch": True},
}


def proxy_provenance(problem: Problem) -> dict:
    """How each proxy score among the features was produced, for the manifest."""
    out = {}
    for column in problem.spec.proxies:
        model, _, setting = column.rpartition("_")
        out[column] = {"model": model, "setting": setting, **_SETTINGS.get(setting, {}),
                       "task": problem.dataset, "task_version": None, "source": "records"}
    return out


def fit_problem(problem: Problem, predictor_params: dict | None = None, calibration: str = "languages") -> ProxyPredictor:
    """A ``ProxyPredictor`` fitted on every row of ``problem``."""
    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {CALIBRATIONS}. Got {calibration!r} instead.")
    predictor = ProxyPredictor(**(predictor_params or {}))
    rows = list(range(len(problem)))
    return predictor.fit(problem.X, problem.y, groups=calibration_groups(problem, calibration, rows))


def train_artifact(problem: Problem, out, *, records_sha256: str, predictor_params: dict | None = None,
                   calibration: str = "languages", overwrite: bool = False) -> PredictorArtifact:
    """Fit on all of ``problem`` and write the predictor folder ``out``."""
    predictor = fit_problem(problem, predictor_params, calibration)
    return save_artifact(
        predictor, problem.spec, out, dataset=problem.dataset, target=problem.target,
        records_sha256=records_sha256, validation=validation_summary(predictor, problem.y),
        provenance=proxy_provenance(problem), calibration=calibration, overwrite=overwrite,
    )
