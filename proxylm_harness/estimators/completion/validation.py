"""Cross-validation on the completion problem itself, the conformal quantile made from it, and the "stronger than
every known model" check (Zhang, Dorner & Hardt, NeurIPS 2025: predictors of this kind fail exactly there).

``simulate`` gives an estimator's cross-validated predictions two ways: other models treated as the target (their
row hidden but for the target's known cells R, completed from the remaining models), and folds over the target's
own known cells when it has at least 3. The chooser weights estimators by these errors and the intervals are their
conformal quantile.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import clone

from ._matrix import families, fill_rows, forward, hide_row, log_params, nearest_by_factors, others, revealed

__all__ = ["conformal_quantile", "cv_error", "simulate", "strongest_flag", "weighted_quantile"]

_EMPTY = (np.array([], int), np.array([]), np.array([]))


def simulate(estimator, Y, factors, cell_features, t, *, max_sim=4, folds=3, random_state=0) -> dict:
    """The cross-validated predictions of ``estimator`` on the problem.

    - ``"sim"``: for up to ``max_sim`` other models j (nearest the target by factors), with the target's row left
      out and j's row hidden but for R, j completed from the rest; kept: j's other cells. Skipped when no other model
      would remain to learn from.
    - ``"loo"``: when K >= 3, R split into ``min(folds, K)`` folds, each hidden from the target and predicted.

    Returns ``{"sim": [(cells, prediction, truth)], "loo": (cells, prediction, truth), "n_pool": models left}``.
    """
    rows = others(Y, t)
    R = revealed(Y, t)
    out = {"sim": [], "loo": _EMPTY, "n_pool": len(rows) - 1}
    if len(rows) - 1 >= 1:
        Yo, Fo = Y[rows], factors.iloc[rows].reset_index(drop=True)
        hidden = np.setdiff1d(np.arange(Y.shape[1]), R)
        for j in nearest_by_factors(factors, t, rows)[:max_sim]:
            jj = list(rows).index(j)
            known = hidden[~np.isnan(Yo[jj, hidden])]
            if not len(known):
                continue
            p = clone(estimator).fit(hide_row(Yo, jj, R), Fo, cell_features, jj).predict()
            out["sim"].append((known, p[known], Yo[jj, known]))
    if len(R) >= 3:
        order = np.random.default_rng(random_state).permutation(R)
        cells, preds = [], []
        for fold in np.array_split(order, min(folds, len(R))):
            Yf = Y.copy()
            Yf[t, fold] = np.nan
            preds.append(clone(estimator).fit(Yf, factors, cell_features, t).predict()[fold])
            cells.append(fold)
        cells = np.concatenate(cells)
        out["loo"] = (cells, np.concatenate(preds), Y[t, cells])
    return out


def weighted_quantile(values, weights, level: float) -> float:
    """The weighted ``level`` quantile with split-conformal's finite-sample correction (level * (n + 1) / n)."""
    if len(values) == 0:
        return math.nan
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    wanted = min(1.0, level * (len(v) + 1) / len(v))
    cumulative = np.cumsum(w) / w.sum()
    return float(v[min(np.searchsorted(cumulative, wanted - 1e-12), len(v) - 1)])


def _residuals(cv, K, link, use):
    values, weights = [], []
    f = (lambda x: forward(x, "logit")) if link else (lambda x: x)  # noqa: E731
    if "sim" in use:
        for cells, p, truth in cv["sim"]:
            values.append(np.abs(f(p) - f(truth)))
            weights.append(np.full(len(cells), 1.0 / len(cells)))
    cells, p, truth = cv["loo"]
    if "loo" in use and len(cells):
        values.append(np.abs(f(p) - f(truth)))
        weights.append(np.full(len(cells), K / len(cells)))
    if not values:
        return np.array([]), np.array([])
    return np.concatenate(values), np.concatenate(weights)


def conformal_quantile(cv, K: int, level=0.9, link=False, use=("sim", "loo")) -> float:
    """The weighted quantile of the absolute CV residuals (on the logit scale with ``link``): each simulated model
    counts one unit, spread over its cells; the target's own folds K units in all."""
    values, weights = _residuals(cv, K, link, use)
    return weighted_quantile(values, weights, level)


def cv_error(cv, K: int) -> float:
    """The weighted mean absolute CV error on the score scale (same weights as ``conformal_quantile``)."""
    values, weights = _residuals(cv, K, False, ("sim", "loo"))
    return float(np.average(values, weights=weights)) if len(values) else math.nan


def strongest_flag(Y, factors, t, frac=0.8) -> tuple[bool, str]:
    """Whether the target looks stronger than every model the estimators learn from, and why (else "").

    True when its size is beyond every known model of its family (of all models, if its family has none), or when,
    with K >= 3, it is above every other model in at least ``frac`` of its known cells."""
    rows = others(Y, t)
    lp, fam = log_params(factors), families(factors)
    same = [j for j in rows if fam[j] == fam[t]]
    reference = same if same else list(rows)
    reasons = []
    largest = max(lp[j] for j in reference)
    if lp[t] > largest + 1e-9:
        what = f"every known {fam[t]} model" if same else "every known model"
        reasons.append(f"larger than {what} ({math.exp(lp[t]):.3g}B > {math.exp(largest):.3g}B)")
    R = revealed(Y, t)
    if len(R) >= 3:
        above = Y[t, R] > fill_rows(Y, rows)[:, R].max(axis=0)
        if above.mean() >= frac:
            reasons.append(f"above every other model in {int(above.sum())} of its {len(R)} known cells")
    return bool(reasons), "; ".join(reasons)
