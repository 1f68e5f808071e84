"""``proxylm-harness benchmark --suite completion``: the reveal-K protocol on both data sets (lm-eval results of 14
models; ProxyLM's MASSIVE intent records), every estimator and baseline on the same reveals, with intervals, the
"strongest model" case, active choice of the revealed cells against random ones, and the Shapley table."""

from __future__ import annotations

import csv
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..estimators.completion.base import BASELINES, get_completion_estimator
from ..estimators.completion.conformal import ConformalCompletion
from .reveal_k import KS, POOLS, aggregate, make_problem, problem_metrics, reveal_problems, targets_for

__all__ = ["CompletionBenchmarkConfig", "DEFAULT_METHOD", "METHODS", "load_dataset", "run_completion_benchmark"]

DEFAULT_METHOD = "stack"
#: Every method the benchmark scores: the default, its members and the other estimators, then the baselines.
METHODS = (DEFAULT_METHOD, "cg_factor", "cg_full", "cg_consensus", "factor_mf", "family_scaling", "factor_ncf",
           "proxy_boost", *BASELINES.values())
#: Methods whose fits cost 5-10x the others: run on the first ``expensive_seeds`` seeds, with a lighter CV.
EXPENSIVE = {"factor_ncf": {"epochs": 150}, "proxy_boost": {"n_estimators": 100, "max_cells": 400}}
_CV = {"max_sim": 2, "folds": 3}
_LIGHT_CV = {"max_sim": 1, "folds": 2}


@dataclass(frozen=True)
class CompletionBenchmarkConfig:
    """What to run: the data (``lm_eval_results``: a folder ``<family>/<model>/*.json``; ``records``: ProxyLM's
    record files, of which ``intent_experiments.csv`` is read), seeds, K values, pools, data sets, and the parts."""

    lm_eval_results: str
    records: str
    seeds: int = 20
    ks: tuple = KS
    pools: tuple = POOLS
    datasets: tuple = ("lmeval", "massive")
    methods: tuple = METHODS
    expensive_seeds: int = 5
    active: bool = True
    shapley: bool = True
    shapley_k: int = 5
    shapley_seeds: int = 2
    level: float = 0.9


