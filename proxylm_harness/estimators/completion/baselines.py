"""The benchmark's baselines (a)-(e): what any completion estimator must beat, computed on the same problems."""

from __future__ import annotations

import numpy as np

from .base import CompletionEstimator
from ._matrix import als, cell_means, families, fill_rows, log_params, nanmean_cols, nearest_by_factors, others, revealed

__all__ = ["CellMeanOffset", "FamilyLogSize", "NearestModel", "RidgeOnModels", "ZScoreALS"]


class CellMeanOffset(CompletionEstimator):
    """(a) The other models' mean in each cell, shifted by the target's mean offset on its known cells (none at K=0).

    Attributes
    ----------
    offset_ : float
        The shift added to every cell mean.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> Y = np.array([[0.2, 0.4, 0.6], [0.4, 0.6, 0.8], [0.5, np.nan, np.nan]])
    >>> F = pd.DataFrame({"params_b": [1.0, 2.0, 3.0], "family": ["a", "a", "a"]})
    >>> CellMeanOffset().fit(Y, F, None, 2).predict().round(2).tolist()
    [0.5, 0.7, 0.9]
    """

    def _fit(self, Y, factors, cell_features, t):
        mean = nanmean_cols(Y[others(Y, t)])
        R = revealed(Y, t)
        self.offset_ = float(np.mean(Y[t, R] - mean[R])) if len(R) else 0.0
        self.pred_ = mean + self.offset_


class NearestModel(CompletionEstimator):
    """(b) The other model closest to the target on its known cells (lowest mean absolute difference), shifted by
    its mean offset there; at K = 0 the closest by factors (same family, nearest log-size; ties averaged).

    Attributes
    ----------
    chosen_ : list of int
        Row indices of the model(s) copied.
    """

    def _fit(self, Y, factors, cell_features, t):
        rows = others(Y, t)
        A = fill_rows(Y, rows)
        R = revealed(Y, t)
        if len(R) == 0:
            order = nearest_by_factors(factors, t, rows)
            lp, fam = log_params(factors), families(factors)
            key = lambda j: (fam[j] != fam[t], round(abs(lp[j] - lp[t]), 9))  # noqa: E731
            self.chosen_ = [j for j in order if key(j) == key(order[0])]
            self.pred_ = np.mean([A[list(rows).index(j)] for j in self.chosen_], axis=0)
            return
        error = np.mean(np.abs(A[:, R] - Y[t, R]), axis=1)
        j = int(np.argmin(error))
        self.chosen_ = [int(rows[j])]
        self.pred_ = A[j] + float(np.mean(Y[t, R] - A[j, R]))


class RidgeOnModels(CompletionEstimator):
    """(c) Ridge regression (with intercept) of the target's known scores on the other models' scores in the same
    cells; the penalty is chosen from ``alphas`` by exact leave-one-out error. Below 2 known cells it is (a).

    Parameters
    ----------
    alphas : tuple of float, default=(1e-4, 1e-3, 1e-2, 1e-1, 1.0)
        Penalties tried.

    Attributes
    ----------
    alpha_ : float
        The penalty chosen (absent below 2 known cells).
    """

    def __init__(self, alphas=(1e-4, 1e-3, 1e-2, 1e-1, 1.0)):
        self.alphas = alphas

    def _fit(self, Y, factors, cell_features, t):
        A = fill_rows(Y, others(Y, t))
        R = revealed(Y, t)
        if len(R) < 2:
            self.pred_ = CellMeanOffset().fit(Y, factors, cell_features, t).predict()
            return
        Xr, y = A[:, R].T, Y[t, R]
        xm, ym = Xr.mean(axis=0), y.mean()
        Xc = Xr - xm
        U, sv, _ = np.linalg.svd(Xc, full_matrices=False)
        best, best_error = self.alphas[0], np.inf
        for alpha in self.alphas:
            shrink = sv ** 2 / (sv ** 2 + alpha)
            hat = (U * shrink) @ U.T + 1.0 / len(R)  # the hat matrix, intercept included
            loo = (y - hat @ y) / np.maximum(1 - np.diag(hat), 1e-6)
            if float(np.mean(loo ** 2)) < best_error:
                best, best_error = alpha, float(np.mean(loo ** 2))
        coef = np.linalg.solve(Xc.T @ Xc + best * np.eye(Xc.shape[1]), Xc.T @ (y - ym))
        self.alpha_ = best
        self.pred_ = ym + (A.T - xm) @ coef


class ZScoreALS(CompletionEstimator):
    """(d) Rank-``rank`` alternating least squares on the matrix z-scored per cell over its known entries.

    Parameters
    ----------
    rank : int, default=3
    lam : float, default=0.1
        Ridge penalty of both factor matrices.
    n_iter : int, default=30
    random_state : int, default=0
    """

    def __init__(self, rank=3, lam=0.1, n_iter=30, random_state=0):
        self.rank, self.lam, self.n_iter, self.random_state = rank, lam, n_iter, random_state

    def _fit(self, Y, factors, cell_features, t):
        mask = ~np.isnan(Y)
        mu = cell_means(Y)
        sd = np.nanstd(Y, axis=0)
        sd = np.where(np.isfinite(sd) & (sd > 1e-9), sd, 1.0)
        rank = max(1, min(self.rank, Y.shape[0] - 1))
        U, V = als((Y - mu) / sd, mask, rank, self.lam, self.n_iter, np.random.default_rng(self.random_state))
        self.pred_ = (U[t] @ V.T) * sd + mu


def loglinear_fit(x: np.ndarray, A: np.ndarray, x0: float, min_range: float = 0.05) -> np.ndarray:
    """Per column of ``A``, the least-squares line a + b x evaluated at ``x0``; the mean when x barely varies."""
    if len(x) == 1 or np.ptp(x) < min_range:
        return A.mean(axis=0)
    xc = x - x.mean()
    slope = (xc @ (A - A.mean(axis=0))) / (xc @ xc)
    return A.mean(axis=0) + slope * (x0 - x.mean())


class FamilyLogSize(CompletionEstimator):
    """(e) Per cell, score ~ a + b log(params) over the target's family members (the K = 0 baseline); over every
    other model when the family has fewer than 2 other members.

    Attributes
    ----------
    used_family_ : bool
        Whether the fit was over the family (else over every other model).
    """

    def _fit(self, Y, factors, cell_features, t):
        rows = others(Y, t)
        A = fill_rows(Y, rows)
        lp, fam = log_params(factors), families(factors)
        in_family = fam[rows] == fam[t]
        self.used_family_ = bool(in_family.sum() >= 2)
        use = in_family if self.used_family_ else np.ones(len(rows), bool)
        self.pred_ = loglinear_fit(lp[rows][use], A[use], lp[t])
