"""Factor importance as CPP reports it: exact Shapley values of the factor groups (model size, model family, the
proxies' scores, the target's known-cell statistics, typology, task, document features).

The game: a coalition S of groups is worth minus the cross-validated MAE of ``ProxyBoost`` refitted on the features
of S alone (the empty coalition predicts the mean label). With at most 7 groups that is at most 128 coalitions,
computed exactly; each group's value is its share of the error reduction from no factors to all.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .base import check_problem
from .proxy_boost import FACTOR_GROUPS, ProxyBoost
from .validation import cv_error, simulate
from ._matrix import revealed

__all__ = ["factor_groups", "factor_shapley", "mean_shapley", "shapley_values"]


def shapley_values(value, players) -> dict:
    """Exact Shapley values of ``players`` for the coalition function ``value(frozenset) -> float``."""
    players = list(players)
    n = len(players)
    cache: dict = {}

    def v(coalition):
        if coalition not in cache:
            cache[coalition] = value(coalition)
        return cache[coalition]

    out = {}
    for player in players:
        rest = [p for p in players if p != player]
        total = 0.0
        for r in range(len(rest) + 1):
            weight = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
            for coalition in itertools.combinations(rest, r):
                total += weight * (v(frozenset(coalition) | {player}) - v(frozenset(coalition)))
        out[player] = total
    return out


def factor_groups(estimator: ProxyBoost, scores, factors, cell_features, target) -> list[str]:
    """The factor groups ``estimator`` has features of on this problem (no fit needed), in ``FACTOR_GROUPS`` order."""
    present = set(estimator.design(scores, factors, cell_features, target)[2])
    return [g for g in FACTOR_GROUPS if g in present]


def factor_shapley(scores, factors, cell_features, target, *, params=None, max_sim=2, folds=2) -> dict:
    """Exact Shapley values of the factor groups for one problem: each group's reduction of ``ProxyBoost``'s
    cross-validated MAE (``validation.simulate`` with ``max_sim`` simulated models and ``folds`` folds).

    Returns ``{"groups": {group: value}, "mae_none": ..., "mae_all": ...}``; the values sum to mae_none - mae_all.
    The target's known-cell statistics are a player only when it has known cells.
    """
    Y, factors, cell_features, t = check_problem(scores, factors, cell_features, target)
    params = {"n_estimators": 50, "max_cells": 400, **(params or {})}
    players = factor_groups(ProxyBoost(**params), Y, factors, cell_features, t)
    if not len(revealed(Y, t)):
        players = [g for g in players if g != "known_stats"]

    memo: dict = {}

    def value(coalition) -> float:
        if coalition not in memo:
            est = ProxyBoost(**{**params, "groups": sorted(coalition)})
            cv = simulate(est, Y, factors, cell_features, t, max_sim=max_sim, folds=folds)
            memo[coalition] = -cv_error(cv, len(revealed(Y, t)))
        return memo[coalition]

    values = shapley_values(value, players)
    none, every = -value(frozenset()), -value(frozenset(players))
    return {"groups": {g: float(values[g]) for g in players}, "mae_none": float(none), "mae_all": float(every)}


def mean_shapley(results: list[dict]) -> dict:
    """The mean of several ``factor_shapley`` results (groups missing from one count as 0 there)."""
    groups = [g for g in FACTOR_GROUPS if any(g in r["groups"] for r in results)]
    return {"groups": {g: float(np.mean([r["groups"].get(g, 0.0) for r in results])) for g in groups},
            "mae_none": float(np.mean([r["mae_none"] for r in results])),
            "mae_all": float(np.mean([r["mae_all"] for r in results]))}
