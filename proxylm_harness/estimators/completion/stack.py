"""The chooser: member estimators weighted per target by their cross-validated errors on the problem itself."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from .base import CompletionEstimator
from .collaborative import FactorMF
from .gaussian import cg_consensus, cg_factor, cg_full
from .validation import simulate
from ._matrix import revealed

__all__ = ["StackedCompletion", "default_members"]


def default_members() -> list:
    """The default stack: the factor prior conditioned on the known cells, the same with offset, scale, consensus
    and cell-feature components, the consensus prior with them, and CPP's factor MF."""
    return [("cg_factor", cg_factor()), ("cg_full", cg_full()), ("cg_consensus", cg_consensus()),
            ("factor_mf", FactorMF())]


class StackedCompletion(CompletionEstimator):
    """Members weighted by cross-validation on the problem (``validation.simulate``): other models completed from
    the target's known cells (when at least ``min_sim_pool`` models remain to learn from; each counts one unit) and
    folds over the target's own known cells (K >= 3; K units in all).

    ``mode="weight"`` (default): weights proportional to 1 / MAE^2, mixed with the prior weights in the ratio
    units : ``prior_units``, so that thin evidence (K = 3 in a two-model pool) keeps the prior. ``mode="select"``:
    the member of least CV MAE. Prior weights: ``default_k0`` at K = 0 (factors speak); at K > 0 uniform, or
    ``default_k`` when too few models remain to simulate on (the factor prior would extrapolate unchecked).

    Parameters
    ----------
    members : list of (name, estimator), optional
        Default: ``default_members()``.
    mode : {"weight", "select"}, default="weight"
    max_sim, min_sim_pool, folds : int, default=4, 3, 3
    prior_units : float, default=3.0
    default_k0, default_k : str, default="cg_factor", "cg_consensus"
    random_state : int, default=0

    Attributes
    ----------
    weights_ : dict
        Member name -> weight (they sum to 1).
    chosen_ : str
        The member of largest weight.
    scores_ : dict
        Member name -> cross-validated MAE (empty without evidence).
    cv_ : dict
        The mixture's cross-validated predictions, as ``simulate`` returns them (the intervals reuse them).
    """

    def __init__(self, members=None, mode="weight", max_sim=4, min_sim_pool=3, folds=3, prior_units=3.0,
                 default_k0="cg_factor", default_k="cg_consensus", random_state=0):
        self.members, self.mode, self.max_sim, self.min_sim_pool = members, mode, max_sim, min_sim_pool
        self.folds, self.prior_units, self.default_k0, self.default_k = folds, prior_units, default_k0, default_k
        self.random_state = random_state

    def _fit(self, Y, factors, cell_features, t):
        if self.mode not in ("weight", "select"):
            raise ValueError(f"mode must be 'weight' or 'select'. Got {self.mode!r} instead.")
        members = self.members if self.members is not None else default_members()
        names = [name for name, _ in members]
        K = len(revealed(Y, t))
        preds, cvs = {}, {}
        for name, est in members:
            preds[name] = clone(est).fit(Y, factors, cell_features, t).predict()
            cvs[name] = simulate(est, Y, factors, cell_features, t, max_sim=self.max_sim, folds=self.folds,
                                 random_state=self.random_state)
        first = cvs[names[0]]
        n_sim = len(first["sim"]) if first["n_pool"] >= self.min_sim_pool else 0
        n_loo = len(first["loo"][0])
        default = self.default_k0 if K == 0 else (self.default_k if n_sim == 0 else None)
        prior = np.array([1.0 if n == default else 0.0 for n in names])
        if prior.sum() == 0:
            prior[:] = 1.0 / len(names)
        self.scores_ = self._scores(names, cvs, n_sim, K)
        if self.scores_:
            mae = np.array([self.scores_[n] for n in names])
            if self.mode == "select":
                w = (np.arange(len(names)) == int(np.argmin(mae))).astype(float)
            else:
                w = 1.0 / np.maximum(mae, 1e-9) ** 2
                share = (n_sim + (K if n_loo else 0)) / (n_sim + (K if n_loo else 0) + self.prior_units)
                w = share * w / w.sum() + (1 - share) * prior
        else:
            w = prior
        self.weights_ = {n: float(x) for n, x in zip(names, w)}
        self.chosen_ = names[int(np.argmax(w))]
        self.pred_ = sum(self.weights_[n] * preds[n] for n in names)
        self.cv_ = self._mixture_cv(names, cvs)

    def _scores(self, names, cvs, n_sim, K) -> dict:
        """Each member's weighted CV MAE over the first ``n_sim`` simulated models and the target's folds."""
        errors, weights = [], []
        for i in range(n_sim):
            cells = cvs[names[0]]["sim"][i][0]
            errors.append(np.column_stack([cvs[n]["sim"][i][1] - cvs[n]["sim"][i][2] for n in names]))
            weights.append(np.full(len(cells), 1.0 / len(cells)))
        cells = cvs[names[0]]["loo"][0]
        if len(cells):
            errors.append(np.column_stack([cvs[n]["loo"][1] - cvs[n]["loo"][2] for n in names]))
            weights.append(np.full(len(cells), K / len(cells)))
        if not errors:
            return {}
        E, v = np.vstack(errors), np.concatenate(weights)
        return dict(zip(names, (v[:, None] * np.abs(E)).sum(axis=0) / v.sum()))

    def _mixture_cv(self, names, cvs) -> dict:
        first = cvs[names[0]]
        mix = lambda part: sum(self.weights_[n] * part(cvs[n]) for n in names)  # noqa: E731
        sim = [(first["sim"][i][0], mix(lambda c: c["sim"][i][1]), first["sim"][i][2]) for i in range(len(first["sim"]))]
        loo = first["loo"]
        if len(loo[0]):
            loo = (loo[0], mix(lambda c: c["loo"][1]), loo[2])
        return {"sim": sim, "loo": loo, "n_pool": first["n_pool"]}
