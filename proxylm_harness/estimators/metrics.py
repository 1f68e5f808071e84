"""Error metrics for estimates: RMSE (headline), MAE, rank correlations, interval coverage and width."""

from __future__ import annotations

import numpy as np


def _as_arrays(*arrays):
    out = [np.asarray(a, dtype=float).ravel() for a in arrays]
    n = len(out[0])
    for a in out[1:]:
        if len(a) != n:
            raise ValueError(f"Found arrays with inconsistent lengths: {[len(a) for a in out]}.")
    if n == 0:
        raise ValueError("Cannot score an empty set of estimates.")
    return out


def rmse(y_true, y_pred) -> float:
    y_true, y_pred = _as_arrays(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    y_true, y_pred = _as_arrays(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def _rank_correlation(fn, y_true, y_pred) -> float:
    y_true, y_pred = _as_arrays(y_true, y_pred)
    # A constant side has no ranking: report NaN rather than a misleading number.
    if len(y_true) < 2 or np.ptp(y_true) == 0 or np.ptp(y_pred) == 0:
        return float("nan")
    return float(fn(y_true, y_pred).statistic)


def spearman(y_true, y_pred) -> float:
    from scipy import stats  # deferred: 0.5 s of start-up that only rank correlations need

    return _rank_correlation(stats.spearmanr, y_true, y_pred)


def kendall(y_true, y_pred) -> float:
    from scipy import stats

    return _rank_correlation(stats.kendalltau, y_true, y_pred)


def coverage(y_true, lower, upper) -> float:
    """Share of true values inside [lower, upper]."""
    y_true, lower, upper = _as_arrays(y_true, lower, upper)
    return float(np.mean((y_true >= lower) & (y_true <= upper)))


def mean_width(lower, upper) -> float:
    lower, upper = _as_arrays(lower, upper)
    return float(np.mean(upper - lower))


def score_estimates(y_true, y_pred, lower=None, upper=None) -> dict[str, float]:
    """All metrics for one test set, as a dict (interval metrics NaN without an interval).

    >>> score_estimates([1.0, 2.0, 3.0], [1.0, 2.0, 4.0], [0, 1, 2], [2, 3, 3.5])["coverage"]
    0.6666666666666666
    """
    result = {
        "rmse": rmse(y_true, y_pred),
        "mae": mae(y_true, y_pred),
        "spearman": spearman(y_true, y_pred),
        "kendall": kendall(y_true, y_pred),
        "coverage": float("nan"),
        "width": float("nan"),
        "n": len(np.ravel(y_true)),
    }
    if lower is not None and upper is not None:
        result["coverage"] = coverage(y_true, lower, upper)
        result["width"] = mean_width(lower, upper)
    return result
