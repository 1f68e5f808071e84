"""Gradient-boosted trees (XGBoost, ``hist``): the default regressor, tuned for many fast fits."""

from __future__ import annotations

from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import Interval

from . import register_regressor
from ..._io import atomic_path, readable
from .base import ProxyRegressor, resolve_monotone

MODEL_FILE = "model.ubj"
_FEW_ROWS = 4096


def _xgboost():
    import xgboost

    return xgboost


@register_regressor("xgb")
class XGBoostRegressor(ProxyRegressor):
    """XGBoost regression trees with defaults chosen for speed at ProxyLM's accuracy.

    ProxyLM tuned 2000-5000 trees at eta 0.01-0.1 (about 55 s a fit on two threads). Inside
    :class:`~proxylm_harness.estimators.ProxyPredictor` (which averages its fold models with the full
    model) 150 shallower trees at eta 0.1 on 60% of the columns and 70% of the rows are as accurate on
    every ProxyLM protocol (benchmarks/RESULTS.md) and fit in about 0.15 s on one thread, which matters
    when the benchmark fits thousands of times. Missing values (NaN) are allowed and handled by XGBoost.

    Parameters
    ----------
    n_estimators : int, default=150
        Number of boosting rounds (trees).
    learning_rate : float, default=0.1
        Shrinkage (XGBoost's ``eta``).
    max_depth : int, default=4
        Maximum depth of a tree.
    min_child_weight : float, default=5.0
        Minimum sum of hessians (here: rows) in a leaf.
    subsample : float, default=0.7
        Fraction of rows drawn for each tree.
    colsample_bytree : float, default=0.6
        Fraction of columns drawn for each tree.
    reg_alpha : float, default=0.2
        L1 penalty on leaf weights.
    reg_lambda : float, default=0.1
        L2 penalty on leaf weights.
    max_bin : int, default=128
        Histogram bins per feature.
    monotone_constraints : dict or None, default=None
        ``{feature: +1 or -1}``: the prediction is made non-decreasing (+1) or non-increasing (-1) in
        that feature, e.g. ``{"small100_ft_spBLEU_mean": 1}``. Keys are column names (fit on a
        DataFrame) or integer column positions.
    n_jobs : int, default=2
        Threads. When several processes share the cores, prefer ``n_jobs=1`` per process (or set
        ``OMP_WAIT_POLICY=passive``): OpenMP threads that spin on busy cores slow fits down by 50x.
    random_state : int, RandomState or None, default=0
        Seed of the row and column sampling; the same seed gives bit-identical predictions.

    Attributes
    ----------
    booster_ : xgboost.Booster
        The fitted trees.
    monotone_constraints_ : list of int or None
        One sign per column, as passed to XGBoost.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from proxylm_harness.estimators.regressors import XGBoostRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(200, 3))
    >>> y = 10 * X[:, 0] + X[:, 1]
    >>> est = XGBoostRegressor(n_estimators=100, learning_rate=0.1).fit(X, y)
    >>> bool(np.sqrt(np.mean((est.predict(X) - y) ** 2)) < 0.5)
    True
    """

    #: 4 combinations around the defaults: depth, and tree count traded against step size.
    param_grid = {"max_depth": [3, 5], "n_estimators": [150, 400]}

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "min_child_weight": [Interval(Real, 0, None, closed="left")],
        "subsample": [Interval(Real, 0, 1, closed="right")],
        "colsample_bytree": [Interval(Real, 0, 1, closed="right")],
        "reg_alpha": [Interval(Real, 0, None, closed="left")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "max_bin": [Interval(Integral, 2, None, closed="left")],
        "monotone_constraints": [dict, None],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_estimators=150,
        learning_rate=0.1,
        max_depth=4,
        min_child_weight=5.0,
        subsample=0.7,
        colsample_bytree=0.6,
        reg_alpha=0.2,
        reg_lambda=0.1,
        max_bin=128,
        monotone_constraints=None,
        n_jobs=2,
        random_state=0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the trees on ``X`` (array or DataFrame, NaN allowed) and ``y``; returns ``self``."""
        X, y = self._validate_fit(X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        xgb = _xgboost()
        self.monotone_constraints_ = resolve_monotone(
            self.monotone_constraints, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
        params = {
            "objective": "reg:squarederror",
            "tree_method": "hist",
            "eta": float(self.learning_rate),
            "max_depth": int(self.max_depth),
            "min_child_weight": float(self.min_child_weight),
            "subsample": float(self.subsample),
            "colsample_bytree": float(self.colsample_bytree),
            "alpha": float(self.reg_alpha),
            "lambda": float(self.reg_lambda),
            "max_bin": int(self.max_bin),
            "nthread": int(self.n_jobs),
            "seed": self._seed(),
            "verbosity": 0,
        }
        if self.monotone_constraints_ is not None:
            params["monotone_constraints"] = "(" + ",".join(map(str, self.monotone_constraints_)) + ")"
        dtrain = xgb.DMatrix(X, label=y, nthread=int(self.n_jobs))
        self.booster_ = xgb.train(params, dtrain, num_boost_round=int(self.n_estimators))
        return self

    def predict(self, X):
        """Predicted scores (float64) for the rows of ``X``."""
        X = self._validate_predict(X, ensure_all_finite="allow-nan", dtype=np.float64)
        # A few rows are predicted ~10x faster on one thread than on two busy ones (OpenMP start-up); the
        # result does not depend on the thread count.
        self.booster_.set_param({"nthread": 1 if X.shape[0] < _FEW_ROWS else int(self.n_jobs)})
        return np.asarray(self.booster_.inplace_predict(X), dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _save_model(self, directory: Path) -> list[str]:
        with atomic_path(directory / MODEL_FILE) as tmp:
            self.booster_.save_model(str(tmp))
        return [MODEL_FILE]

    def _load_model(self, directory: Path) -> None:
        xgb = _xgboost()
        booster = xgb.Booster()
        booster.load_model(str(readable(directory / MODEL_FILE)))
        booster.set_param({"nthread": int(self.n_jobs)})
        self.booster_ = booster
        self.monotone_constraints_ = resolve_monotone(
            self.monotone_constraints, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
