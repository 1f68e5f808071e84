"""What ``proxylm-eval`` does between parsing flags and writing results: tasks -> proxy runs -> features -> estimates.

Every check that can fail without running a model (task metadata, language codes, the predictor's
family, metric, proxies and features) runs before the first model is loaded.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .artifact import ArtifactError, PredictorArtifact, load_artifact
from .cache import ResultCache
from .document_features import DOCUMENT_FEATURES, document_features
from .features import FeatureSpec
from .predictor import ProxyPredictor
from .proxies import ModelSpec, default_proxies, target_record_name
from .proxy_runs import ModelRunError, RunSettings, TaskRun, run_model
from .task_metadata import TaskLanguages, TaskMetadataError, leaf_task_names, task_languages
from .typology import DISTANCE_KINDS

__all__ = ["FAMILY_METRICS", "EstimationError", "Estimate", "EstimationReport", "Request", "estimate_tasks",
           "predictor_dir"]

log = logging.getLogger(__name__)

#: family -> (records metric name, lm-eval metric key, scale: records value = lm-eval value * scale)
FAMILY_METRICS = {
    "translation": ("spBLEU", "spbleu", 1.0),
    "intent": ("accuracy", "acc", 100.0),
    "slot": ("F1", "slot_f1", 100.0),
}
#: The range of each lm-eval metric; estimates and interval bounds are clipped to it.
METRIC_RANGE = {"spbleu": (0.0, 100.0), "acc": (0.0, 1.0), "slot_f1": (0.0, 1.0)}
#: Record datasets whose zero-shot columns match lm-eval runs of pretrained proxies, per task family:
#: (dataset, metric, zero-shot proxy columns).
_ZERO_SHOT_RECORDS = {"translation": ("mt560", "spBLEU", ("small100_noft",))}
#: Where shipped predictors live: ``predictors/`` beside the package.
PREDICTORS_DIR = Path(__file__).resolve().parents[1] / "predictors"


class EstimationError(ValueError):
    """A request proxylm-eval cannot serve; the message names the task, model or predictor and the fix."""


@dataclass
class Request:
    """One proxylm-eval invocation, after lm-eval's own flags were parsed."""

    tasks: list
    target: str
    target_model_args: dict = field(default_factory=dict)
    proxies: list[ModelSpec] | None = None
    predictor: str = "auto"
    mode: str = "estimate"  # estimate | alongside | measure
    measure: int = 0
    coverage: float | None = None
    records: str | None = None  # records store whose rows of the same setting join --measure's training rows


@dataclass
class Estimate:
    """The figure reported for one task."""

    task: str
    languages: TaskLanguages
    metric_key: str
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    measured: float | None = None
    source: str = "estimated"  # estimated | measured
    proxies: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    @property
    def error(self) -> float | None:
        if self.estimate is None or self.measured is None or self.source == "measured":
            return None
        return self.estimate - self.measured


@dataclass
class EstimationReport:
    """Everything the output needs: per-task figures, the loaded tasks, predictors, runs and failures."""

    estimates: dict
    tasks: dict
    group_map: dict
    predictors: dict
    runs: list
    failures: list
    warnings: list
    settings: RunSettings
    request: Request
    timings: dict = field(default_factory=dict)


def predictor_dir() -> Path:
    """Where ``--predictor auto`` looks: ``$PROXYLM_PREDICTORS``, else the shipped ``predictors/``."""
    return Path(os.environ.get("PROXYLM_PREDICTORS") or PREDICTORS_DIR)


# ---------------------------------------------------------------------------------------------------------------
# Tasks and their languages
# ---------------------------------------------------------------------------------------------------------------

def _resolve_tasks(names, task_manager) -> tuple[list[str], dict]:
    leaves, groups = [], {}
    for name in names:
        if not isinstance(name, str):
            raise EstimationError(f"proxylm-eval takes tasks by name (got a {type(name).__name__}). "
                                  "Hint: put the YAML's folder in --include_path and pass its task name.")
        if name not in task_manager.task_index:
            raise EstimationError(f"Unknown task {name!r}. Hint: `lm-eval ls tasks` lists the tasks; the plugin's "
                                  "own are in its tasks/ folder, add yours with --include_path.")
        members = leaf_task_names(name, task_manager)
        if members != [name]:
            groups[name] = members
        leaves.extend(m for m in members if m not in leaves)
    return leaves, groups


def _languages(leaves, task_manager) -> dict[str, TaskLanguages]:
    out = {}
    for name in leaves:
        try:
            out[name] = task_languages(name, task_manager)
        except TaskMetadataError as error:
            raise EstimationError(str(error)) from error
    return out


