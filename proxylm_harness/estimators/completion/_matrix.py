"""Array helpers every completion estimator shares: rows of the other models, the link scale, side information.

A completion problem is ``Y`` (models x cells, NaN unknown), model factors (``params_b``, ``family``), cell features
(numeric, NaN allowed) and the target's row index ``t``; the target's row holds only its known cells.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

#: Scores in [0, 1] are clipped to [EPS, 1 - EPS] before the logit.
EPS = 0.005


def others(Y: np.ndarray, target: int) -> np.ndarray:
    """Indices of the rows other than ``target``."""
    return np.array([i for i in range(Y.shape[0]) if i != target], dtype=int)


def revealed(Y: np.ndarray, target: int) -> np.ndarray:
    """The target's known cells."""
    return np.flatnonzero(~np.isnan(Y[target]))


def nanmean_cols(A: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(A, axis=0)


def cell_means(A: np.ndarray) -> np.ndarray:
    """Each column's mean over its known values; the mean of every known value where a column has none."""
    col = nanmean_cols(A)
    return np.where(np.isnan(col), np.nanmean(A), col)


def fill_rows(Y: np.ndarray, rows) -> np.ndarray:
    """The rows ``rows`` of ``Y`` with each unknown score replaced by its cell mean plus the row's mean offset."""
    A = Y[rows].copy()
    if not np.isnan(A).any():
        return A
    col = cell_means(A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        offset = np.nanmean(A - col, axis=1)
    offset = np.where(np.isnan(offset), 0.0, offset)
    mask = np.isnan(A)
    A[mask] = (col[None, :] + offset[:, None])[mask]
    return A


def hide_row(Y: np.ndarray, row: int, keep) -> np.ndarray:
    """A copy of ``Y`` whose ``row`` keeps only the cells ``keep``."""
    Z = Y.copy()
    kept = Z[row, keep].copy()
    Z[row, :] = np.nan
    Z[row, keep] = kept
    return Z


def is_unit(Y: np.ndarray) -> bool:
    values = Y[~np.isnan(Y)]
    return values.size > 0 and values.min() >= 0.0 and values.max() <= 1.0


def resolve_link(link: str, Y: np.ndarray) -> str:
    """``"auto"``: the logit for scores in [0, 1], else the identity."""
    if link == "auto":
        return "logit" if is_unit(Y) else "identity"
    if link not in ("logit", "identity"):
        raise ValueError(f"link must be 'auto', 'logit' or 'identity'. Got {link!r} instead.")
    return link


def forward(Y, link: str):
    if link == "logit":
        P = np.clip(Y, EPS, 1 - EPS)
        return np.log(P / (1 - P))
    return Y


def inverse(Z, link: str):
    if link == "logit":
        return 1.0 / (1.0 + np.exp(-Z))
    return Z


def log_params(factors: pd.DataFrame) -> np.ndarray:
    return np.log(np.asarray(factors["params_b"], dtype=float))


def families(factors: pd.DataFrame) -> np.ndarray:
    return np.asarray(factors["family"]).astype(str)


def model_design(factors: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """[standardised log-size, family one-hot] for every model, with the column names."""
    lp = log_params(factors)
    fam = families(factors)
    sd = lp.std() if lp.std() > 1e-6 else 1.0
    names = sorted(set(fam))
    onehot = (fam[:, None] == np.array(names)[None, :]).astype(float)
    return np.hstack([((lp - lp.mean()) / sd)[:, None], onehot]), ["log_params"] + [f"family={g}" for g in names]


def cell_matrix(cell_features, n_cells: int) -> np.ndarray:
    """Standardised numeric cell features; an unknown value becomes the column mean (0); constant columns go."""
    if cell_features is None or len(getattr(cell_features, "columns", [])) == 0:
        return np.zeros((n_cells, 0))
    X = np.asarray(cell_features, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(X, axis=0)
        sd = np.nanstd(X, axis=0)
    keep = np.isfinite(sd) & (sd > 0)
    Z = (X[:, keep] - mu[keep]) / sd[keep]
    Z[np.isnan(Z)] = 0.0
    return Z


def mask_groups(mask: np.ndarray) -> list:
    """Columns of ``mask`` grouped by their pattern of known rows: [(row pattern, column indices)]."""
    groups: dict = {}
    for j, key in enumerate(row.tobytes() for row in np.ascontiguousarray(mask.T)):
        groups.setdefault(key, []).append(j)
    return [(mask[:, cols[0]], np.array(cols)) for cols in groups.values()]


def grouped_solve(groups, D: np.ndarray, rhs: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """Solve (sum over the known rows i of column j of D_i D_i^T + penalty) x_j = rhs_j for every column j;
    columns sharing a pattern share one Gram matrix."""
    out = np.empty((rhs.shape[0], D.shape[1]))
    for pattern, cols in groups:
        Do = D[pattern]
        out[cols] = np.linalg.solve(Do.T @ Do + penalty, rhs[cols].T).T
    return out


def als(Z: np.ndarray, mask: np.ndarray, rank: int, lam: float, n_iter: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Rank-``rank`` alternating least squares with ridge ``lam`` on the known entries of Z (Z ~ U V^T)."""
    n, m = Z.shape
    U = 0.1 * rng.standard_normal((n, rank))
    V = 0.1 * rng.standard_normal((m, rank))
    penalty = lam * np.eye(rank)
    Zf = np.where(mask, Z, 0.0)
    g_rows, g_cols = mask_groups(mask.T), mask_groups(mask)
    for _ in range(n_iter):
        U = grouped_solve(g_rows, V, Zf @ V, penalty)
        V = grouped_solve(g_cols, U, Zf.T @ U, penalty)
    return U, V


def nearest_by_factors(factors: pd.DataFrame, target: int, candidates) -> list[int]:
    """The candidates ordered by closeness to the target: same family first, then nearest log-size (stable)."""
    lp, fam = log_params(factors), families(factors)
    distance = np.array([abs(lp[j] - lp[target]) + 10.0 * (fam[j] != fam[target]) for j in candidates])
    return [int(candidates[i]) for i in np.argsort(distance, kind="stable")]
