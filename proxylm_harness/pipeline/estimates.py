"""The figures proxylm-eval reports per task, the feature rows built from the proxies' runs, and a predictor applied
to them (estimates and intervals in the lm-eval metric's scale and range)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..features.builders import build_features, unknown_typology
from ..features.documents import document_features
from ..lm_eval_bridge.task_metadata import TaskLanguages
from .plan import FamilyPlan, Plan
from .predictors import FittedPredictor, proxy_column

__all__ = ["Estimate", "apply_predictor", "feature_rows"]


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


def feature_rows(plan: Plan, family_plan: FamilyPlan, proxies, runs: dict) -> pd.DataFrame:
    """One row per task of the family: languages, dataset, document features and each proxy's score (records scale)."""
    scale, records = family_plan.family.scale, []
    for name in family_plan.tasks:
        lang = plan.languages[name]
        task = plan.tasks[name]
        row = {"task": name, "source_lang": lang.source_lang, "target_lang": lang.target_lang,
               "test_dataset": lang.dataset,
               **document_features([str(task.doc_to_text(doc)) for doc in task.eval_docs])}
        for proxy in proxies:
            run = runs.get((proxy.name, name))
            if run is not None:
                row[proxy_column(proxy.record_name, plan.settings.num_fewshot)] = run["value"] * scale
        records.append(row)
    return pd.DataFrame(records).set_index("task", drop=False)


def apply_predictor(fitted: FittedPredictor, rows: pd.DataFrame, family_plan: FamilyPlan, estimates: dict,
                    coverage) -> None:
    """Estimate ``rows`` with ``fitted`` into ``estimates``: clipped to the metric's range, extrapolations flagged."""
    if not len(rows):
        return
    scale, (low, high) = family_plan.family.scale, family_plan.family.metric_range
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = build_features(rows, fitted.spec)
    estimate, lower, upper = fitted.predictor.predict_with_interval(X, coverage)
    flags, unknown = {}, dict(zip(rows.index, unknown_typology(X, fitted.spec)))
    for row, name, value in fitted.predictor.out_of_range(X):
        flags.setdefault(rows.index[row], []).append(f"{name}={value:g}")
    for i, name in enumerate(rows.index):
        item = estimates[name]
        item.estimate = float(np.clip(estimate[i] / scale, low, high))
        item.lower = _finite(max(lower[i] / scale, low)) if np.isfinite(lower[i]) else None
        item.upper = _finite(min(upper[i] / scale, high)) if np.isfinite(upper[i]) else None
        if item.lower is None or item.upper is None:
            item.warnings.append("interval unbounded: too few calibration residuals for this coverage")
        if name in flags:
            item.warnings.append("extrapolation: outside the predictor's training range in " + ", ".join(flags[name]))
        if unknown[name]:
            item.warnings.append(f"URIEL+ knows {len(fitted.spec.typology) - len(unknown[name])} of the "
                                 f"{len(fitted.spec.typology)} distances between {item.languages.source_lang} and "
                                 f"{item.languages.target_lang} (unknown: {', '.join(unknown[name])}); the interval "
                                 "does not account for it")


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