def _load_tasks(leaves, task_manager) -> dict:
    try:
        loaded = task_manager.load(leaves)["tasks"]
    except Exception as error:  # noqa: BLE001  (dataset loaders raise anything; name the tasks)
        raise EstimationError(f"Could not load the documents of task(s) {', '.join(leaves)}: "
                              f"{type(error).__name__}: {error}. Hint: give the data folder with --metadata "
                              "(see the README's 'Local data') or log in to the hub.") from error
    return {name: loaded[name] for name in leaves}


def _documents(task) -> list[str]:
    return [str(task.doc_to_text(doc)) for doc in task.eval_docs]


# ---------------------------------------------------------------------------------------------------------------
# Predictors
# ---------------------------------------------------------------------------------------------------------------

def _proxy_column(record_name: str, num_fewshot: int | None) -> str:
    return f"{record_name}_noft" if not num_fewshot else f"{record_name}_{num_fewshot}shot"


def _find_predictor(target: str, family: str, metric: str) -> PredictorArtifact | None:
    record_name = target_record_name(target) or target
    if not predictor_dir().is_dir():
        return None
    for folder in sorted(predictor_dir().iterdir()):
        if not (folder / "manifest.json").is_file():
            continue
        artifact = load_artifact(folder)
        if (artifact.target, artifact.task_family, artifact.metric) == (record_name, family, metric):
            return artifact
    return None


def _check_predictor(artifact: PredictorArtifact, family: str, metric: str, num_fewshot, proxies) -> list[ModelSpec]:
    """The proxies whose runs feed ``artifact``; refuses a predictor that cannot apply to lm-eval runs."""
    where = f"Predictor {artifact.id} ({artifact.directory})"
    if artifact.task_family != family:
        raise EstimationError(f"{where} estimates {artifact.task_family} tasks, not {family} tasks. "
                              f"Hint: pass a {family} predictor, or --predictor auto.")
    if artifact.metric != metric:
        raise EstimationError(f"{where} estimates {artifact.metric}, but {family} tasks are reported in {metric}. "
                              "Hint: pass a predictor trained on that metric.")
    spec: FeatureSpec = artifact.spec
    wanted = _proxy_column("", num_fewshot)[1:]
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


def _train_from_records(request: Request, family: str, metric: str) -> PredictorArtifact | None:
    """A zero-shot predictor trained from the records store for this target, or None where it holds no such rows.

    Trained once per records version into ``<cache root>/predictors/`` and reused from there.
    """
    from .cache import default_cache_dir
    from .problems import make_problem
    from .records import load_records
    from .training import train_artifact

    record_target, setting = target_record_name(request.target), _ZERO_SHOT_RECORDS.get(family)
    if record_target is None or setting is None or setting[1] != metric:
        return None
    if not request.records or not Path(request.records).exists():
        return None
    records = load_records(request.records)
    folder = default_cache_dir().parent / "predictors" / (
        f"{record_target}-zeroshot-{family}-{metric}-{records.fingerprint()[:12]}")
    if (folder / "manifest.json").is_file():
        try:
            return load_artifact(folder)
        except ArtifactError:
            pass  # trained again below
    try:
        problem = make_problem(records, setting[0], record_target, metric, target_setting="noft",
                               proxies=setting[2], dataset_features=False, typology_source="urielplus",
                               keys=("source_lang", "target_lang"))
    except ValueError:
        return None
    log.warning("training a zero-shot predictor for %s from %s into %s", record_target, request.records, folder)
    return train_artifact(problem, folder, records_sha256=records.fingerprint(), overwrite=True)


def _predictor_for(request: Request, family: str, metric: str, num_fewshot) -> PredictorArtifact:
    if request.predictor != "auto":
        try:
            return load_artifact(request.predictor)
        except ArtifactError as error:
            raise EstimationError(str(error)) from error
    artifact = _find_predictor(request.target, family, metric) or _train_from_records(request, family, metric)
    if artifact is not None:
        return artifact
    folder = predictor_dir()
    shipped = sorted(p.parent.name for p in folder.glob("*/manifest.json")) if folder.is_dir() else []
    raise EstimationError(
        f"No predictor for target {request.target!r} on {family} tasks ({metric}): none in {folder} "
        f"({', '.join(shipped) or 'empty'}), and the records store ({request.records or 'not given'}) holds no rows "
        f"of this target produced as lm-eval runs produce them (zero-shot proxies: ProxyLM's records have them only for "
        "M2M100 and NLLB on translation, in spBLEU). "
        "Hint: use --measure K (runs the target on K languages and fits a predictor on them), or pass "
        "--predictor DIR trained with `proxylm-harness train`.")


