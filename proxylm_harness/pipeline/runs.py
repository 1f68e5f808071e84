"""The model-running stages of proxylm-eval: the proxies on every task, then the target on the cells its mode chooses.

Models run through a ``ModelRunner``: ``LmEvalRunner`` runs them through lm-eval and the result cache; tests hand
the pipeline a stand-in with the same ``run`` method. A model that fails costs only its own results.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from ..lm_eval_bridge.model_runs import ModelRunError, RunContext, RunSettings, TaskRun, run_model, store_name
from ..lm_eval_bridge.proxies import ModelSpec, parse_proxies
from .plan import FamilyPlan, Plan
from .request import EstimationError

__all__ = ["LmEvalRunner", "ModelRunner", "RunLog", "run_proxies", "run_target"]


class ModelRunner(Protocol):
    """Runs one model on some tasks, reporting each result as it exists; raises ``ModelRunError`` on failure."""

    def run(self, spec: ModelSpec, tasks: dict, settings: RunSettings, *, languages: dict, fingerprints: dict,
            on_result: Callable[[TaskRun], None]) -> None: ...


@dataclass
class LmEvalRunner:
    """Runs models through lm-eval (``model_runs.run_model``), with the result cache and the plan's task manager."""

    cache: Any = None
    task_manager: Any = None

    def prepare(self, plan: Plan) -> None:
        """Tell the records store each task's cell (family, dataset, languages), so every run becomes a record, and
        the target's size where its config says it (counted without loading weights)."""
        if not hasattr(self.cache, "describe_tasks"):
            return
        self.cache.describe_tasks({name: {"family": lang.family, "dataset": lang.dataset,
                                          "source_lang": lang.source_lang, "target_lang": lang.target_lang}
                                   for name, lang in plan.languages.items()})
        from ..lm_eval_bridge.model_size import count_parameters

        target = parse_proxies(f"target={plan.request.target}")[0]
        name = store_name(target).partition("@")[0]
        if not self.cache.has_factor(name, "params_b"):
            self.cache.note_factor(name, "params_b", count_parameters(target.pretrained), "config")

    def run(self, spec: ModelSpec, tasks: dict, settings: RunSettings, *, languages: dict, fingerprints: dict,
            on_result) -> None:
        context = RunContext(settings, cache=self.cache, task_manager=self.task_manager, languages=languages,
                             fingerprints=fingerprints)
        run_model(spec, tasks, context, on_result=on_result)


@dataclass
class RunLog:
    """The model runs of one invocation: each proxy result by (model, task), the failures, and the progress bar."""

    runs: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    progress: Any = None
    #: the target's runs by task: whether each came from the records store instead of being computed
    target_runs: dict = field(default_factory=dict)

    def tick(self, n: int = 1) -> None:
        if self.progress is not None and n:
            self.progress.update(n)


def metric_value(run: TaskRun, key: str) -> float:
    """The run's score in metric ``key`` (lm-eval's ``key,none`` entry)."""
    for name in (f"{key},none", key):
        if name in run.metrics and isinstance(run.metrics[name], (int, float)):
            return float(run.metrics[name])
    raise EstimationError(f"{run.model}'s result on task {run.task!r} has no metric {key!r} "
                          f"(it has {sorted(k for k in run.metrics if not k.endswith('_stderr,none'))}).")


def run_proxies(plan: Plan, runner: ModelRunner, log: RunLog) -> None:
    """Every family's proxies on its tasks, one model at a time; results go to ``log.runs`` as they come."""
    for family_plan in plan.families.values():
        key = family_plan.family.lm_eval_metric
        for proxy in family_plan.proxies:
            def record(run, _key=key, _proxy=proxy):
                log.runs[(run.model, run.task)] = {"value": metric_value(run, _key), "cached": run.cached,
                                                   "backend": run.backend, "pretrained": _proxy.pretrained,
                                                   "n_samples": run.n_samples}
                log.tick()
            try:
                runner.run(proxy, {n: plan.tasks[n] for n in family_plan.tasks}, plan.settings,
                           languages=plan.language_pairs, fingerprints=plan.fingerprints, on_result=record)
            except ModelRunError as error:
                log.failures.append({"model": proxy.name, "role": "proxy", "error": str(error)})
                log.tick(sum((proxy.name, n) not in log.runs for n in family_plan.tasks))


def run_target(plan: Plan, family_plan: FamilyPlan, names: list[str], runner: ModelRunner, log: RunLog) -> dict:
    """The target's scores on ``names`` ({task: score}); a failure is logged and costs only the missing scores."""
    if not names:
        return {}
    request = plan.request
    spec = parse_proxies(f"target={request.target}")[0]
    settings = replace(plan.settings, extra_model_args={**plan.settings.extra_model_args, **request.target_model_args})
    key, out = family_plan.family.lm_eval_metric, {}

    def record(run):
        out[run.task] = metric_value(run, key)
        log.target_runs[run.task] = {"cached": run.cached}
        log.tick()
    try:
        runner.run(spec, {n: plan.tasks[n] for n in names}, settings, languages=plan.language_pairs,
                   fingerprints=plan.fingerprints, on_result=record)
    except ModelRunError as error:
        log.failures.append({"model": request.target, "role": "target", "error": str(error)})
        log.tick(len(names) - len(out))
    return out
