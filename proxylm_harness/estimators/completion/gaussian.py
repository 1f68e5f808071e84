"""Scaling within a family (``FactorPrior``: factors speak, K = 0) and Gaussian conditioning of the target's row on
its known cells (``ConditionalGaussian``), on the logit scale for scores in [0, 1].

``FactorPrior`` fits, per cell, a ridge on [1, log-size, family one-hot, family x log-size] over the other models:
a family with members gives its own size curve, a family with none falls back to the size curve of all. The
``ConditionalGaussian`` takes that (or the cell mean) as the prior mean of the target's row and, as covariance,
the second moment of the other models' leave-one-out prior errors plus optional components (a free offset, a
scale along the consensus profile, a pull toward the other prior, a linear kernel on the cell features), and
conditions on the known cells (kriging).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from .base import CompletionEstimator
from ._matrix import cell_matrix, families, fill_rows, forward, inverse, log_params, others, resolve_link, revealed

__all__ = ["ConditionalGaussian", "FactorPrior", "cg_consensus", "cg_factor", "cg_full", "factor_prior_predict",
           "gaussian_model"]

_LAM_GLOBAL = 0.1
_LAM_CACHE: dict = {}


class _FactorRidge:
    """The per-cell ridge of ``A`` (models x cells) on the factor design; closed-form leave-one-model-out."""

    def __init__(self, A, lp, fam, lam):
        self.names = np.array(sorted(set(fam)))
        self.center = float(np.mean(lp))
        self.scale = float(np.std(lp)) if np.std(lp) > 1e-6 else 1.0
        X = self.design(lp, fam)
        nf = len(self.names)
        penalty = np.concatenate([[0.0, _LAM_GLOBAL], np.full(nf, lam[0]), np.full(nf, lam[1])])
        if np.ptp(lp) < 0.05:  # no size variation: the slopes cannot be told, pin them at 0
            penalty[1] = penalty[2 + nf:] = 1e6
        self.M = np.linalg.inv(X.T @ X + np.diag(penalty) + 1e-9 * np.eye(X.shape[1]))
        self.B = self.M @ X.T @ A
        self.X, self.A = X, A

    def design(self, lp, fam):
        x = (np.asarray(lp, float) - self.center) / self.scale
        onehot = (np.asarray(fam)[:, None] == self.names[None, :]).astype(float)
        return np.hstack([np.ones((len(x), 1)), x[:, None], onehot, onehot * x[:, None]])

    def predict(self, lp_t, fam_t):
        return (self.design(np.array([lp_t]), np.array([fam_t])) @ self.B)[0]

    def loo_residuals(self):
        """Each model's row minus its prediction from the other models (exact for ridge: e_j / (1 - h_jj))."""
        h = np.einsum("ij,jk,ik->i", self.X, self.M, self.X)
        return (self.A - self.X @ self.B) / np.maximum(1.0 - h, 1e-9)[:, None]


def factor_prior_predict(A, lp, fam, lp_t, fam_t, lam=(1.0, 1.0)) -> np.ndarray:
    """A model's row predicted from factors only: the per-cell ridge over the models in ``A``.

    ``lam`` = (penalty on family intercepts, penalty on family slopes); the global slope has 0.1, the intercept 0.
    """
    return _FactorRidge(A, lp, fam, lam).predict(lp_t, fam_t)