# ---------------------------------------------------------------------------------------------------------------
# Rows, measured languages, estimates
# ---------------------------------------------------------------------------------------------------------------

def _rows(names, languages, tasks, runs: dict, proxies, num_fewshot, scale) -> pd.DataFrame:
    records = []
    for name in names:
        lang = languages[name]
        row = {"task": name, "source_lang": lang.source_lang, "target_lang": lang.target_lang,
               "test_dataset": lang.dataset, **document_features(_documents(tasks[name]))}
        for proxy in proxies:
            run = runs.get((proxy.name, name))
            if run is not None:
                row[_proxy_column(proxy.record_name, num_fewshot)] = run["value"] * scale
        records.append(row)
    return pd.DataFrame(records).set_index("task", drop=False)


def _metric_value(run: TaskRun, key: str) -> float:
    for name in (f"{key},none", key):
        if name in run.metrics and isinstance(run.metrics[name], (int, float)):
            return float(run.metrics[name])
    raise EstimationError(f"{run.model}'s result on task {run.task!r} has no metric {key!r} "
                          f"(it has {sorted(k for k in run.metrics if not k.endswith('_stderr,none'))}).")


def _most_informative(rows: pd.DataFrame, columns, k: int) -> list[str]:
    """K tasks spread over the proxy-score and language space: greedy farthest-point selection.

    Starts at the task nearest the centre and repeatedly adds the one farthest from those chosen, so the
    measured rows span the range the estimates need (fewer extrapolations) rather than cluster.
    """
    values = rows[list(columns)].to_numpy(dtype=float)
    values = np.where(np.isnan(values), np.nanmean(values, axis=0), values)
    spread = values.std(axis=0)
    z = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    chosen = [int(np.argmin((z ** 2).sum(axis=1)))]
    while len(chosen) < min(k, len(rows)):
        distance = np.min([((z - z[c]) ** 2).sum(axis=1) for c in chosen], axis=0)
        distance[chosen] = -1
        chosen.append(int(np.argmax(distance)))
    return [rows.index[i] for i in chosen]


def _measure_spec(family: str, metric: str, proxy_columns, rows: pd.DataFrame) -> FeatureSpec:
    usable = [c for c in DOCUMENT_FEATURES if rows[c].nunique() > 1]
    return FeatureSpec(task_family=family, target="target_measured", metric=metric, proxies=tuple(proxy_columns),
                       typology=DISTANCE_KINDS, typology_source="urielplus", dataset_features=tuple(usable))


def _records_rows(records_path, target: str, family: str, proxy_columns) -> pd.DataFrame | None:
    """Rows of the records store produced the way this run's are (zero-shot proxies, zero-shot target), or None.

    ProxyLM's records hold such rows only for MT560 translation, with SMaLL-100 as the proxy and M2M100 or
    NLLB as the target; everything else in them is fine-tuned and does not match an lm-eval run.
    """
    from .problems import make_problem
    from .records import RecordsError, load_records

    record_target, setting = target_record_name(target), _ZERO_SHOT_RECORDS.get(family)
    if records_path is None or record_target is None or setting is None or not Path(records_path).exists():
        return None
    try:
        records = load_records(records_path)
        problem = make_problem(records, setting[0], record_target, setting[1], target_setting="noft",
                               proxies=tuple(proxy_columns), dataset_features=False, typology_source="urielplus",
                               keys=())
    except (RecordsError, ValueError):
        return None
    rows = problem.rows[["source_lang", "target_lang", "test_dataset", *proxy_columns]].copy()
    rows["target_measured"] = problem.y
    rows.index = [f"records:{i}" for i in range(len(rows))]
    return rows


def _fit_measured(spec: FeatureSpec, train: pd.DataFrame, coverage: float) -> tuple[ProxyPredictor, FeatureSpec]:
    """A predictor on the measured tasks (plus matching records rows, if any).

    Few rows (the usual K): a ridge-like linear model with leave-one-out errors for its interval. With
    records rows joined (hundreds): the default gradient-boosted predictor.
    """
    from .features import build_features

    X = build_features(train, spec)
    missing = [c for c in X.columns if X[c].isna().any() or X[c].nunique() <= 1]
    if missing:
        spec = spec.without(*missing)
        if not spec.columns:
            raise EstimationError(
                f"Every feature is constant (or unknown) over the measured tasks {list(train.index)}: proxy scores, "
                "URIEL+ distances and document features alike, so nothing can be learnt from them. Hint: measure "
                "more or more varied languages.")
        X = build_features(train, spec)
    if len(train) >= 50:
        predictor = ProxyPredictor(coverage=coverage)
    else:
        predictor = ProxyPredictor(regressor="poly", regressor_params={"degree": 1, "alpha": 1.0, "l1_ratio": 0.0},
                                   reference="auto", bagging=False, cv=len(train), coverage=coverage)
    predictor.fit(X, train["target_measured"].to_numpy(dtype=float))
    return predictor, spec


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------------------------

