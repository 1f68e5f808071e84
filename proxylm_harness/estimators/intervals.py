"""Prediction intervals by CV+ (Barber et al., 2021) from the out-of-fold errors of cross-validated models."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["cv_plus"]


def cv_plus(fold_predictions: np.ndarray, fold_of: np.ndarray, residuals: np.ndarray, coverage: float):
    """CV+ interval for each test point.

    ``fold_predictions`` is (K, m): fold model k's prediction at each of m test points;
    ``fold_of`` (n,) the fold validating each calibration row; ``residuals`` (n,) their absolute
    out-of-fold errors. Lower bound = the floor(alpha (n+1))-th smallest of mu_{k(i)}(x) - R_i,
    upper = the ceil((1-alpha)(n+1))-th smallest of mu_{k(i)}(x) + R_i.
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1). Got {coverage!r} instead.")
    residuals = np.asarray(residuals, dtype=float)
    n = len(residuals)
    alpha = 1.0 - coverage
    mu = np.asarray(fold_predictions, dtype=float)[np.asarray(fold_of)]  # (n, m)
    # The tolerance keeps 1 - 0.9 = 0.0999... from moving a rank (floor(9.99999) would be 9, not 10).
    k_hi = math.ceil((1 - alpha) * (n + 1) - 1e-9)
    k_lo = math.floor(alpha * (n + 1) + 1e-9)
    if k_hi > n or k_lo < 1:
        # Too few calibration rows for this coverage: the honest interval is unbounded.
        m = mu.shape[1]
        return np.full(m, -np.inf), np.full(m, np.inf)
    lower = np.partition(mu - residuals[:, None], k_lo - 1, axis=0)[k_lo - 1]
    upper = np.partition(mu + residuals[:, None], k_hi - 1, axis=0)[k_hi - 1]
    return lower, upper