class FactorPrior(CompletionEstimator):
    """Scaling within a family: the target's row from its factors alone (family x log-size, shrunk); its known
    cells are not used, so it serves K = 0.

    Parameters
    ----------
    lam : "cv" or (float, float), default="cv"
        Penalties of the family intercepts and slopes; "cv" chooses them from ``grid`` by leave-one-model-out
        error over the other models.
    link : {"auto", "logit", "identity"}, default="identity"
    grid : tuple of (float, float), optional

    Attributes
    ----------
    lam_ : (float, float)
    """

    GRID = ((0.1, 0.1), (0.3, 1.0), (1.0, 1.0), (1.0, 3.0), (3.0, 3.0), (3.0, 10.0), (10.0, 10.0))

    def __init__(self, lam="cv", link="identity", grid=None):
        self.lam, self.link, self.grid = lam, link, grid

    def _fit(self, Y, factors, cell_features, t):
        link = resolve_link(self.link, Y)
        rows = others(Y, t)
        A = forward(fill_rows(Y, rows), link)
        lp, fam = log_params(factors), families(factors)
        self.lam_ = choose_lam(A, lp[rows], fam[rows], link, self.lam, self.grid or self.GRID)
        self.pred_ = inverse(factor_prior_predict(A, lp[rows], fam[rows], lp[t], fam[t], self.lam_), link)