def estimate_tasks(request: Request, task_manager, settings: RunSettings, *, cache: ResultCache | None,
                   progress_factory=None) -> EstimationReport:
    """Serve one proxylm-eval request; see the module docstring for the order of work.

    ``progress_factory(total)`` makes a progress bar (``update(n)``, ``close()``) over the model runs.
    """
    clock = time.perf_counter()
    leaves, groups = _resolve_tasks(request.tasks, task_manager)
    languages = _languages(leaves, task_manager)
    families = {}
    for name in leaves:
        families.setdefault(languages[name].family, []).append(name)

    # Everything that can be refused without running a model.
    predictors, proxies_of = {}, {}
    for family, names in families.items():
        metric, key, _ = FAMILY_METRICS[family]
        if request.mode == "measure":
            proxies_of[family] = request.proxies or default_proxies(family)
        else:
            artifact = _predictor_for(request, family, metric, settings.num_fewshot)
            proxies_of[family] = _check_predictor(artifact, family, metric, settings.num_fewshot, request.proxies)
            predictors[family] = artifact
        if not proxies_of[family]:
            raise EstimationError(f"No proxies for {family} tasks. Hint: name some with --proxies.")
        if request.mode == "measure" and request.measure >= len(names):
            raise EstimationError(f"--measure {request.measure} leaves none of the {len(names)} {family} task(s) to "
                                  "estimate. Hint: measure fewer languages, or run lm-eval on all of them.")
        if request.mode == "measure" and request.measure < 3:
            raise EstimationError(f"--measure needs at least 3 measured languages to fit anything; got {request.measure}.")
    tasks = _load_tasks(leaves, task_manager)
    for name, task in tasks.items():
        key = FAMILY_METRICS[languages[name].family][1]
        if key not in task.aggregation():
            raise EstimationError(f"Task {name!r} reports {sorted(task.aggregation())}, not {key!r}, the metric "
                                  f"{languages[name].family} predictors estimate. Hint: add {key!r} to its metric_list.")
        if not task.eval_docs:
            raise EstimationError(f"Task {name!r} has no test documents.")

    timings = {"tasks_s": time.perf_counter() - clock}
    clock = time.perf_counter()
    # Proxy runs (cached), one model at a time; a model that fails costs only its own results.
    total = sum(len(proxies_of[f]) * len(names) for f, names in families.items())
    total += len(leaves) if request.mode == "alongside" else request.measure * len(families)
    progress = progress_factory(total) if progress_factory is not None else None
    runs, failures, report_warnings = {}, [], []
    pairs = {name: (languages[name].raw_source_lang, languages[name].raw_target_lang) for name in leaves}
    for family, names in families.items():
        key = FAMILY_METRICS[family][1]
        for proxy in proxies_of[family]:
            def record(run, _key=key):
                runs[(run.model, run.task)] = {"value": _metric_value(run, _key), "cached": run.cached,
                                               "backend": run.backend, "pretrained": proxy.pretrained,
                                               "n_samples": run.n_samples}
                if progress is not None:
                    progress.update(1)
            try:
                run_model(proxy, {n: tasks[n] for n in names}, settings, cache=cache, task_manager=task_manager,
                          languages=pairs, on_result=record)
            except ModelRunError as error:
                failures.append({"model": proxy.name, "role": "proxy", "error": str(error)})
                if progress is not None:
                    progress.update(sum((proxy.name, n) not in runs for n in names))

    timings["proxy_runs_s"] = time.perf_counter() - clock
    clock, target_time = time.perf_counter(), 0.0
    estimates = {}
    for family, names in families.items():
        metric, key, scale = FAMILY_METRICS[family]
        proxies = proxies_of[family]
        for name in names:
            estimates[name] = Estimate(name, languages[name], key, proxies={
                p.name: runs[(p.name, name)]["value"] for p in proxies if (p.name, name) in runs})
        if request.mode == "measure":  # the predictor is fitted here: it can do without a proxy that failed
            failed = [p.name for p in proxies if not any((p.name, n) in runs for n in names)]
            proxies = [p for p in proxies if p.name not in failed]
            if failed:
                report_warnings.append(f"{family}: fitted without proxy {', '.join(failed)}, which failed")
            if not proxies:
                report_warnings.append(f"{family}: every proxy failed; nothing estimated")
                continue
        rows = _rows(names, languages, tasks, runs, proxies, settings.num_fewshot, scale)
        columns = [_proxy_column(p.record_name, settings.num_fewshot) for p in proxies]
        complete = [n for n in names if all((p.name, n) in runs for p in proxies)]
        for name in sorted(set(names) - set(complete)):
            missing = [p.name for p in proxies if (p.name, name) not in runs]
            estimates[name].warnings.append(f"not estimated: proxy run(s) failed ({', '.join(missing)})")
        measured_names = []
        if request.mode == "measure":
            measured_names = _most_informative(rows.loc[complete], [*columns, *DOCUMENT_FEATURES], request.measure)
        target_names = names if request.mode == "alongside" else measured_names
        started = time.perf_counter()
        measured = _run_target(request, {n: tasks[n] for n in target_names}, settings, cache, task_manager, pairs,
                               key, failures, progress)
        target_time += time.perf_counter() - started
        for name, value in measured.items():
            estimates[name].measured = value
        if request.mode == "measure":
            train_names = [n for n in measured_names if n in measured]
            if len(train_names) < 3:
                report_warnings.append(f"{family}: the target gave scores on {len(train_names)} of the "
                                       f"{len(measured_names)} measured tasks; at least 3 are needed to fit a predictor.")
                continue
            train = rows.loc[train_names].copy()
            train["target_measured"] = [measured[n] * scale for n in train_names]
            for name in train_names:
                estimates[name].source = "measured"
                estimates[name].estimate = measured[name]
            spec = _measure_spec(family, metric, columns, rows.loc[complete])
            extra = _records_rows(request.records, request.target, family, columns)
            if extra is not None:  # the records lack document features: fit on what both have
                spec = spec.without(*spec.dataset_features)
                train = pd.concat([train, extra])
            try:
                predictor, spec = _fit_measured(spec, train, request.coverage or 0.9)
            except EstimationError as error:  # keep the measurements; say why nothing else is estimated
                report_warnings.append(f"{family}: {error}")
                continue
            predictors[family] = {"fitted_on": train_names, "spec": spec, "predictor": predictor,
                                  "records_rows": 0 if extra is None else len(extra)}
            todo = [n for n in complete if n not in train_names]
            _apply(spec, predictor, rows.loc[todo], scale, estimates, request.coverage)
        elif complete:
            artifact = predictors[family]
            _apply(artifact.spec, artifact.predictor, rows.loc[complete], scale, estimates, request.coverage)
    if progress is not None:
        progress.close()
    timings["target_runs_s"] = target_time
    timings["features_prediction_s"] = time.perf_counter() - clock - target_time
    return EstimationReport(estimates, tasks, groups, predictors, runs, failures, report_warnings, settings, request,
                            timings)


