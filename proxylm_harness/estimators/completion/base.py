"""The one interface of every completion estimator, its checks, and the registry that names them.

An estimator completes one model's row of a models x cells score matrix::

    est = get_completion_estimator("stack")            # or any registered name, or a class
    est.fit(scores, factors, cell_features, target)     # scores: models x cells, NaN unknown
    est.predict()                                       # (n_cells,) estimates of the target's row

``__init__`` only stores parameters (scikit-learn's habit, so ``clone`` and ``get_params`` work); ``fit`` checks
its inputs, sets fitted attributes ending in ``_`` and returns ``self``; ``predict`` takes no input, because the
problem *is* the target's row. Every estimator is deterministic given its ``random_state`` (where it has one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..._registry import Registry

__all__ = ["BASELINES", "COMPLETION_ESTIMATORS", "CompletionError", "CompletionEstimator", "DEFAULT_ESTIMATOR",
           "check_problem", "completion_estimator_names", "get_completion_estimator", "register_completion_estimator"]


class CompletionError(ValueError):
    """A completion request that cannot be served (an unknown target or estimator, too few models, ...)."""


def check_problem(scores, factors, cell_features, target) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame, int]:
    """``(Y, factors, cell_features, t)`` checked: Y a float array (models x cells), one factor row per model with a
    positive ``params_b`` and a ``family``, one cell-feature row per cell, and ``t`` the target's row index."""
    labels = list(scores.index) if isinstance(scores, pd.DataFrame) else None
    Y = np.array(scores, dtype=float, copy=True)
    if Y.ndim != 2 or Y.shape[0] < 2 or Y.shape[1] < 1:
        raise CompletionError(f"scores must be a models x cells matrix with at least 2 models and 1 cell. "
                              f"Got shape {Y.shape} instead.")
    if np.isinf(Y).any():
        raise CompletionError("scores must be finite or NaN (unknown). Got an infinite value instead.")
    if not isinstance(factors, pd.DataFrame) or not {"params_b", "family"} <= set(factors.columns):
        raise CompletionError("factors must be a DataFrame with columns 'params_b' and 'family'.")
    if labels is not None and set(labels) <= set(factors.index):
        factors = factors.loc[labels]
    if len(factors) != Y.shape[0]:
        raise CompletionError(f"factors must have one row per model ({Y.shape[0]}). Got {len(factors)} instead.")
    params = pd.to_numeric(factors["params_b"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(params) & (params > 0)).all():
        raise CompletionError("factors' params_b must be a positive number for every model. Got "
                              f"{factors['params_b'].tolist()[:10]} instead.")
    factors = factors.reset_index(drop=True).assign(params_b=params, family=factors["family"].astype(str).to_numpy())
    if cell_features is None:
        cell_features = pd.DataFrame(index=range(Y.shape[1]))
    cell_features = pd.DataFrame(cell_features).reset_index(drop=True)
    if len(cell_features) != Y.shape[1]:
        raise CompletionError(f"cell_features must have one row per cell ({Y.shape[1]}). "
                              f"Got {len(cell_features)} instead.")
    return Y, factors, cell_features, _target_index(target, labels, Y.shape[0])


def _target_index(target, labels, n_models: int) -> int:
    if labels is not None and target in labels:
        return labels.index(target)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) and 0 <= target < n_models:
        return int(target)
    raise CompletionError(f"target must be a row of scores (a label or an index below {n_models}). "
                          f"Got {target!r} instead.")


class CompletionEstimator(BaseEstimator):
    """Base class: subclasses implement ``_fit(Y, factors, cell_features, t)``, which sets ``pred_`` (n_cells,)."""

    def fit(self, scores, factors, cell_features, target):
        """Fit on a problem (see ``check_problem``) and return ``self``."""
        Y, factors, cell_features, t = check_problem(scores, factors, cell_features, target)
        self._fit(Y, factors, cell_features, t)
        self.n_cells_ = Y.shape[1]
        return self

    def _fit(self, Y, factors, cell_features, t):  # pragma: no cover - interface
        raise NotImplementedError

    def predict(self) -> np.ndarray:
        """The estimates of every cell of the target's row (its known cells included)."""
        if not hasattr(self, "pred_"):
            raise CompletionError(f"This {type(self).__name__} is not fitted yet; call fit first.")
        return np.array(self.pred_, dtype=float, copy=True)


#: Point estimators by name, each a class or a factory taking keyword parameters; the intervals wrap any of them.
COMPLETION_ESTIMATORS = Registry("completion estimator", error=CompletionError)
_BUILT_IN = {
    "stack": "stack:StackedCompletion",
    "cg_factor": "gaussian:cg_factor",
    "cg_full": "gaussian:cg_full",
    "cg_consensus": "gaussian:cg_consensus",
    "family_scaling": "gaussian:FactorPrior",
    "factor_mf": "collaborative:FactorMF",
    "factor_ncf": "collaborative:FactorNCF",
    "proxy_boost": "proxy_boost:ProxyBoost",
    "cell_mean": "baselines:CellMeanOffset",
    "nearest_model": "baselines:NearestModel",
    "ridge_on_models": "baselines:RidgeOnModels",
    "zscore_als": "baselines:ZScoreALS",
    "family_log_size": "baselines:FamilyLogSize",
}
for _name, _where in _BUILT_IN.items():
    COMPLETION_ESTIMATORS.register_lazy(_name, f"{__package__}.{_where}")

#: The estimator ``complete`` uses unless told otherwise.
DEFAULT_ESTIMATOR = "stack"
#: The benchmark's baselines, as the issue letters them: (a) cell mean + offset, (b) nearest model + offset,
#: (c) ridge on the other models, (d) rank-3 ALS on the z-scored matrix, (e) family log-size fit (K = 0 only).
BASELINES = {"a": "cell_mean", "b": "nearest_model", "c": "ridge_on_models", "d": "zscore_als", "e": "family_log_size"}


def register_completion_estimator(name: str):
    """Decorator: make a class (or a factory of keyword parameters) available as ``get_completion_estimator(name)``."""
    return COMPLETION_ESTIMATORS.register(name)


def completion_estimator_names() -> list[str]:
    return COMPLETION_ESTIMATORS.names()


def get_completion_estimator(name: str, **params) -> CompletionEstimator:
    """A new estimator of the registered ``name`` with ``params``; an unknown name says which are known."""
    return COMPLETION_ESTIMATORS.get(name)(**params)
