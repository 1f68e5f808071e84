"""``complete``: one model's missing scores in a records matrix, with intervals, warnings and (asked for) factor
importance. Everything the command ``proxylm-harness complete`` prints or writes comes from here."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..._registry import did_you_mean
from ...families import FAMILIES, metric_range
from ...features.cells import cell_feature_frame, unknown_languages
from .base import CompletionError, CompletionEstimator, DEFAULT_ESTIMATOR, get_completion_estimator
from .conformal import ConformalCompletion

__all__ = ["CompletionResult", "OUTPUT_COLUMNS", "complete", "completion_problem", "unit_matrix"]

#: The columns of the output CSV, in order (``--explain`` adds ``shap_<group>`` columns after them).
OUTPUT_COLUMNS = ("task", "metric", "estimate", "lower", "upper", "source", "estimator", "warning")


@dataclass
class CompletionResult:
    """What ``complete`` found for one target.

    ``table``: one row per cell of the chosen tasks, ``OUTPUT_COLUMNS`` plus the cell's ``n_shot``, ``setting``,
    ``family``, ``source_lang``, ``target_lang`` (and ``shap_<group>`` with ``explain``); ``estimator``: the
    estimator's name; ``chosen``: the member that weighs most (a stack), with all ``weights``; ``cv_error``: the
    cross-validated MAE the intervals were calibrated on, in the metric's units (on a 0-1 scale of each metric's
    range when the cells mix metrics: ``cv_error_unit`` says which); ``flag``: the stronger-than-every-known-model
    reason, or ""; ``shapley``: exact Shapley values of the factor groups (``explain``), else None.
    """

    target: str
    table: pd.DataFrame
    estimator: str
    chosen: str
    weights: dict
    cv_error: float
    cv_error_unit: str
    coverage: float
    flag: str = ""
    shapley: dict | None = None
    notes: list = field(default_factory=list)

    @property
    def known(self) -> int:
        return int((self.table["source"] == "measured").sum())

    @property
    def estimated(self) -> int:
        return int((self.table["source"] == "estimated").sum())

    def output(self) -> pd.DataFrame:
        """The CSV's columns: ``OUTPUT_COLUMNS`` (and the ``shap_*`` ones when explained)."""
        return self.table[list(OUTPUT_COLUMNS) + [c for c in self.table.columns if c.startswith("shap_")]]

    def summary(self) -> str:
        lines = [f"{self.target}: {self.known} cell(s) known, {self.estimated} estimated; estimator {self.estimator}"
                 + (f" (leading member {self.chosen}: " + ", ".join(f"{k} {v:.2f}" for k, v in self.weights.items())
                    + ")" if self.weights else ""),
                 f"cross-validated MAE {self.cv_error:.4g} ({self.cv_error_unit}); {self.coverage:.0%} intervals"]
        if self.flag:
            lines.append(f"warning: the target looks stronger than every known model ({self.flag}); its intervals "
                         "are widened and its estimates may be too low")
        lines += [f"note: {n}" for n in self.notes]
        if self.shapley:
            lines.append(f"factor importance (exact Shapley over ProxyBoost's cross-validated MAE, "
                         f"{self.shapley['mae_none']:.4g} with no factors -> {self.shapley['mae_all']:.4g} with all):")
            lines += [f"  {g:14s} {v:+.4g}" for g, v in self.shapley["groups"].items()]
        return "\n".join(lines)


