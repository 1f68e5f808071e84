"""Intervals around any completion estimator: split-conformal on its cross-validated errors on the same problem,
widened (and flagged) when the target looks stronger than every model the estimator learns from."""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import clone

from .base import CompletionEstimator
from .stack import StackedCompletion
from .validation import conformal_quantile, cv_error, simulate, strongest_flag
from ._matrix import forward, inverse, is_unit, revealed

__all__ = ["ConformalCompletion", "default_estimator"]


class ConformalCompletion(CompletionEstimator):
    """``estimator``'s estimates with ``level`` intervals from its cross-validated errors (``validation.simulate``:
    other models completed from the target's known cells, and folds over those cells), combined n_sim : K.

    Residuals are taken on the logit scale for scores in [0, 1] (``link="auto"``), so intervals stay inside [0, 1]
    and narrow near the bounds. When the target looks stronger than every known model (``strongest_flag``), the
    simulated models (never stronger than what they learn from) cannot speak for it: the half-width is at least the
    quantile of the target's own fold residuals and, while K is too small for those alone to certify the level
    (K < level / (1 - level), i.e. 9 at 90%), it is multiplied by ``widen``. A stack's CV is reused, not rerun.

    Parameters
    ----------
    estimator : CompletionEstimator, default=None (``StackedCompletion()``)
    level : float, default=0.9
    max_sim, folds : int, default=4, 3
    widen : float, default=1.5
    link : {"auto", True, False}, default="auto"

    Attributes
    ----------
    estimator_ : the fitted estimator
    lower_, upper_ : ndarray
        The interval of every cell (a known cell's is its score).
    flag_ : bool
        Whether the target looks stronger than every known model; ``flag_reason_`` says why.
    q_ : float
        The conformal half-width (logit scale with the link; inf when there was nothing to calibrate on).
    cv_error_ : float
        The cross-validated MAE the interval was calibrated on (score scale).
    """

    def __init__(self, estimator=None, level=0.9, max_sim=4, folds=3, widen=1.5, link="auto"):
        self.estimator, self.level, self.max_sim, self.folds = estimator, level, max_sim, folds
        self.widen, self.link = widen, link

    def _fit(self, Y, factors, cell_features, t):
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1). Got {self.level!r} instead.")
        base = self.estimator if self.estimator is not None else StackedCompletion()
        est = clone(base).fit(Y, factors, cell_features, t)
        self.estimator_, self.pred_ = est, est.predict()
        link = is_unit(Y) if self.link == "auto" else bool(self.link)
        K = len(revealed(Y, t))
        cv = getattr(est, "cv_", None)
        if cv is None:
            cv = simulate(base, Y, factors, cell_features, t, max_sim=self.max_sim, folds=self.folds)
        q = conformal_quantile(cv, K, self.level, link)
        q = q if math.isfinite(q) else math.inf  # nothing to calibrate on: a single other model and K < 3
        self.flag_, self.flag_reason_ = strongest_flag(Y, factors, t)
        if self.flag_:
            own = conformal_quantile(cv, K, self.level, link, use=("loo",))
            if math.isfinite(own):
                q = max(q, own)
            if K < math.ceil(self.level / (1 - self.level) - 1e-9):
                q *= self.widen
        self.q_, self.link_, self.cv_error_ = q, link, cv_error(cv, K)
        self.lower_, self.upper_ = self._bounds(q, link)
        R = revealed(Y, t)
        self.pred_[R] = self.lower_[R] = self.upper_[R] = Y[t, R]

    def _bounds(self, q, link):
        if link:
            z = forward(self.pred_, "logit")
            with np.errstate(invalid="ignore"):
                return inverse(z - q, "logit"), inverse(z + q, "logit")
        return self.pred_ - q, self.pred_ + q

    def interval(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) of every cell."""
        self.predict()  # refuses when not fitted
        return self.lower_.copy(), self.upper_.copy()


def default_estimator(level: float = 0.9) -> ConformalCompletion:
    """The default: the stack of ``stack.default_members()`` with conformal intervals at ``level``."""
    return ConformalCompletion(StackedCompletion(), level=level)
