"""Prediction intervals by CV+ (Barber et al., 2021) from the out-of-fold errors of cross-validated models."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["cv_interval", "cv_plus"]


def _ranks(n: int, coverage: float) -> tuple[int, int] | None:
    """(k_lo, k_hi): the ranks of the lower and upper bounds among n calibration rows, or None (unbounded)."""
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1). Got {coverage!r} instead.")
    alpha = 1.0 - coverage
    # The tolerance keeps 1 - 0.9 = 0.0999... from moving a rank (floor(9.99999) would be 9, not 10).
    k_hi = math.ceil((1 - alpha) * (n + 1) - 1e-9)
    k_lo = math.floor(alpha * (n + 1) + 1e-9)
    return None if k_hi > n or k_lo < 1 else (k_lo, k_hi)


def cv_interval(estimate: np.ndarray, residuals: np.ndarray, coverage: float):
    """Barber et al.'s K-fold CV interval: the estimate minus / plus ranked out-of-fold absolute errors.

    The same bounds as :func:`cv_plus` with every fold prediction equal to the estimate, in O(n log n + m) time
    and O(n + m) memory instead of an (n, m) matrix.
    """
    estimate = np.asarray(estimate, dtype=float)
    ranks = _ranks(len(residuals), coverage)
    if ranks is None:  # too few calibration rows for this coverage: the honest interval is unbounded
        return np.full(len(estimate), -np.inf), np.full(len(estimate), np.inf)
    k_lo, k_hi = ranks
    ordered = np.sort(np.asarray(residuals, dtype=float))
    return estimate - ordered[len(ordered) - k_lo], estimate + ordered[k_hi - 1]


def cv_plus(fold_predictions: np.ndarray, fold_of: np.ndarray, residuals: np.ndarray, coverage: float):
    """CV+ interval for each test point.

    ``fold_predictions`` is (K, m): fold model k's prediction at each of m test points;
    ``fold_of`` (n,) the fold validating each calibration row; ``residuals`` (n,) their absolute
    out-of-fold errors. Lower bound = the floor(alpha (n+1))-th smallest of mu_{k(i)}(x) - R_i,
    upper = the ceil((1-alpha)(n+1))-th smallest of mu_{k(i)}(x) + R_i. Test points are taken in blocks, so
    memory stays bounded however many there are.
    """
    residuals = np.asarray(residuals, dtype=float)
    predictions = np.asarray(fold_predictions, dtype=float)
    n, m = len(residuals), predictions.shape[1]
    ranks = _ranks(n, coverage)
    if ranks is None:
        return np.full(m, -np.inf), np.full(m, np.inf)
    k_lo, k_hi = ranks
    fold_of = np.asarray(fold_of)
    lower, upper = np.empty(m), np.empty(m)
    block = max(1, 2_000_000 // max(n, 1))
    for start in range(0, m, block):
        mu = predictions[:, start:start + block][fold_of]  # (n, block)
        lower[start:start + block] = np.partition(mu - residuals[:, None], k_lo - 1, axis=0)[k_lo - 1]
        upper[start:start + block] = np.partition(mu + residuals[:, None], k_hi - 1, axis=0)[k_hi - 1]
    return lower, upper
