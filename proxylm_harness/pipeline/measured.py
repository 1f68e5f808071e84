"""``--measure K``'s pieces: which K tasks to measure, and the predictor fitted on them (plus the records' rows made
the same way, where there are any)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..families import TaskFamily
from ..features.builders import build_features
from ..features.documents import DOCUMENT_FEATURES
from ..features.spec import FeatureSpec
from ..languages.typology import DISTANCE_KINDS
from ..lm_eval_bridge.proxies import target_record_name
from .request import EstimationError

__all__ = ["fit_measured", "measure_spec", "most_informative", "records_rows"]

TARGET = "target_measured"


def most_informative(rows: pd.DataFrame, columns, k: int) -> list[str]:
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


def measure_spec(family: TaskFamily, proxy_columns, rows: pd.DataFrame) -> FeatureSpec:
    """Proxies, URIEL+ distances and the document features that vary over the tasks."""
    usable = [c for c in DOCUMENT_FEATURES if rows[c].nunique() > 1]
    return FeatureSpec(task_family=family.name, target=TARGET, metric=family.records_metric,
                       proxies=tuple(proxy_columns), typology=DISTANCE_KINDS, typology_source="urielplus",
                       dataset_features=tuple(usable))


def records_rows(records_path, target: str, family: TaskFamily, proxy_columns) -> pd.DataFrame | None:
    """Rows of the records store produced the way this run's are (zero-shot proxies, zero-shot target), or None.

    ProxyLM's records hold such rows only for MT560 translation, with SMaLL-100 as the proxy and M2M100 or
    NLLB as the target; everything else in them is fine-tuned and does not match an lm-eval run.
    """
    from ..records.layouts import RecordsError
    from ..records.reader import load_records
    from ..records.regression_problems import make_problem

    record_target, setting = target_record_name(target), family.zero_shot_records
    paths = list(records_path or ())
    if not paths or record_target is None or setting is None or not all(Path(p).exists() for p in paths):
        return None
    try:
        records = load_records(paths)
        problem = make_problem(records, setting.dataset, record_target, setting.metric, target_setting="noft",
                               proxies=tuple(proxy_columns), dataset_features=False, typology_source="urielplus",
                               keys=())
    except (RecordsError, ValueError):
        return None
    rows = problem.rows[["source_lang", "target_lang", "test_dataset", *proxy_columns]].copy()
    rows[TARGET] = problem.y
    rows.index = [f"records:{i}" for i in range(len(rows))]
    return rows


def fit_measured(spec: FeatureSpec, train: pd.DataFrame, coverage: float):
    """(predictor, spec) fitted on the measured tasks (plus matching records rows, if any).

    Few rows (the usual K): a ridge-like linear model with leave-one-out errors for its interval. With
    records rows joined (hundreds): the default gradient-boosted predictor. Features constant or unknown over
    the training rows are left out of the returned spec.
    """
    from ..estimators.predictor import ProxyPredictor

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
    predictor.fit(X, train[TARGET].to_numpy(dtype=float))
    return predictor, spec
