"""Active choice of the cells to measure: the K cells whose scores would most reduce the expected error of the rest."""

from __future__ import annotations

import numpy as np

from .base import CompletionError, check_problem
from .gaussian import cg_full, gaussian_model
from ._matrix import revealed

__all__ = ["choose_cells"]


def _gains(L, psi, S):
    """For every cell c, the total posterior variance that observing c removes, given the cells ``S`` observed:
    ||Sigma_post[:, c]||^2 / Sigma_post[c, c] under Sigma = L L^T + psi I (a greedy A-optimal design step)."""
    if S:
        B = L @ L[S].T
        B[S, np.arange(len(S))] += psi
        Q = np.hstack([L, B])
        M = np.zeros((Q.shape[1], Q.shape[1]))
        r = L.shape[1]
        M[:r, :r] = np.eye(r)
        M[r:, r:] = -np.linalg.inv(B[S])
    else:
        Q, M = L, np.eye(L.shape[1])
    QM = Q @ M
    var = np.einsum("ij,ij->i", QM, Q) + psi
    square = np.einsum("ij,ij->i", Q @ (M @ (Q.T @ Q) @ M), Q) + 2 * psi * np.einsum("ij,ij->i", QM, Q) + psi ** 2
    return square / np.maximum(var, 1e-12)


def choose_cells(scores, factors, cell_features, target, k: int, *, candidates=None) -> np.ndarray:
    """The ``k`` cells to measure for ``target``, chosen before any of them is known.

    Greedy A-optimal design under the Gaussian model of ``cg_full`` (the factor prior, the other models' prior-error
    covariance, offset, scale and cell-feature components), which does not depend on the target's scores: each step
    adds the cell whose score most reduces the total posterior variance of the others. The target's known cells are
    kept as known; ``candidates`` (cell indices) limits the choice. Returns the chosen cell indices, in order.
    """
    Y, factors, cell_features, t = check_problem(scores, factors, cell_features, target)
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise CompletionError(f"k must be a non-negative integer. Got {k!r} instead.")
    allowed = np.ones(Y.shape[1], bool)
    if candidates is not None:
        allowed[:] = False
        allowed[np.asarray(candidates, int)] = True
    known = list(revealed(Y, t))
    allowed[known] = False
    if k > allowed.sum():
        raise CompletionError(f"k must be at most the {int(allowed.sum())} cells that can be chosen. Got {k} instead.")
    _, L, psi, _ = gaussian_model(Y, factors, cell_features, t, cg_full().get_params())
    chosen = []
    for _ in range(k):
        gain = _gains(L, psi, known + chosen)
        gain[~allowed] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        allowed[best] = False
    return np.array(chosen, dtype=int)
