"""Proxy / feature regression as ProxyLM does it, across models: gradient-boosted trees (the package's ``xgb``
regressor) over (model, cell) rows, with the proxies' scores in the same cell as features, trained on the *other*
models, so that it serves a target with no records of its own."""

from __future__ import annotations

import numpy as np

from ...features.cells import cell_feature_group
from .base import CompletionEstimator
from ._matrix import fill_rows, model_design, others, revealed

__all__ = ["FACTOR_GROUPS", "ProxyBoost"]

#: The factor groups of the Shapley analysis (CPP's factor importance), in the order tables show them.
FACTOR_GROUPS = ("model_size", "model_family", "proxies", "known_stats", "typology", "task", "document")


class ProxyBoost(CompletionEstimator):
    """Gradient-boosted trees over (model, cell) rows: every other model x cell (at most ``max_cells`` cells, a
    seeded sample) plus the target's known cells (repeated ``target_weight`` times).

    Features of row (m, c), by factor group:

    - ``proxies``: the proxies' scores in c (proxies: the other models of at most ``proxy_max_params`` billion
      parameters; a proxy's own column is NaN on its own rows) and the mean of the other models in c;
    - ``model_size``, ``model_family``: log-size and family one-hot of m;
    - ``known_stats``: m's mean over the *target's known cells R*, and the proxies' mean there (the same cells for
      every model, so training rows and the target agree; NaN at K = 0);
    - ``typology``, ``task``, ``document``: the cell features of c (``features.cell_feature_group``).

    The label is y_mc minus m's mean over R (trees cannot extrapolate a level); the target's estimate adds its own
    mean back. ``groups`` keeps only the named groups (the Shapley coalitions); None keeps all.

    Parameters
    ----------
    n_estimators : int, default=200
    max_depth : int, default=3
    learning_rate : float, default=0.05
    subsample : float, default=0.8
    proxy_max_params : float, default=1.0
    max_cells : int, default=800
    target_weight : int, default=5
    groups : sequence of str or None, default=None
    random_state : int, default=0

    Attributes
    ----------
    regressor_ : XGBoostRegressor or None
    feature_names_, feature_groups_ : list of str
    X_target_ : ndarray
        The target's feature rows, one per cell (for ``xgboost``'s ``pred_contribs``).
    """

    def __init__(self, n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8, proxy_max_params=1.0,
                 max_cells=800, target_weight=5, groups=None, random_state=0):
        self.n_estimators, self.max_depth, self.learning_rate = n_estimators, max_depth, learning_rate
        self.subsample, self.proxy_max_params, self.max_cells = subsample, proxy_max_params, max_cells
        self.target_weight, self.groups, self.random_state = target_weight, groups, random_state

    def design(self, Y, factors, cell_features, t):
        """``block(model, cells) -> rows``, the names and groups of its columns, the row means over R."""
        n, m = Y.shape
        rows = others(Y, t)
        full = np.full((n, m), np.nan)
        full[rows] = fill_rows(Y, rows)
        params = np.asarray(factors["params_b"], float)
        proxies = [j for j in rows if params[j] <= self.proxy_max_params]
        R = revealed(Y, t)
        Xm, model_names = model_design(factors)
        C = np.asarray(cell_features, dtype=float).reshape(m, -1)
        colsum = full[rows].sum(axis=0)
        row_mean = np.full(n, np.nan)
        if len(R):
            row_mean[rows] = full[rows][:, R].mean(axis=1)
            row_mean[t] = Y[t, R].mean()
        proxy_mean = float(np.mean(full[np.ix_(proxies, R)])) if (len(R) and proxies) else np.nan

        def block(model, cells):
            k = len(cells)
            columns = [np.where(j == model, np.nan, full[j, cells]) for j in proxies]
            if model == t:
                columns.append(colsum[cells] / max(len(rows), 1))
            elif len(rows) > 1:
                columns.append((colsum[cells] - full[model, cells]) / (len(rows) - 1))
            else:
                columns.append(np.full(k, np.nan))
            columns += [np.full(k, row_mean[model]), np.full(k, proxy_mean)]
            return np.hstack([np.column_stack(columns), np.repeat(Xm[model][None, :], k, axis=0), C[cells]])

        names = ([f"proxy:{j}" for j in proxies] + ["cell_mean_others", "known_mean", "proxies_known_mean"]
                 + model_names + [str(c) for c in cell_features.columns])
        groups = (["proxies"] * (len(proxies) + 1) + ["known_stats"] * 2 + ["model_size"]
                  + ["model_family"] * (len(model_names) - 1) + [cell_feature_group(str(c)) for c in cell_features.columns])
        return block, names, groups, row_mean, R, rows

    def _fit(self, Y, factors, cell_features, t):
        from ..regressors.xgb import XGBoostRegressor

        m = Y.shape[1]
        rng = np.random.default_rng(self.random_state)
        block, names, groups, row_mean, R, rows = self.design(Y, factors, cell_features, t)
        cells = np.arange(m) if m <= self.max_cells else np.sort(rng.choice(m, self.max_cells, replace=False))
        level = (lambda j: row_mean[j]) if len(R) else (lambda j: 0.0)  # noqa: E731
        X = [block(j, cells) for j in rows]
        y = [Y[j, cells] - level(j) for j in rows]  # an unknown score is no label (its row is dropped below)
        if len(R):
            X += [block(t, R)] * int(self.target_weight)
            y += [Y[t, R] - level(t)] * int(self.target_weight)
        X, y = np.vstack(X), np.concatenate(y)
        X, y = X[~np.isnan(y)], y[~np.isnan(y)]
        X_target = block(t, np.arange(m))
        keep = [i for i, g in enumerate(groups) if self.groups is None or g in set(self.groups)]
        self.feature_names_, self.feature_groups_ = [names[i] for i in keep], [groups[i] for i in keep]
        self.X_target_ = X_target[:, keep]
        if not keep:  # the empty coalition: the mean label
            self.regressor_ = None
            self.pred_ = np.full(m, float(np.mean(y))) + level(t)
            return
        self.regressor_ = XGBoostRegressor(
            n_estimators=self.n_estimators, max_depth=self.max_depth, learning_rate=self.learning_rate,
            subsample=self.subsample, colsample_bytree=1.0, min_child_weight=1.0, reg_alpha=0.0, reg_lambda=1.0,
            max_bin=256, n_jobs=1, random_state=self.random_state).fit(X[:, keep], y)
        self.pred_ = self.regressor_.predict(self.X_target_) + level(t)

    def contributions(self) -> dict:
        """TreeSHAP contributions (xgboost's ``pred_contribs``) of each factor group to each cell's estimate."""
        import xgboost

        if self.regressor_ is None:
            return {}
        values = self.regressor_.booster_.predict(xgboost.DMatrix(self.X_target_), pred_contribs=True)[:, :-1]
        groups = np.array(self.feature_groups_)
        return {g: values[:, groups == g].sum(axis=1) for g in FACTOR_GROUPS if (groups == g).any()}
