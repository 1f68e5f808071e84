"""Collaborative estimators as CPP builds them: matrix factorisation with model and cell side information
(``FactorMF``) and factor-enhanced neural collaborative filtering (``FactorNCF``, written in numpy: torch is not
a dependency of the predictor core). Both work on the logit scale for scores in [0, 1].
"""

from __future__ import annotations

import math

import numpy as np

from .base import CompletionEstimator
from ._matrix import cell_matrix, cell_means, forward, grouped_solve, inverse, mask_groups, model_design, resolve_link

__all__ = ["FactorMF", "FactorNCF"]


class FactorMF(CompletionEstimator):
    """Matrix factorisation y_mc = mu_c + b_m + u_m . v_c, fitted by alternating least squares, with the model part
    (b_m, u_m) shrunk toward G x_m (x_m: standardised log-size and family one-hot) and the cell part v_c toward
    H z_c (z_c: standardised cell features). The target's (b, u) is fitted on its known cells only, so at K = 0 it
    is G x_target: its factors speak.

    Parameters
    ----------
    rank : int, default=3
    lam_model, lam_cell, lam_side : float, default=1.0
        Shrinkage of the model part toward its factors, of the cell part toward its features, and of G and H.
    n_iter : int, default=30
    link : {"auto", "logit", "identity"}, default="auto"
    random_state : int, default=0
    """

    def __init__(self, rank=3, lam_model=1.0, lam_cell=1.0, lam_side=1.0, n_iter=30, link="auto", random_state=0):
        self.rank, self.lam_model, self.lam_cell, self.lam_side = rank, lam_model, lam_cell, lam_side
        self.n_iter, self.link, self.random_state = n_iter, link, random_state

    def _fit(self, Y, factors, cell_features, t):
        link = resolve_link(self.link, Y)
        Z = forward(Y, link)
        mask = ~np.isnan(Z)
        Zf = np.where(mask, Z, 0.0)
        n, m = Z.shape
        r = min(self.rank, max(n - 2, 1))
        X = np.hstack([np.ones((n, 1)), model_design(factors)[0]])
        C = np.hstack([np.ones((m, 1)), cell_matrix(cell_features, m)])
        mu = cell_means(Z)
        P = np.zeros((n, r + 1))  # [b_m, u_m]
        V = 0.1 * np.random.default_rng(self.random_state).standard_normal((m, r))
        G, H = np.zeros((X.shape[1], r + 1)), np.zeros((C.shape[1], r))
        I_m, I_c = self.lam_model * np.eye(r + 1), self.lam_cell * np.eye(r)
        pen_c = np.zeros((r + 1, r + 1))
        pen_c[1:, 1:] = I_c
        pen_c += 1e-9 * np.eye(r + 1)
        g_rows, g_cols = mask_groups(mask.T), mask_groups(mask)
        side_X = np.linalg.inv(X.T @ X + self.lam_side * np.eye(X.shape[1])) @ X.T
        side_C = np.linalg.inv(C.T @ C + self.lam_side * np.eye(C.shape[1])) @ C.T
        for _ in range(self.n_iter):
            D = np.hstack([np.ones((m, 1)), V])  # models: regress y - mu on [1, v_c], toward G x_m
            P = grouped_solve(g_rows, D, np.where(mask, Zf - mu[None, :], 0.0) @ D + (X @ G) @ I_m, I_m)
            G = side_X @ P
            D = np.hstack([np.ones((n, 1)), P[:, 1:]])  # cells: regress y - b_m on [1, u_m] -> (mu_c, v_c)
            prior = np.hstack([np.zeros((m, 1)), (C @ H) @ I_c])
            solved = grouped_solve(g_cols, D, np.where(mask, Zf - P[:, :1], 0.0).T @ D + prior, pen_c)
            mu, V = solved[:, 0], solved[:, 1:]
            H = side_C @ V
        self.pred_ = inverse(mu + P[t, 0] + V @ P[t, 1:], link)


