"""proxylm-eval as named stages: plan -> load documents -> run proxies -> choose and run the target cells -> fit and
apply -> report.

``Pipeline(request, mode, task_manager, settings, runner).run()`` returns an ``EstimationReport``; each stage is a
method, so a test can stop after any of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..lm_eval_bridge.model_runs import RunSettings
from .estimates import Estimate, feature_rows
from .modes import FamilyWork, Mode
from .plan import Plan, load_documents, make_plan
from .predictors import FittedPredictor, proxy_column
from .request import Request
from .runs import ModelRunner, RunLog, run_proxies, run_target

__all__ = ["EstimationReport", "Pipeline"]


@dataclass
class EstimationReport:
    """Everything the output needs: per-task figures, the plan, the predictors used, the runs and what failed."""

    mode: str
    plan: Plan
    estimates: dict[str, Estimate]
    predictors: dict[str, FittedPredictor]
    runs: dict
    failures: list
    warnings: list
    timings: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)

    @property
    def request(self) -> Request:
        return self.plan.request

    @property
    def settings(self) -> RunSettings:
        return self.plan.settings


class Pipeline:
    """One proxylm-eval invocation. ``progress_factory(total)`` makes a bar (``update(n)``, ``close()``) over model runs."""

    def __init__(self, request: Request, mode: Mode, task_manager, settings: RunSettings, runner: ModelRunner, *,
                 progress_factory: Callable[[int], Any] | None = None, store=None):
        self.request, self.mode, self.task_manager = request, mode, task_manager
        self.settings, self.runner, self.progress_factory = settings, runner, progress_factory
        #: the records store completion reads (default: the runner's cache, when it is a store)
        cache = getattr(runner, "cache", None)
        self.store = store if store is not None else (cache if hasattr(cache, "matrix") else None)
        self.timings: dict[str, float] = {}

    def run(self) -> EstimationReport:
        clock = time.perf_counter()
        plan = self.plan()
        self.load_documents(plan)
        prepare = getattr(self.runner, "prepare", None)
        if prepare is not None:
            prepare(plan)
        self.timings["tasks_s"] = time.perf_counter() - clock
        log = self._log(plan)
        clock = time.perf_counter()
        self.run_proxies(plan, log)
        self.timings["proxy_runs_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        estimates, works, warnings = self.run_target(plan, log)
        target_s = self.timings["target_runs_s"]
        predictors = self.fit_and_apply(plan, estimates, works, warnings)
        if log.progress is not None:
            log.progress.close()
        self.timings["features_prediction_s"] = time.perf_counter() - clock - target_s
        return EstimationReport(self.mode.name, plan, estimates, predictors, log.runs, log.failures,
                                [w for family in plan.families for w in warnings[family]], dict(self.timings),
                                cost=_cost(self.timings, log, len(plan.leaves)))

    # -- the stages ----------------------------------------------------------------------------------------------
    def plan(self) -> Plan:
        """Tasks, languages, proxies, predictors and every check that needs no model."""
        return make_plan(self.request, self.mode, self.task_manager, self.settings, store=self.store)

    def load_documents(self, plan: Plan) -> None:
        """The tasks' documents, their fingerprints (the cache keys) and the checks that need them."""
        load_documents(plan, self.task_manager)

    def run_proxies(self, plan: Plan, log: RunLog) -> None:
        run_proxies(plan, self.runner, log)

    def run_target(self, plan: Plan, log: RunLog) -> tuple[dict, dict, dict]:
        """Per family: the rows the proxies give, the records' completion where the mode wants it before the target
        runs, the target cells the mode chooses, and the target's scores there."""
        estimates, works, warnings, seconds = {}, {}, {}, 0.0
        for name, family_plan in plan.families.items():
            warnings[name] = []
            for task in family_plan.tasks:
                estimates[task] = Estimate(task, plan.languages[task], family_plan.family.lm_eval_metric, proxies={
                    p.name: log.runs[(p.name, task)]["value"] for p in family_plan.proxies
                    if (p.name, task) in log.runs})
            proxies = self.mode.usable_proxies(family_plan, log.runs, warnings[name])
            if not proxies:
                continue
            complete = [n for n in family_plan.tasks if all((p.name, n) in log.runs for p in proxies)]
            for task in family_plan.tasks:
                missing = [p.name for p in proxies if (p.name, task) not in log.runs]
                if missing:
                    estimates[task].warnings.append(f"not estimated: proxy run(s) failed ({', '.join(missing)})")
            work = FamilyWork(family_plan, proxies, feature_rows(plan, family_plan, proxies, log.runs), complete,
                              [proxy_column(p.record_name, plan.settings.num_fewshot) for p in proxies])
            if work.source is not None:
                work.source.runs = log.runs
            self.mode.before_target(work, plan.request, warnings[name])
            work.target_tasks = self.mode.target_tasks(work)
            started = time.perf_counter()
            work.measured = run_target(plan, family_plan, work.target_tasks, self.runner, log)
            seconds += time.perf_counter() - started
            for task, value in work.measured.items():
                estimates[task].measured = value
            works[name] = work
        self.timings["target_runs_s"] = seconds
        return estimates, works, warnings

    def fit_and_apply(self, plan: Plan, estimates: dict, works: dict, warnings: dict) -> dict:
        """Per family: the predictor the mode gives (chosen in the plan, fitted now, or the records' completion),
        applied to the other tasks; the target's scores the store knows count as measured."""
        predictors = {}
        for name, work in works.items():
            fitted = self.mode.fit(work, estimates, plan.request, warnings[name])
            if fitted is not None:
                predictors[name] = fitted
                fitted.apply(work, self.mode.tasks_to_estimate(work), estimates, plan.request.coverage)
            if work.completion is not None and not self.mode.hide_target:
                work.completion.apply(work, [], estimates, plan.request.coverage, measured_only=True)
        return predictors

    def _log(self, plan: Plan) -> RunLog:
        total = sum(len(f.proxies) * len(f.tasks) + self.mode.planned_target_runs(f) for f in plan.families.values())
        return RunLog(progress=self.progress_factory(total) if self.progress_factory is not None else None)


def _cost(timings: dict, log: RunLog, cells: int) -> dict:
    """What the run cost and saved: seconds on proxies and on target cells, against the target's measured seconds per
    cell times every cell (the realised speed-up); unknown when no target cell was computed here."""
    computed = sum(not run["cached"] for run in log.target_runs.values())
    spent = timings.get("proxy_runs_s", 0.0) + timings.get("target_runs_s", 0.0)
    out = {"proxy_seconds": timings.get("proxy_runs_s", 0.0),
           "target_seconds": timings.get("target_runs_s", 0.0), "target_cells_computed": computed,
           "cells": cells, "target_seconds_per_cell": None, "full_run_seconds": None, "speedup": None}
    if computed:
        per_cell = timings["target_runs_s"] / computed  # model loading included: an upper bound per cell
        out.update(target_seconds_per_cell=per_cell, full_run_seconds=per_cell * cells,
                   speedup=per_cell * cells / spent if spent > 0 else None)
    return out