def _run_target(request, tasks, settings, cache, task_manager, pairs, key, failures, progress) -> dict:
    if not tasks:
        return {}
    from dataclasses import replace

    from .proxies import parse_proxies

    spec = parse_proxies(f"target={request.target}")[0]
    target_settings = replace(settings, extra_model_args={**settings.extra_model_args, **request.target_model_args})
    out = {}

    def record(run):
        out[run.task] = _metric_value(run, key)
        if progress is not None:
            progress.update(1)
    try:
        run_model(spec, tasks, target_settings, cache=cache, task_manager=task_manager, languages=pairs,
                  on_result=record)
    except ModelRunError as error:
        failures.append({"model": request.target, "role": "target", "error": str(error)})
        if progress is not None:
            progress.update(len(tasks) - len(out))
    return out


def _apply(spec, predictor, rows, scale, estimates, coverage) -> None:
    if not len(rows):
        return
    from .features import build_features

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = build_features(rows, spec)
    estimate, lower, upper = predictor.predict_with_interval(X, coverage)
    flags = {}
    for row, name, value in predictor.out_of_range(X):
        flags.setdefault(rows.index[row], []).append(f"{name}={value:g}")
    for i, name in enumerate(rows.index):
        item = estimates[name]
        low, high = METRIC_RANGE.get(item.metric_key, (-np.inf, np.inf))
        item.estimate = float(np.clip(estimate[i] / scale, low, high))
        item.lower = _finite(max(lower[i] / scale, low)) if np.isfinite(lower[i]) else None
        item.upper = _finite(min(upper[i] / scale, high)) if np.isfinite(upper[i]) else None
        if item.lower is None or item.upper is None:
            item.warnings.append("interval unbounded: too few calibration residuals for this coverage")
        if name in flags:
            item.warnings.append("extrapolation: outside the predictor's training range in " + ", ".join(flags[name]))