class FactorNCF(CompletionEstimator):
    """CPP's factor-enhanced neural collaborative filtering, in numpy: y_mc = mu_c + b_m + MLP([e_m, e_c, x_m, z_c])
    with learned embeddings e_m, e_c (the target's from its known cells only: zero at K = 0, so its factors x_m
    speak), model factors x_m and cell features z_c; one hidden ReLU layer, full-batch Adam, an L2 penalty.

    Parameters
    ----------
    emb : int, default=4
    hidden : int, default=16
    epochs : int, default=300
    lr : float, default=0.02
    l2 : float, default=1e-3
    max_cells : int, default=400
        Cells trained on (a seeded sample, plus the target's known cells) when there are more.
    link : {"auto", "logit", "identity"}, default="auto"
    random_state : int, default=0
    """

    def __init__(self, emb=4, hidden=16, epochs=300, lr=0.02, l2=1e-3, max_cells=400, link="auto", random_state=0):
        self.emb, self.hidden, self.epochs, self.lr, self.l2 = emb, hidden, epochs, lr, l2
        self.max_cells, self.link, self.random_state = max_cells, link, random_state

    def _init(self, rng, n, m, d_side, mu0, t):
        d_in = 2 * self.emb + d_side
        p = {"Em": 0.01 * rng.standard_normal((n, self.emb)), "Ec": 0.01 * rng.standard_normal((m, self.emb)),
             "bm": np.zeros(n), "bc": mu0.copy(),
             "W1": rng.standard_normal((d_in, self.hidden)) * math.sqrt(2.0 / d_in), "c1": np.zeros(self.hidden),
             "w2": rng.standard_normal(self.hidden) * math.sqrt(1.0 / self.hidden), "c2": np.zeros(1)}
        p["Em"][t] = 0.0
        return p

    @staticmethod
    def _forward(p, X, C, I, J):
        inputs = np.hstack([p["Em"][I], p["Ec"][J], X[I], C[J]])
        h = inputs @ p["W1"] + p["c1"]
        a = np.maximum(h, 0)
        return p["bc"][J] + p["bm"][I] + a @ p["w2"] + p["c2"][0], (inputs, h, a)

    def _gradients(self, p, X, C, ii, jj, y, n, m):
        out, (inputs, h, a) = self._forward(p, X, C, ii, jj)
        g = 2.0 * (out - y) / len(y)
        grads = {"c2": np.array([g.sum()]), "w2": a.T @ g}
        gh = np.outer(g, p["w2"]) * (h > 0)
        grads["W1"], grads["c1"] = inputs.T @ gh, gh.sum(axis=0)
        g_in = gh @ p["W1"].T
        e = self.emb
        grads["Em"] = np.column_stack([np.bincount(ii, weights=g_in[:, k], minlength=n) for k in range(e)])
        grads["Ec"] = np.column_stack([np.bincount(jj, weights=g_in[:, e + k], minlength=m) for k in range(e)])
        grads["bm"] = np.bincount(ii, weights=g, minlength=n)
        grads["bc"] = np.bincount(jj, weights=g, minlength=m)
        for k in ("Em", "Ec", "bm", "W1", "w2"):
            grads[k] = grads[k] + 2 * self.l2 * p[k]
        return grads

    def _fit(self, Y, factors, cell_features, t):
        link = resolve_link(self.link, Y)
        Z = forward(Y, link)
        n, m = Z.shape
        rng = np.random.default_rng(self.random_state)
        X, C = model_design(factors)[0], cell_matrix(cell_features, m)
        known = ~np.isnan(Z)
        if m > self.max_cells:
            keep = np.zeros(m, bool)
            keep[rng.choice(m, self.max_cells, replace=False)] = True
            known = known & (keep | known[t])[None, :]
        ii, jj = np.nonzero(known)
        p = self._init(rng, n, m, X.shape[1] + C.shape[1], cell_means(Z), t)
        moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in p.items()}
        b1, b2 = 0.9, 0.999
        for step in range(1, self.epochs + 1):
            grads = self._gradients(p, X, C, ii, jj, Z[ii, jj], n, m)
            for k in p:
                m1 = b1 * moments[k][0] + (1 - b1) * grads[k]
                m2 = b2 * moments[k][1] + (1 - b2) * grads[k] ** 2
                moments[k] = (m1, m2)
                p[k] = p[k] - self.lr * (m1 / (1 - b1 ** step)) / (np.sqrt(m2 / (1 - b2 ** step)) + 1e-8)
        self.pred_ = inverse(self._forward(p, X, C, np.full(m, t), np.arange(m))[0], link)
