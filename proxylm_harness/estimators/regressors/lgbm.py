"""Gradient-boosted trees with LightGBM (optional dependency: ``pip install proxylm-harness[lgbm]``)."""

from __future__ import annotations

from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import Interval

from . import register_regressor
from ..._io import atomic_path, readable
from .base import ProxyRegressor, resolve_monotone

MODEL_FILE = "model.txt"


def _lightgbm():
    try:
        import lightgbm
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The 'lgbm' regressor needs LightGBM: install proxylm-harness[lgbm] (pip install lightgbm)."
        ) from err
    return lightgbm


@register_regressor("lgbm")
class LightGBMRegressor(ProxyRegressor):
    """LightGBM regression trees, deterministic (``deterministic=True``, row-wise histograms).

    LightGBM is imported only when the estimator is fitted or loaded, so the package imports without
    it. Missing values (NaN) are allowed and handled by LightGBM.

    Parameters
    ----------
    n_estimators : int, default=300
        Number of boosting rounds (trees).
    learning_rate : float, default=0.05
        Shrinkage.
    num_leaves : int, default=31
        Maximum number of leaves in a tree.
    max_depth : int, default=-1
        Maximum tree depth (-1: no limit beyond ``num_leaves``).
    min_child_samples : int, default=20
        Minimum number of rows in a leaf.
    subsample : float, default=0.8
        Fraction of rows drawn for each tree (bagging, redrawn every tree).
    colsample_bytree : float, default=0.8
        Fraction of columns drawn for each tree.
    reg_alpha : float, default=0.1
        L1 penalty on leaf weights.
    reg_lambda : float, default=0.1
        L2 penalty on leaf weights.
    monotone_constraints : dict or None, default=None
        ``{feature: +1 or -1}``, as for :class:`XGBoostRegressor`.
    n_jobs : int, default=2
        Threads.
    random_state : int, RandomState or None, default=0
        Seed of bagging and column sampling; the same seed gives bit-identical predictions.

    Attributes
    ----------
    booster_ : lightgbm.Booster
        The fitted trees.
    monotone_constraints_ : list of int or None
        One sign per column, as passed to LightGBM.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from proxylm_harness.estimators.regressors import LightGBMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(200, 3))
    >>> y = 10 * X[:, 0] + X[:, 1]
    >>> est = LightGBMRegressor(n_estimators=100, learning_rate=0.1).fit(X, y)
    >>> bool(np.sqrt(np.mean((est.predict(X) - y) ** 2)) < 0.5)
    True
    """

    #: ProxyLM's grid was learning_rate x num_leaves (3 x 3); this keeps 6 of it.
    param_grid = {"learning_rate": [0.03, 0.05, 0.1], "num_leaves": [15, 31]}

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, None, closed="left")],
        "max_depth": [Integral],
        "min_child_samples": [Interval(Integral, 1, None, closed="left")],
        "subsample": [Interval(Real, 0, 1, closed="right")],
        "colsample_bytree": [Interval(Real, 0, 1, closed="right")],
        "reg_alpha": [Interval(Real, 0, None, closed="left")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "monotone_constraints": [dict, None],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        max_depth=-1,
        min_child_samples=20,
        subsample=0.8,
        colsample_bytree=0.8,
        reg_alpha=0.1,
        reg_lambda=0.1,
        monotone_constraints=None,
        n_jobs=2,
        random_state=0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the trees on ``X`` (array or DataFrame, NaN allowed) and ``y``; returns ``self``."""
        X, y = self._validate_fit(X, y, ensure_all_finite="allow-nan", dtype=np.float64, ensure_min_samples=2)
        lgb = _lightgbm()
        self.monotone_constraints_ = resolve_monotone(
            self.monotone_constraints, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
        params = {
            "objective": "regression",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "max_depth": int(self.max_depth),
            "min_child_samples": int(self.min_child_samples),
            "bagging_fraction": float(self.subsample),
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": float(self.colsample_bytree),
            "lambda_l1": float(self.reg_alpha),
            "lambda_l2": float(self.reg_lambda),
            "num_threads": int(self.n_jobs),
            "seed": self._seed(),
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }
        if self.monotone_constraints_ is not None:
            params["monotone_constraints"] = self.monotone_constraints_
        train = lgb.Dataset(X, label=y, params={"verbose": -1})
        self.booster_ = lgb.train(params, train, num_boost_round=int(self.n_estimators))
        return self

    def predict(self, X):
        """Predicted scores (float64) for the rows of ``X``."""
        X = self._validate_predict(X, ensure_all_finite="allow-nan", dtype=np.float64)
        return np.asarray(self.booster_.predict(X, num_threads=int(self.n_jobs)), dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _save_model(self, directory: Path) -> list[str]:
        with atomic_path(directory / MODEL_FILE) as tmp:
            self.booster_.save_model(str(tmp))
        return [MODEL_FILE]

    def _load_model(self, directory: Path) -> None:
        lgb = _lightgbm()
        self.booster_ = lgb.Booster(model_file=str(readable(directory / MODEL_FILE)))
        self.monotone_constraints_ = resolve_monotone(
            self.monotone_constraints, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
