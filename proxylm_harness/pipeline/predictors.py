"""Which predictor serves a task family: a given folder, a shipped one, or one trained from the records; and the one
type every fitted predictor takes in the pipeline, whatever its origin."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .. import _paths
from ..families import TaskFamily
from ..features.documents import DOCUMENT_FEATURES
from ..features.spec import FeatureSpec
from ..lm_eval_bridge.proxies import ModelSpec, default_proxies, target_record_name
from .request import EstimationError, Request

__all__ = ["FittedPredictor", "check_predictor", "predictor_for", "proxy_column"]

log = logging.getLogger(__name__)


@dataclass
class FittedPredictor:
    """A fitted predictor as the pipeline uses it: its feature spec, the estimator, and what the results file says of it.

    Build one with :meth:`from_artifact` (a predictor folder) or :meth:`from_measured` (fitted on this run's
    measured tasks); the writer only reads ``report``.
    """

    spec: FeatureSpec
    predictor: object
    report: dict

    def apply(self, work, names, estimates: dict, coverage) -> None:
        """Estimate the family's tasks ``names`` (those with every proxy's score) into ``estimates``."""
        from .estimates import apply_predictor

        apply_predictor(self, work.rows.loc[names], work.plan, estimates, coverage)

    @classmethod
    def from_artifact(cls, artifact, family: TaskFamily) -> "FittedPredictor":
        manifest = artifact.manifest
        return cls(artifact.spec, artifact.predictor, {
            "id": artifact.id, "directory": str(artifact.directory), "target": manifest["target"],
            "features": artifact.spec.columns,
            "validation": {"rmse": manifest["validation"]["rmse"] / family.scale,
                           "mae": (manifest["validation"]["mae"] / family.scale
                                   if manifest["validation"].get("mae") is not None else None),
                           "coverage": manifest["validation"].get("coverage"),
                           "calibration": manifest["validation"].get("calibration")}})

    @classmethod
    def from_measured(cls, spec: FeatureSpec, predictor, family: TaskFamily, fitted_on: list,
                      records_rows: int) -> "FittedPredictor":
        residuals, folds = predictor.residuals_, len(predictor.fold_models_)
        return cls(spec, predictor, {
            "id": "fitted-on-measured-tasks", "fitted_on": fitted_on, "records_rows": records_rows,
            "features": spec.columns,
            "validation": {"rmse": float((residuals ** 2).mean() ** 0.5) / family.scale,
                           "mae": float(abs(residuals).mean()) / family.scale,
                           "method": "leave-one-out" if folds == len(residuals) else f"{folds}-fold cross-validation"}})


def proxy_column(record_name: str, num_fewshot: int | None) -> str:
    """The feature column of a proxy run: ``small100_noft`` zero-shot, ``small100_5shot`` with five shots."""
    return f"{record_name}_noft" if not num_fewshot else f"{record_name}_{num_fewshot}shot"


def predictor_for(request: Request, family: TaskFamily, num_fewshot):
    """The predictor folder for ``family``: ``--predictor PATH``, else a shipped one, else one trained from the records."""
    from ..estimators.artifacts import ArtifactError, load_artifact

    if request.predictor != "auto":
        try:
            return load_artifact(request.predictor)
        except ArtifactError as error:
            raise EstimationError(str(error)) from error
    artifact = _find_predictor(request.target, family) or _train_from_records(request, family)
    if artifact is not None:
        return artifact
    folder = _paths.predictors_dir()
    shipped = sorted(p.parent.name for p in folder.glob("*/manifest.json")) if folder.is_dir() else []
    raise EstimationError(
        f"No predictor for target {request.target!r} on {family.name} tasks ({family.records_metric}): none in "
        f"{folder} ({', '.join(shipped) or 'empty'}), and the records store ({', '.join(request.records) or 'not given'}) holds "
        f"no rows of this target produced as lm-eval runs produce them (zero-shot proxies: ProxyLM's records have them "
        "only for M2M100 and NLLB on translation, in spBLEU). "
        "Hint: use --measure K (runs the target on K languages and fits a predictor on them), or pass "
        "--predictor DIR trained with `proxylm-harness train`.")


def _find_predictor(target: str, family: TaskFamily):
    """The first predictor folder in ``predictors_dir()`` for (target, family, metric); broken folders are skipped."""
    from ..estimators.artifacts import ArtifactError, load_artifact

    record_name = target_record_name(target) or target
    folder = _paths.predictors_dir()
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.iterdir()):
        if not (candidate / "manifest.json").is_file():
            continue
        try:
            artifact = load_artifact(candidate)
        except ArtifactError as error:
            log.warning("skipping the broken predictor folder %s: %s", candidate, error)
            continue
        if (artifact.target, artifact.task_family, artifact.metric) == (record_name, family.name,
                                                                          family.records_metric):
            return artifact
    return None


def _train_from_records(request: Request, family: TaskFamily):
    """A zero-shot predictor trained from the records store for this target, or None where it holds no such rows.

    Trained once per records version into ``<cache root>/predictors/`` and reused from there.
    """
    from ..estimators.artifacts import ArtifactError, load_artifact
    from ..estimators.training import train_artifact
    from ..records.reader import load_records
    from ..records.regression_problems import make_problem

    record_target, setting = target_record_name(request.target), family.zero_shot_records
    if record_target is None or setting is None or setting.metric != family.records_metric:
        return None
    if not request.records or not all(Path(p).exists() for p in request.records):
        return None
    records = load_records(list(request.records))
    folder = _paths.trained_predictors_dir() / (
        f"{record_target}-zeroshot-{family.name}-{family.records_metric}-{records.fingerprint()[:12]}")
    if (folder / "manifest.json").is_file():
        try:
            return load_artifact(folder)
        except ArtifactError:
            pass  # trained again below
    try:
        problem = make_problem(records, setting.dataset, record_target, family.records_metric, target_setting="noft",
                               proxies=setting.proxy_columns, dataset_features=False, typology_source="urielplus",
                               keys=("source_lang", "target_lang"))
    except ValueError:
        return None
    log.warning("training a zero-shot predictor for %s from %s into %s", record_target, ", ".join(request.records),
                folder)
    return train_artifact(problem, folder, records_sha256=records.fingerprint(), overwrite=True)


def check_predictor(artifact, family: TaskFamily, num_fewshot, proxies) -> list[ModelSpec]:
    """The proxies whose runs feed ``artifact``; refuses a predictor that cannot apply to lm-eval runs."""
    where = f"Predictor {artifact.id} ({artifact.directory})"
    if artifact.task_family != family.name:
        raise EstimationError(f"{where} estimates {artifact.task_family} tasks, not {family.name} tasks. "
                              f"Hint: pass a {family.name} predictor, or --predictor auto.")
    if artifact.metric != family.records_metric:
        raise EstimationError(f"{where} estimates {artifact.metric}, but {family.name} tasks are reported in "
                              f"{family.records_metric}. Hint: pass a predictor trained on that metric.")
    spec: FeatureSpec = artifact.spec
    wanted = proxy_column("", num_fewshot)[1:]
    provenance = artifact.manifest.get("proxies", {})
    available = {p.record_name: p for p in (proxies or default_proxies(family))}
    chosen = []
    for column in spec.proxies:
        info = provenance.get(column, {})
        model, setting = info.get("model", column.rpartition("_")[0]), info.get("setting", column.rpartition("_")[2])
        if info.get("fine_tuned") or setting != wanted:
            how = "fine-tuned" if info.get("fine_tuned") else f"'{setting}'"
            raise EstimationError(
                f"{where} was trained on {how} scores of proxy {model!r} (feature {column!r}), but proxylm-eval runs "
                f"pretrained proxies {'zero-shot' if wanted == 'noft' else wanted} through lm-eval, so its estimates "
                f"would not apply. What would match: a predictor whose proxy features are '{model}_{wanted}' "
                f"(e.g. `proxylm-harness train ... --proxies {model}_{wanted} --target-setting noft "
                "--no-dataset-features --typology-source urielplus`), or --measure K, which fits one on this run.")
        if model not in available:
            known = ", ".join(sorted(available)) or "none"
            raise EstimationError(f"{where} needs proxy {model!r} (feature {column!r}), which is not among the proxies "
                                  f"to run ({known}). Hint: add it to --proxies, e.g. --proxies {model}=PATH.")
        chosen.append(available[model])
    if spec.typology and spec.typology_source != "urielplus":
        raise EstimationError(f"{where} reads URIEL distances from record columns; proxylm-eval computes them with "
                              "URIEL+. Hint: train it with --typology-source urielplus.")
    foreign = [c for c in spec.dataset_features if c not in DOCUMENT_FEATURES]
    if foreign:
        raise EstimationError(f"{where} uses dataset features {foreign}, which cannot be computed from lm-eval task "
                              f"documents (those that can: {list(DOCUMENT_FEATURES)}). Hint: train it with "
                              "--no-dataset-features.")
    return chosen
