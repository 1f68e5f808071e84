"""Polynomial regression: standardised features and their element-wise powers, fitted with ElasticNet."""

from __future__ import annotations

from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.linear_model import ElasticNet
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils._param_validation import Interval

from . import register_regressor
from ..._io import read_npz, write_npz
from .base import ProxyRegressor

ARRAYS_FILE = "poly.npz"


def _standardise(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales (standard deviations; 1 where a column is constant)."""
    mean = A.mean(axis=0) if len(A) else np.zeros(A.shape[1])
    scale = A.std(axis=0) if len(A) else np.ones(A.shape[1])
    scale[~(scale > 10 * np.finfo(np.float64).eps)] = 1.0
    return mean, scale


@register_regressor("poly")
class PolyRegressor(ProxyRegressor):
    """ElasticNet on polynomial features, as ProxyLM's polynomial regressor.

    The steps: columns with more than two distinct training values are standardised, their element-wise
    powers 1..``degree`` are appended (no cross terms, as ProxyLM; ``interactions=True`` uses all
    monomials of :class:`sklearn.preprocessing.PolynomialFeatures` instead), the result is standardised
    again, columns with at most two distinct values (flags such as ``eng_target``) are appended as they
    are, and an ElasticNet is fitted.

    Parameters
    ----------
    degree : int, default=2
        Highest power (2 or 3 in ProxyLM; 1 gives a linear model).
    interactions : bool, default=False
        Also use products of different columns (all monomials up to ``degree``).
    alpha : float, default=0.1
        ElasticNet penalty strength (ProxyLM: 0.1).
    l1_ratio : float, default=0.9
        ElasticNet mix of L1 and L2 penalties (ProxyLM: 0.9).
    max_iter : int, default=10000
        Coordinate-descent iterations.
    tol : float, default=1e-4
        Coordinate-descent tolerance.
    random_state : int, RandomState or None, default=0
        Accepted for a uniform interface; cyclic coordinate descent is deterministic and uses no seed.

    Attributes
    ----------
    passthrough_ : ndarray of bool, shape (n_features_in_,)
        Columns passed through unchanged (at most two distinct training values).
    input_mean_, input_scale_ : ndarray
        Standardisation of the other columns.
    power_mean_, power_scale_ : ndarray
        Standardisation of their powers (or monomials).
    coef_ : ndarray
        ElasticNet coefficients: powers first, then the passed-through columns.
    intercept_ : float
        ElasticNet intercept.
    n_iter_ : int
        Coordinate-descent iterations ElasticNet ran.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from proxylm_harness.estimators.regressors import PolyRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([rng.uniform(-1, 1, size=200), rng.integers(0, 2, size=200)])
    >>> y = 3 * X[:, 0] ** 2 + 2 * X[:, 1]
    >>> est = PolyRegressor(alpha=0.001).fit(X, y)
    >>> est.passthrough_.tolist()
    [False, True]
    >>> bool(np.sqrt(np.mean((est.predict(X) - y) ** 2)) < 0.1)
    True
    """

    #: Degree x penalty strength (6 combinations).
    param_grid = {"degree": [2, 3], "alpha": [0.01, 0.1, 1.0]}

    _parameter_constraints = {
        "degree": [Interval(Integral, 1, None, closed="left")],
        "interactions": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, degree=2, interactions=False, alpha=0.1, l1_ratio=0.9, max_iter=10000, tol=1e-4,
                 random_state=0):
        self.degree = degree
        self.interactions = interactions
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on ``X`` (array or DataFrame, no missing values) and ``y``; returns ``self``."""
        X, y = self._validate_fit(X, y, dtype=np.float64)
        self.passthrough_ = np.array([np.unique(X[:, j]).size <= 2 for j in range(X.shape[1])], dtype=bool)
        self.input_mean_, self.input_scale_ = _standardise(X[:, ~self.passthrough_])
        powers = self._powers(X)
        self.power_mean_, self.power_scale_ = _standardise(powers)
        design = self._design(X, powers)
        model = ElasticNet(alpha=self.alpha, l1_ratio=self.l1_ratio, max_iter=self.max_iter, tol=self.tol,
                           random_state=self._seed())
        model.fit(design, y)
        self.coef_ = np.asarray(model.coef_, dtype=np.float64)
        self.intercept_ = float(model.intercept_)
        self.n_iter_ = int(model.n_iter_)
        return self

    def predict(self, X):
        """Predicted scores for the rows of ``X``."""
        X = self._validate_predict(X, dtype=np.float64)
        return self._design(X, self._powers(X)) @ self.coef_ + self.intercept_

    def _powers(self, X: np.ndarray) -> np.ndarray:
        Z = (X[:, ~self.passthrough_] - self.input_mean_) / self.input_scale_
        if self.interactions and Z.shape[1]:
            return PolynomialFeatures(self.degree, include_bias=False).fit_transform(Z)
        return np.hstack([Z**d for d in range(1, self.degree + 1)])

    def _design(self, X: np.ndarray, powers: np.ndarray) -> np.ndarray:
        return np.hstack([(powers - self.power_mean_) / self.power_scale_, X[:, self.passthrough_]])

    def _save_model(self, directory: Path) -> list[str]:
        write_npz(
            directory / ARRAYS_FILE,
            passthrough=self.passthrough_,
            input_mean=self.input_mean_,
            input_scale=self.input_scale_,
            power_mean=self.power_mean_,
            power_scale=self.power_scale_,
            coef=self.coef_,
            intercept=np.float64(self.intercept_),
            n_iter=np.int64(self.n_iter_),
        )
        return [ARRAYS_FILE]

    def _load_model(self, directory: Path) -> None:
        arrays = read_npz(directory / ARRAYS_FILE)
        self.passthrough_ = arrays["passthrough"].astype(bool)
        self.input_mean_ = arrays["input_mean"]
        self.input_scale_ = arrays["input_scale"]
        self.power_mean_ = arrays["power_mean"]
        self.power_scale_ = arrays["power_scale"]
        self.coef_ = arrays["coef"]
        self.intercept_ = float(arrays["intercept"])
        self.n_iter_ = int(arrays["n_iter"])
