"""The benchmark suite: every protocol on every (dataset, target, metric) the records hold, against ProxyLM's errors.

``run_benchmark`` returns JSON-ready rows (one per protocol cell, plus one per URIEL distance comparing
URIEL+ with the records' lang2vec columns); ``report.markdown_table`` renders them. Fits run in worker
processes, each loading the records once; identical fits (the 100% incremental split is the random
split) run once.
"""

from __future__ import annotations

import hashlib
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..records.reader import load_records
from ..records.regression_problems import Problem, make_problem, problem_keys
from ..records.table import Records
from .protocols import DEFAULT_SEEDS, get_protocol, protocol_names
from .references import reference_rmse
from .scoring import evaluate_split, summarize

__all__ = ["BenchmarkConfig", "run_benchmark"]

#: Metrics ProxyLM reported on; ``--quick`` keeps to these.
HEADLINE_METRICS = ("spBLEU", "comet", "accuracy", "f1")
QUICK_LANGUAGES = 4
QUICK_PORTIONS = (0.1, 1.0)


@dataclass(frozen=True)
class BenchmarkConfig:
    """What to run. ``None`` means everything the records hold / every registered protocol."""

    records: str
    quick: bool = False
    protocols: tuple | None = None
    datasets: tuple | None = None
    targets: tuple | None = None
    metrics: tuple | None = None
    regressors: tuple = ("xgb",)
    seeds: tuple | None = None
    predictor_params: dict = field(default_factory=dict)
    spec_options: dict = field(default_factory=dict)

    @property
    def seed_list(self) -> tuple:
        if self.seeds is not None:
            return tuple(self.seeds)
        return DEFAULT_SEEDS[:1] if self.quick else DEFAULT_SEEDS

    def params_for(self, regressor: str) -> dict:
        """Predictor parameters for one fit; one thread per fit (fits run side by side in processes)."""
        from ..estimators.regressors import regressor_class

        params = {**self.predictor_params, "regressor": regressor}
        if "n_jobs" in regressor_class(regressor)._get_param_names():
            params["regressor_params"] = {**(params.get("regressor_params") or {}), "n_jobs": 1}
        return params


# -- worker side: each process builds problems from its own copy of the records ---------------------
_STATE: dict = {}


def _init_worker(records_path: str) -> None:
    _STATE.clear()
    _STATE["records"] = load_records(records_path)


def _problem(key: tuple, spec_options: dict) -> Problem:
    cache = _STATE.setdefault("problems", {})
    cache_key = (key, tuple(sorted(spec_options.items())))
    if cache_key not in cache:
        cache[cache_key] = make_problem(_STATE["records"], *key, **spec_options)
    return cache[cache_key]


def _splits(config: BenchmarkConfig, key: tuple, protocol: str, datasets: tuple) -> list:
    problem = _problem(key, config.spec_options)
    function = get_protocol(protocol)
    if config.quick and protocol == "lolo":
        languages = problem.languages()
        step = max(1, math.ceil(len(languages) / QUICK_LANGUAGES))
        return function(problem, config.seed_list, datasets, languages=languages[::step])
    if config.quick and protocol == "incremental":
        return function(problem, config.seed_list, datasets, portions=QUICK_PORTIONS)
    return function(problem, config.seed_list, datasets)


def _run_task(task) -> tuple:
    config, key, protocol, index, regressor, datasets = task
    split = _splits(config, key, protocol, datasets)[index]
    test = _problem((split.test_dataset, key[1], key[2]), config.spec_options) if split.test_dataset else None
    outcome = evaluate_split(_problem(key, config.spec_options), split, config.params_for(regressor), test)
    return outcome


def _fingerprint(key, split, regressor) -> str:
    digest = hashlib.sha256(repr((key, regressor, split.seed, split.calibration, split.test_dataset,
                                  split.drop_features)).encode())
    digest.update(np.asarray(split.train, dtype=np.int64).tobytes())
    for name, rows in sorted(split.tests.items()):
        digest.update(name.encode())
        if rows is not None:
            digest.update(np.asarray(rows, dtype=np.int64).tobytes())
    return digest.hexdigest()