def _ranges(cells: pd.DataFrame, scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, its metric's range in the records' units (a registered family's scale applied; a 0-1 metric whose
    scores run to 100 read as a percentage); -inf/inf where the metric is unbounded."""
    lows, highs = np.full(len(cells), -np.inf), np.full(len(cells), np.inf)
    for i, (metric, family) in enumerate(zip(cells["metric"].astype(str), cells["family"])):
        lo, hi = metric_range(metric)
        registered = FAMILIES.get(family) if isinstance(family, str) and family in FAMILIES else None
        if registered is not None and metric == registered.records_metric and registered.scale != 1:
            lo, hi = (x * registered.scale for x in metric_range(registered.lm_eval_metric))
        values = scores.iloc[:, i].dropna()
        if hi == 1.0 and len(values) and 1.0 < values.max() <= 100.0:
            hi = 100.0
        lows[i], highs[i] = lo, hi
    return lows, highs


def _scales(cells: pd.DataFrame, scores: pd.DataFrame, lows, highs) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, (low, span): each metric's range (``_ranges``) mapped onto [0, 1] when every metric is bounded (the
    estimators then work on the logit scale); otherwise each metric standardised over its known scores (one scale for
    all)."""
    if np.isfinite(lows).all() and np.isfinite(highs).all() and (highs > lows).all():
        return lows, highs - lows
    low, span = np.zeros(len(cells)), np.ones(len(cells))
    metrics = cells["metric"].astype(str).to_numpy()
    for metric in set(metrics):
        known = scores.loc[:, metrics == metric].to_numpy(dtype=float)
        known = known[np.isfinite(known)]
        low[metrics == metric] = float(known.mean()) if known.size else 0.0
        span[metrics == metric] = float(known.std()) if known.size > 1 and known.std() > 0 else 1.0
    return low, span


def _factors(matrix, models: list, model_factors) -> tuple[pd.DataFrame, list]:
    """One factor row per model (``params_b``, ``family``): ``model_factors`` over the store's; gaps filled."""
    factors = matrix.factors.reindex(models).copy() if len(matrix.factors) else pd.DataFrame(index=models)
    for column in ("params_b", "family"):
        if column not in factors:
            factors[column] = np.nan
    if model_factors is not None:
        given = model_factors.reindex(models)
        for column in ("params_b", "family"):
            if column in given:
                factors[column] = given[column].where(given[column].notna(), factors[column])
    factors["params_b"] = pd.to_numeric(factors["params_b"], errors="coerce")
    notes = []
    missing = factors.index[~(factors["params_b"] > 0)].tolist()
    if missing:
        median = float(factors["params_b"].dropna().median()) if factors["params_b"].notna().any() else 1.0
        factors.loc[missing, "params_b"] = median
        notes.append(f"no size known for {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}; "
                     f"the median, {median:.3g}B, stands in (give --model-factors)")
    factors["family"] = [f if isinstance(f, str) and f else f"?{m}" for m, f in zip(factors.index, factors["family"])]
    return factors[["params_b", "family"]], notes


def _select_cells(matrix, tasks) -> pd.DataFrame:
    cells = matrix.cells
    if not tasks:
        return cells
    names = sorted(set(cells["task"]))
    for pattern in tasks:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
            raise CompletionError(f"the task pattern {pattern!r} matches no task in the records."
                                  f"{did_you_mean(pattern, names)} Known tasks: {len(names)} (e.g. "
                                  f"{', '.join(names[:3])}).")
    keep = [any(fnmatch.fnmatchcase(t, p) for p in tasks) for t in cells["task"]]
    return cells.loc[keep]


def _check_target(matrix, target: str, model_factors) -> None:
    if target in matrix.scores.index:
        return
    given = model_factors is not None and target in model_factors.index and \
        pd.notna(pd.to_numeric(model_factors.loc[target].get("params_b"), errors="coerce"))
    if not given:
        raise CompletionError(f"no model {target!r} in the records and no factors for it."
                              f"{did_you_mean(target, list(matrix.scores.index))} Hint: name a model the records hold, "
                              "or give its size and family with --model-factors FILE.csv (model,params_b,family).")


def completion_problem(matrix, target: str, *, tasks=None, model_factors=None, typology=None) -> dict:
    """The numeric problem ``complete`` solves: ``Y`` (models x cells, each metric mapped onto [0, 1]), ``factors``,
    ``features`` (``features.cell_feature_frame``), ``t``, ``cells`` (those some other model knows), ``low``/``span``
    (the scale), ``all_cells`` (every chosen cell) and ``scores`` (the target's, NaN unknown). Raises
    ``CompletionError`` for a request that cannot be served."""
    _check_target(matrix, target, model_factors)
    cells = _select_cells(matrix, tasks)
    scores = matrix.scores.reindex(columns=cells.index)
    if target not in scores.index:
        scores.loc[target] = np.nan
    other = scores.drop(index=target)
    other = other[other.notna().any(axis=1)]
    if len(other) < 2:
        raise CompletionError(f"the records hold {len(other)} model(s) besides {target!r} with scores in the chosen "
                              "tasks; completion needs at least two. Hint: add results of other models "
                              "(proxylm-harness records add PATH) or widen --tasks.")
    shared = other.notna().any(axis=0).to_numpy()
    problem = unit_matrix(matrix, [target] + list(other.index), cells.loc[shared], model_factors=model_factors,
                          typology=typology)
    return {**problem, "t": 0, "all_cells": cells, "scores": scores.loc[target, cells.index]}


def unit_matrix(matrix, models: list, cells: pd.DataFrame, *, model_factors=None, typology=None) -> dict:
    """The arrays every completion estimator reads, for ``models`` x ``cells`` of a ``RecordsMatrix``: ``Y`` (each
    metric mapped onto [0, 1] by its range, or standardised: ``low``, ``span``; ``range`` the metrics'), ``factors`` (gaps filled, with
    ``notes`` saying so), ``features`` (``features.cell_feature_frame``, the one path) and ``unknown_languages``."""
    factors, notes = _factors(matrix, models, model_factors)
    scores = matrix.scores.reindex(index=models, columns=cells.index)
    lows, highs = _ranges(cells, scores)
    low, span = _scales(cells, scores, lows, highs)
    features = cell_feature_frame(cells, typology=typology)
    return {"Y": (scores.to_numpy(dtype=float) - low) / span, "factors": factors, "features": features,
            "cells": cells, "models": list(models), "low": low, "span": span, "range": (lows, highs), "notes": notes,
            "unknown_languages": unknown_languages(cells, features)}


def _estimator(estimator, coverage: float) -> tuple[ConformalCompletion, str]:
    if estimator is None:
        estimator = DEFAULT_ESTIMATOR
    if isinstance(estimator, str):
        name, estimator = estimator, get_completion_estimator(estimator)
    elif isinstance(estimator, CompletionEstimator):
        name = type(estimator).__name__
    else:
        raise CompletionError(f"estimator must be a registered name or a CompletionEstimator. Got {estimator!r}.")
    if isinstance(estimator, ConformalCompletion):
        inner = estimator.estimator
        return estimator.set_params(level=coverage), type(inner).__name__ if inner is not None else "stack"
    return ConformalCompletion(estimator, level=coverage), name


def _table(problem, model: ConformalCompletion, name: str) -> pd.DataFrame:
    """One row per chosen cell: the target's measured score, or the estimate with its interval and warnings."""
    used, low, span = problem["cells"], problem["low"], problem["span"]
    unit_lower, unit_upper = model.interval()
    estimate, lower, upper = (np.clip(low + span * v, *problem["range"]) for v in (model.predict(), unit_lower,
                                                                                   unit_upper))
    position = {cell: i for i, cell in enumerate(used.index)}
    rows = []
    for cell, info in problem["all_cells"].iterrows():
        measured = problem["scores"].get(cell)
        base = {"cell": cell, "task": info["task"], "metric": info["metric"], "n_shot": info["n_shot"],
                "setting": info["setting"], "family": info["family"], "source_lang": info["source_lang"],
                "target_lang": info["target_lang"]}
        if pd.notna(measured):
            rows.append({**base, "estimate": float(measured), "lower": float(measured), "upper": float(measured),
                         "source": "measured", "estimator": "", "warning": ""})
            continue
        i = position[cell]
        warnings = []
        if model.flag_:
            warnings.append(f"stronger than every known model ({model.flag_reason_}): interval widened")
        if problem["unknown_languages"].iloc[i]:
            warnings.append(f"URIEL+ has no distances for {problem['unknown_languages'].iloc[i]}")
        rows.append({**base, "estimate": float(estimate[i]), "lower": float(lower[i]), "upper": float(upper[i]),
                     "source": "estimated", "estimator": name, "warning": "; ".join(warnings)})
    return pd.DataFrame(rows).set_index("cell")


def _explain(problem, table: pd.DataFrame, unit_scale) -> dict:
    """Exact Shapley values of the factor groups (in the metric's units when one scale serves every cell), and
    each estimated cell's TreeSHAP contributions per group (``shap_<group>`` columns of ``table``)."""
    from .proxy_boost import ProxyBoost
    from .shapley import factor_shapley

    Y, factors, features, t = problem["Y"], problem["factors"], problem["features"], problem["t"]
    booster = ProxyBoost().fit(Y, factors, features, t)
    for group, values in booster.contributions().items():
        if not np.any(values):
            continue  # a group with no split (the known-cell statistics at K = 0)
        column = pd.Series(values * problem["span"], index=problem["cells"].index)
        table[f"shap_{group}"] = column.reindex(table.index).where(table["source"] == "estimated")
    found = factor_shapley(Y, factors, features, t)
    s = unit_scale or 1.0
    return {"groups": {g: v * s for g, v in found["groups"].items()}, "mae_none": found["mae_none"] * s,
            "mae_all": found["mae_all"] * s}


def complete(matrix, target: str, *, tasks=None, coverage: float = 0.9, estimator=None, explain: bool = False,
             model_factors: pd.DataFrame | None = None, typology=None) -> CompletionResult:
    """Complete ``target``'s row of a ``RecordsMatrix`` (``RecordsStore.matrix(...)``).

    ``tasks``: task-name patterns (``xnli_*``) choosing the cells (default: all); ``coverage``: of the intervals;
    ``estimator``: a registered name (``completion_estimator_names()``) or a ``CompletionEstimator`` (default: the
    stack); ``explain``: add factor importance; ``model_factors``: a frame indexed by model with ``params_b`` and
    ``family`` that overrides the store's (a target with no records needs one). The target's known cells are
    returned as measured; every other cell is estimated. Raises ``CompletionError`` for an unknown target without
    factors, a task pattern that matches nothing, or fewer than two other models with scores.
    """
    if not 0 < coverage < 1:
        raise CompletionError(f"coverage must be in (0, 1). Got {coverage!r} instead.")
    problem = completion_problem(matrix, target, tasks=tasks, model_factors=model_factors, typology=typology)
    model, name = _estimator(estimator, coverage)
    model.fit(problem["Y"], problem["factors"], problem["features"], problem["t"])
    table = _table(problem, model, name)
    spans = set(np.round(problem["span"], 9))
    unit_scale = spans.pop() if len(spans) == 1 else None
    fitted = model.estimator_
    result = CompletionResult(
        target=target, table=table, estimator=name, chosen=getattr(fitted, "chosen_", name),
        weights=dict(getattr(fitted, "weights_", {})), cv_error=model.cv_error_ * (unit_scale or 1.0),
        cv_error_unit="the metric's units" if unit_scale else "a 0-1 scale of each metric's range",
        coverage=coverage, flag=model.flag_reason_ if model.flag_ else "", notes=list(problem["notes"]))
    if explain:
        result.shapley = _explain(problem, table, unit_scale)
    return result
