"""The reveal-K protocol of completion: hide a fully known model's row but K of its cells, complete it, score it.

For each target model whose cells are all known, and each seed, a seeded random order of its cells is drawn and
its first K cells are revealed (so the reveals are nested over K; K = 0 does not depend on the seed: one problem
per target). Two pools of other models: ``all`` of them, and ``proxies`` (models of at most 1 B parameters,
ProxyLM's setting; its targets are the larger models). The other models of the pool are fully known. Every method
scored on a problem sees the same problem.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..estimators.metrics import coverage, mae, mean_width, spearman

__all__ = ["KS", "POOLS", "PROXY_MAX_PARAMS", "RevealProblem", "aggregate", "make_problem", "pool_rows",
           "problem_metrics", "reveal_order", "reveal_problems", "targets_for"]

PROXY_MAX_PARAMS = 1.0
KS = (0, 3, 5, 10)
POOLS = ("all", "proxies")


@dataclass
class RevealProblem:
    """One completion problem: ``Y`` holds the pool's rows, the target's (``t``) with only the ``revealed`` cells."""

    dataset: str
    pool: str
    target: str
    seed: int
    K: int
    Y: np.ndarray
    factors: object
    features: object
    t: int
    truth: np.ndarray
    revealed: np.ndarray
    hidden: np.ndarray


def pool_rows(factors, pool: str, target: int) -> list[int]:
    """The rows of ``pool`` ("all", or "proxies": the models of at most 1 B parameters), the target's kept."""
    if pool == "all":
        return list(range(len(factors)))
    if pool != "proxies":
        raise ValueError(f"pool must be 'all' or 'proxies'. Got {pool!r} instead.")
    small = [i for i in range(len(factors)) if factors["params_b"].iloc[i] <= PROXY_MAX_PARAMS]
    return sorted(set(small) | {target})


def targets_for(Y: np.ndarray, factors, pool: str) -> list[int]:
    """The rows that can be targets: fully known, and (pool ``proxies``) larger than a proxy."""
    complete = [i for i in range(Y.shape[0]) if not np.isnan(Y[i]).any()]
    if pool == "all":
        return complete
    return [i for i in complete if factors["params_b"].iloc[i] > PROXY_MAX_PARAMS]


def reveal_order(dataset: str, target: str, seed: int, n_cells: int) -> np.ndarray:
    """The seeded random order of the cells; the first K are revealed."""
    return np.random.default_rng(zlib.crc32(f"{dataset}|{target}|{seed}".encode())).permutation(n_cells)


def make_problem(data: dict, pool: str, target: int, seed: int, revealed) -> RevealProblem:
    """The problem of ``target`` (a row of ``data["Y"]``) in ``pool`` with the cells ``revealed`` known."""
    rows = pool_rows(data["factors"], pool, target)
    Y = data["Y"][rows].copy()
    t = rows.index(target)
    truth = Y[t].copy()
    revealed = np.asarray(revealed, dtype=int)
    Y[t, :] = np.nan
    Y[t, revealed] = truth[revealed]
    hidden = np.setdiff1d(np.arange(Y.shape[1]), revealed)
    return RevealProblem(data["name"], pool, data["models"][target], seed, len(revealed), Y,
                         data["factors"].iloc[rows].reset_index(drop=True), data["features"], t, truth, revealed,
                         hidden)


def reveal_problems(data: dict, pool: str, K: int, seeds: int):
    """Every problem of (data set, pool, K): each target x seed (one seed at K = 0)."""
    for target in targets_for(data["Y"], data["factors"], pool):
        for seed in ([0] if K == 0 else range(seeds)):
            order = reveal_order(data["name"], data["models"][target], seed, data["Y"].shape[1])
            yield make_problem(data, pool, target, seed, order[:K])


def problem_metrics(pred, truth, hidden, lower=None, upper=None) -> dict:
    """MAE, MSE, Spearman (and coverage, width with an interval) over the hidden cells of one problem."""
    y, p = truth[hidden], pred[hidden]
    out = {"mae": mae(y, p), "mse": float(np.mean((p - y) ** 2)), "spearman": spearman(y, p)}
    if lower is not None:
        out["coverage"] = coverage(y, lower[hidden], upper[hidden])
        out["width"] = mean_width(lower[hidden], upper[hidden])
    return out


def aggregate(rows: list[dict]) -> dict:
    """Per-problem metrics averaged over problems; RMSE = sqrt(mean per-problem MSE)."""
    out = {}
    for key in rows[0]:
        values = np.array([r[key] for r in rows], dtype=float)
        out[key] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    out["rmse"] = float(np.sqrt(out.pop("mse")))
    out["n_problems"] = len(rows)
    return out