def choose_lam(A, lp, fam, link, lam, grid):
    """``lam`` itself, or with "cv" the grid point of least leave-one-model-out MAE (cached per problem)."""
    if lam != "cv":
        return tuple(lam)
    if len(A) < 2:
        return tuple(grid[len(grid) // 2])
    key = (hashlib.blake2b(A.tobytes(), digest_size=16).hexdigest(), tuple(lp), tuple(fam), link, tuple(grid))
    if key not in _LAM_CACHE:
        errors = [np.mean(np.abs(inverse(A - _FactorRidge(A, lp, fam, g).loo_residuals(), link) - inverse(A, link)))
                  for g in grid]
        if len(_LAM_CACHE) > 4096:
            _LAM_CACHE.clear()
        _LAM_CACHE[key] = tuple(grid[int(np.argmin(errors))])
    return _LAM_CACHE[key]


def _prior(kind, A, lp, fam, lp_t, fam_t, lam):
    """(the target's prior row, the other models' leave-one-out prior errors) for prior ``kind``."""
    n = len(A)
    if kind == "mean":
        residuals = (A - A.mean(axis=0)) * (n / (n - 1)) if n > 1 else np.zeros((0, A.shape[1]))
        return A.mean(axis=0), residuals
    ridge = _FactorRidge(A, lp, fam, lam)
    return ridge.predict(lp_t, fam_t), (ridge.loo_residuals() if n > 1 else np.zeros((0, A.shape[1])))


def _components(params, A, scale, Zc, mu, alt):
    """The extra covariance loadings (cells x q) of a configuration, or None."""
    extra = []
    if params.get("alt_dir") and alt is not None:
        extra.append((alt - mu)[:, None] * math.sqrt(params["alt_dir"]))
    offset = params.get("offset", 0.0)
    if offset:
        extra.append(np.full((A.shape[1], 1), math.sqrt((100.0 if offset == "flat" else float(offset)) * scale)))
    if params.get("scale_comp"):
        profile = A.mean(axis=0) - A.mean()
        profile = profile / (np.sqrt(np.mean(profile ** 2)) + 1e-12)
        extra.append(profile[:, None] * math.sqrt(params["scale_comp"] * scale))
    if params.get("cell_kernel") and Zc.shape[1]:
        extra.append(Zc * math.sqrt(params["cell_kernel"] * scale / Zc.shape[1]))
    return np.hstack(extra) if extra else None


def gaussian_model(Y, factors, cell_features, t, params: dict):
    """The Gaussian prior of the target's row on the link scale: ``(mu, L, psi, link)``, covariance L L^T + psi I.

    ``params``: ``prior`` ("factor" or "mean"), ``offset`` (0, a number or "flat"), ``scale_comp``, ``alt_dir``,
    ``cell_kernel`` (weights relative to the prior errors' mean square), ``eta`` (cell noise, same units), ``link``.
    """
    link = resolve_link(params.get("link", "auto"), Y)
    rows = others(Y, t)
    A = forward(fill_rows(Y, rows), link)
    lp_all, fam_all = log_params(factors), families(factors)
    lp, fam = lp_all[rows], fam_all[rows]
    uses_factor = params["prior"] == "factor" or params.get("alt_dir")
    lam = choose_lam(A, lp, fam, link, "cv", FactorPrior.GRID) if uses_factor else None
    mu, residuals = _prior(params["prior"], A, lp, fam, lp_all[t], fam_all[t], lam)
    alt = None
    if params.get("alt_dir"):
        alt = _prior("mean" if params["prior"] == "factor" else "factor", A, lp, fam, lp_all[t], fam_all[t], lam)[0]
    scale = float(np.mean(residuals ** 2)) if residuals.size else float(np.var(A)) + 1e-6
    extra = _components(params, A, scale, cell_matrix(cell_features, Y.shape[1]), mu, alt)
    L = residuals.T / math.sqrt(max(len(residuals), 1))
    if extra is not None:
        L = np.hstack([L, extra])
    return mu, L, params.get("eta", 1.0) * scale, link


def condition(mu, L, psi, R, yR):
    """Mean and variance of N(mu, L L^T + psi I) conditioned on the cells ``R`` having the values ``yR``."""
    diag = np.einsum("ij,ij->i", L, L) + psi
    if len(R) == 0:
        return mu.copy(), diag
    LR = L[R]
    S_RR = LR @ LR.T + psi * np.eye(len(R))
    S_UR = L @ LR.T
    S_UR[R] += psi * np.eye(len(R))
    W = np.linalg.solve(S_RR, S_UR.T).T
    return mu + W @ (yR - mu[R]), np.maximum(diag - np.einsum("ij,ij->i", W, S_UR), 1e-12)


class ConditionalGaussian(CompletionEstimator):
    """The target's row ~ N(prior, covariance of the other models' prior errors + components), conditioned on its
    known cells. See ``gaussian_model`` for the parameters.

    Parameters
    ----------
    prior : {"factor", "mean"}, default="factor"
    offset : 0, float or "flat", default=0.0
    scale_comp, alt_dir, cell_kernel : float, default=0.0
    eta : float, default=1.0
    link : {"auto", "logit", "identity"}, default="auto"

    Attributes
    ----------
    sd_ : ndarray
        The predictive standard deviation of each cell, on the score scale (0 on known cells).
    """

    def __init__(self, prior="factor", offset=0.0, scale_comp=0.0, alt_dir=0.0, cell_kernel=0.0, eta=1.0,
                 link="auto"):
        self.prior, self.offset, self.scale_comp, self.alt_dir = prior, offset, scale_comp, alt_dir
        self.cell_kernel, self.eta, self.link = cell_kernel, eta, link

    def _fit(self, Y, factors, cell_features, t):
        if self.prior not in ("factor", "mean"):
            raise ValueError(f"prior must be 'factor' or 'mean'. Got {self.prior!r} instead.")
        mu, L, psi, link = gaussian_model(Y, factors, cell_features, t, self.get_params())
        R = revealed(Y, t)
        mean, var = condition(mu, L, psi, R, forward(Y[t, R], link))
        mean[R], var[R] = forward(Y[t, R], link), 0.0
        self.pred_ = inverse(mean, link)
        self.sd_ = np.sqrt(var) * (self.pred_ * (1 - self.pred_) if link == "logit" else 1.0)


def cg_factor(**params) -> ConditionalGaussian:
    """The factor prior conditioned on the known cells, nothing more."""
    return ConditionalGaussian(**{"prior": "factor", **params})


def cg_full(**params) -> ConditionalGaussian:
    """The factor prior with a free offset, a consensus-profile scale, a pull toward the cell mean, cell features."""
    return ConditionalGaussian(**{"prior": "factor", "offset": "flat", "scale_comp": 1.0, "alt_dir": 1.0,
                                  "cell_kernel": 1.0, **params})


def cg_consensus(**params) -> ConditionalGaussian:
    """The cell mean as prior, with a free offset, a consensus-profile scale and the cell features."""
    return ConditionalGaussian(**{"prior": "mean", "offset": "flat", "scale_comp": 1.0, "cell_kernel": 1.0, **params})