# -- driver -----------------------------------------------------------------------------------------
def _selected_keys(records: Records, config: BenchmarkConfig) -> list[tuple]:
    keys = problem_keys(records)
    wanted = {
        0: config.datasets,
        1: config.targets,
        2: config.metrics if config.metrics is not None else (HEADLINE_METRICS if config.quick else None),
    }
    for position, allowed in wanted.items():
        if allowed is not None:
            keys = [k for k in keys if k[position] in allowed]
    if not keys:
        raise ValueError(
            f"No (dataset, target, metric) in the records matches datasets={config.datasets}, targets={config.targets}, "
            f"metrics={config.metrics}. The records hold: {problem_keys(records)}."
        )
    return keys


def run_benchmark(config: BenchmarkConfig, *, jobs: int | None = None, progress: bool = True,
                  typology_agreement: bool = True) -> list[dict]:
    """Run the suite; returns the rows (protocol cells, then typology agreement)."""
    from tqdm.auto import tqdm

    protocols = config.protocols or tuple(protocol_names())
    for name in protocols:
        get_protocol(name)
    _init_worker(config.records)
    records = _STATE["records"]
    datasets = tuple(records.datasets())
    tasks, cells = [], {}
    unique: dict[str, int] = {}
    for key in _selected_keys(records, config):
        for protocol in protocols:
            for index, split in enumerate(_splits(config, key, protocol, datasets)):
                for regressor in config.regressors:
                    print_key = _fingerprint(key, split, regressor)
                    if print_key not in unique:
                        unique[print_key] = len(tasks)
                        tasks.append((config, key, protocol, index, regressor, datasets))
                    cell = (key, protocol, regressor, split.portion)
                    cells.setdefault(cell, []).append((unique[print_key], split))
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    bar = tqdm(total=len(tasks), desc="benchmark fits", unit="fit", disable=not progress)
    outcomes = [None] * len(tasks)
    if jobs == 1:
        for i, task in enumerate(tasks):
            outcomes[i] = _run_task(task)
            bar.update()
    else:
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(config.records,)) as pool:
            futures = {pool.submit(_run_task, task): i for i, task in enumerate(tasks)}
            from concurrent.futures import as_completed

            for future in as_completed(futures):
                outcomes[futures[future]] = future.result()
                bar.update()
    bar.close()
    rows = []
    for (key, protocol, regressor, portion), members in cells.items():
        results = []
        for index, split in members:
            outcome = outcomes[index]
            results.append(type(outcome)(split, outcome.tests, outcome.fit_seconds))
        summary = summarize(results)
        dataset, target, metric = key
        reference = reference_rmse(dataset, target, metric, protocol, portion) if regressor == "xgb" else None
        rows.append({
            "dataset": dataset, "target": target, "metric": metric, "protocol": protocol, "regressor": regressor,
            "portion": portion, "seeds": sorted({s.seed for _, s in members}), "n_splits": len(members),
            **summary,
            "reference_rmse": reference,
            "ratio_to_reference": summary["rmse"] / reference if reference else None,
        })
    if typology_agreement:
        rows.extend(_typology_rows(records, sorted({k[0] for k in _selected_keys(records, config)})))
    # every row has every key (None where it does not apply), so consumers can filter on any of them
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return [{k: row.get(k) for k in keys} for row in rows]


def _typology_rows(records: Records, datasets: list[str]) -> list[dict]:
    from ..languages.typology import DISTANCE_KINDS, agreement

    rows = []
    for dataset in datasets:
        agreement_of = agreement(records.wide(dataset, records.metrics(dataset)[0]))
        for kind in DISTANCE_KINDS:
            a = agreement_of[kind]
            rows.append({
                "dataset": dataset, "target": None, "metric": None, "protocol": "typology_agreement",
                "regressor": None, "distance": kind, "pearson": a["pearson"], "spearman": a["spearman"],
                "n_pairs": a["n"], "n_skipped": a["n_skipped"], "rmse": None, "rmse_std": None, "mae": None,
                "coverage": None, "reference_rmse": None,
            })
    return rows