def _lmeval_matrix(folder: str, work: Path):
    """The lm-eval results in a temporary store, with a factors file saying each model's family by its folder."""
    from ..records.store import RecordsStore

    store = RecordsStore(work / "lmeval.sqlite3")
    store.add([folder])
    table = store.export()
    sizes = store.matrix().factors["params_b"]
    with open(work / "factors.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "params_b", "family"])
        for model, source in table.drop_duplicates("model")[["model", "source"]].itertuples(index=False):
            writer.writerow([model, sizes.get(model, ""), Path(source).parent.parent.name])
    store.set_factors(work / "factors.csv")
    return store.matrix()


def _massive_matrix(records: str, work: Path):
    from ..records.store import RecordsStore

    path = Path(records)
    store = RecordsStore(work / "massive.sqlite3")
    store.add([path / "intent_experiments.csv" if path.is_dir() else path])
    return store.matrix(family="intent", setting=None)


def load_dataset(name: str, config: CompletionBenchmarkConfig) -> dict:
    """A data set as the protocol reads it: ``completion.unit_matrix`` of its records matrix, plus its name."""
    from ..estimators.completion.api import unit_matrix

    with tempfile.TemporaryDirectory() as work:
        if name == "lmeval":
            matrix = _lmeval_matrix(config.lm_eval_results, Path(work))
        elif name == "massive":
            matrix = _massive_matrix(config.records, Path(work))
        else:
            raise ValueError(f"dataset must be 'lmeval' or 'massive'. Got {name!r} instead.")
    data = unit_matrix(matrix, list(matrix.scores.index), matrix.cells)
    families = data["factors"]["family"].to_numpy()
    sizes = data["factors"]["params_b"].to_numpy()
    largest = [data["models"][max(np.flatnonzero(families == f), key=lambda i: sizes[i])]
               for f in sorted(set(families)) if (families == f).sum() >= 2]
    return {**data, "name": name, "largest": largest}


def applicable(method: str, K: int) -> bool:
    """(e) is the K = 0 baseline; (c) needs known cells (at K = 0 it would be (a))."""
    if method == BASELINES["e"]:
        return K == 0
    if method == BASELINES["c"]:
        return K > 0
    return True


def _fit(method: str, problem, level: float):
    params = EXPENSIVE.get(method, {})
    cv = _LIGHT_CV if method in EXPENSIVE else _CV
    model = ConformalCompletion(get_completion_estimator(method, **params), level=level, **cv)
    return model.fit(problem.Y, problem.factors, problem.features, problem.t)


def _score(model, problem) -> dict:
    lower, upper = model.interval()
    row = problem_metrics(model.predict(), problem.truth, problem.hidden, lower, upper)
    row["flagged"] = float(model.flag_)
    return row


def _run_setting(data, pool, K, config, bar) -> tuple[dict, dict]:
    """Per method, the metric rows of every problem of (data set, pool, K), and per target, keyed (method, target)."""
    rows, per_target = {}, {}
    for problem in reveal_problems(data, pool, K, config.seeds):
        for method in config.methods:
            if not applicable(method, K) or (method in EXPENSIVE and problem.seed >= config.expensive_seeds):
                continue
            row = _score(_fit(method, problem, config.level), problem)
            rows.setdefault(method, []).append(row)
            per_target.setdefault((method, problem.target), []).append(row)
        bar.update()
    return rows, per_target


def _summaries(data, pool, K, rows, per_target) -> tuple[list, list]:
    out, targets = [], []
    for method, found in rows.items():
        summary = {"dataset": data["name"], "pool": pool, "K": K, "method": method, **aggregate(found)}
        for flag, name in ((1.0, "flagged"), (0.0, "unflagged")):
            part = [r for r in found if r["flagged"] == flag]
            summary[f"n_{name}"] = len(part)
            summary[f"coverage_{name}"] = float(np.mean([r["coverage"] for r in part])) if part else None
        out.append(summary)
    for (method, target), found in per_target.items():
        targets.append({"dataset": data["name"], "pool": pool, "K": K, "method": method, "target": target,
                        "largest": target in data["largest"], **aggregate(found)})
    return out, targets


def _active(data, pool, config, per_target) -> list[dict]:
    """The default estimator after ``choose_cells``' K reveals, against the mean of its random reveals."""
    from ..estimators.completion.active import choose_cells

    out, ks, order = [], [k for k in config.ks if k > 0], {}
    for K in ks:
        active, random = [], []
        for target in targets_for(data["Y"], data["factors"], pool):
            name = data["models"][target]
            if (DEFAULT_METHOD, name, K) not in per_target:
                continue
            if target not in order:  # the greedy choice of K cells is the first K of a longer one: choose once
                empty = make_problem(data, pool, target, 0, [])
                order[target] = choose_cells(empty.Y, empty.factors, empty.features, empty.t,
                                             min(max(ks), empty.Y.shape[1]))
            problem = make_problem(data, pool, target, 0, order[target][:K])
            model = _fit(DEFAULT_METHOD, problem, config.level)
            active.append(problem_metrics(model.predict(), problem.truth, problem.hidden)["mae"])
            random.append(per_target[(DEFAULT_METHOD, name, K)])
        if active:
            out.append({"dataset": data["name"], "pool": pool, "K": K, "active_mae": float(np.mean(active)),
                        "random_mae": float(np.mean(random)), "active_wins": int(np.sum(np.less(active, random))),
                        "n_targets": len(active)})
    return out


def _shapley(data, pool, config) -> dict:
    from ..estimators.completion.shapley import factor_shapley, mean_shapley

    results = [factor_shapley(p.Y, p.factors, p.features, p.t)
               for p in reveal_problems(data, pool, config.shapley_k, config.shapley_seeds)]
    return {"dataset": data["name"], "pool": pool, "K": config.shapley_k, "n_problems": len(results),
            **mean_shapley(results)}


def _count(data, config) -> int:
    return sum(len(targets_for(data["Y"], data["factors"], pool)) * (1 if K == 0 else config.seeds)
               for pool in config.pools for K in config.ks)


def run_completion_benchmark(config: CompletionBenchmarkConfig, *, progress: bool = True, log=None) -> dict:
    """Run the suite; returns ``{"config", "results", "per_target", "active", "shapley", "largest", "timing"}``."""
    from tqdm.auto import tqdm

    started = time.perf_counter()
    data_sets = [load_dataset(name, config) for name in config.datasets]
    out = {"config": {**config.__dict__, "default": DEFAULT_METHOD}, "results": [], "per_target": [], "active": [],
           "shapley": [], "largest": {d["name"]: d["largest"] for d in data_sets}, "timing": {}}
    bar = tqdm(total=sum(_count(d, config) for d in data_sets), desc="completion problems", unit="problem",
               disable=not progress)
    for data in data_sets:
        for pool in config.pools:
            random_mae = {}
            for K in config.ks:
                t0 = time.perf_counter()
                rows, per_target = _run_setting(data, pool, K, config, bar)
                summaries, targets = _summaries(data, pool, K, rows, per_target)
                out["results"] += summaries
                out["per_target"] += targets
                random_mae.update({(DEFAULT_METHOD, r["target"], K): r["mae"] for r in targets
                                   if r["method"] == DEFAULT_METHOD})
                out["timing"][f"{data['name']}/{pool}/K={K}"] = time.perf_counter() - t0
                if log:
                    log(f"{data['name']} {pool} K={K}: " + " ".join(f"{s['method']}={s['mae']:.4f}" for s in summaries))
            if config.active:
                out["active"] += _active(data, pool, config, random_mae)
            if config.shapley:
                out["shapley"].append(_shapley(data, pool, config))
    bar.close()
    out["timing"]["total"] = time.perf_counter() - started
    return out
