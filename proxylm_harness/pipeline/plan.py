"""The first stage of proxylm-eval: tasks, their languages and families, each family's proxies and predictor, the
loaded task documents, and every check that needs no model, so that a request that cannot be served fails before
any model loads."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..families import TaskFamily, family_for
from ..lm_eval_bridge.model_runs import RunSettings, task_fingerprint
from ..lm_eval_bridge.proxies import ModelSpec, default_proxies
from ..lm_eval_bridge.task_metadata import TaskLanguages, TaskMetadataError, leaf_task_names, task_languages
from .predictors import FittedPredictor, check_predictor, predictor_for
from .request import EstimationError, Request

__all__ = ["FamilyPlan", "Plan", "load_documents", "make_plan"]


@dataclass
class FamilyPlan:
    """The tasks of one family, the proxies to run on them, the predictor that applies (None: the mode fits one, or
    completion from the records serves), and the records store's view of the family (``source``; None: no store)."""

    family: TaskFamily
    tasks: list[str]
    proxies: list[ModelSpec]
    predictor: FittedPredictor | None = None
    source: object = None


@dataclass
class Plan:
    """Everything decided before a model runs. ``tasks`` maps each leaf task to its loaded lm-eval task."""

    request: Request
    settings: RunSettings
    languages: dict[str, TaskLanguages]
    groups: dict[str, list[str]]
    families: dict[str, FamilyPlan]
    tasks: dict = field(default_factory=dict)
    #: ``{task: (version, hash)}`` of each task as loaded, before any run changes its config: the cache keys
    fingerprints: dict = field(default_factory=dict)

    @property
    def leaves(self) -> list[str]:
        return list(self.languages)

    @property
    def language_pairs(self) -> dict[str, tuple[str, str]]:
        """``{task: (source, target)}`` as the YAML wrote them, for models that take language tokens."""
        return {name: (lang.raw_source_lang, lang.raw_target_lang) for name, lang in self.languages.items()}


def make_plan(request: Request, mode, task_manager, settings: RunSettings, store=None) -> Plan:
    """Resolve and check the request (no data, no model): tasks, languages, families, proxies, predictors; ``mode``
    says whether a predictor is chosen now or fitted later; a family no predictor serves is completed from the
    records ``store`` where it can be. ``load_documents`` then loads the tasks."""
    leaves, groups = _resolve_tasks(request.tasks, task_manager)
    languages = _languages(leaves, task_manager)
    by_family: dict[str, list[str]] = {}
    for name in leaves:
        by_family.setdefault(languages[name].family, []).append(name)
    plan = Plan(request, settings, languages, groups, {})
    for name, tasks in by_family.items():
        try:
            family = family_for(name, _task_metrics(tasks[0], task_manager), request.metric)
        except ValueError as error:
            raise EstimationError(str(error)) from None
        family_plan = _family_plan(plan, mode, family, tasks, store)
        if not family_plan.proxies:
            raise EstimationError(f"No proxies for {name} tasks. Hint: name some with --proxies.")
        mode.check(family_plan)
        plan.families[name] = family_plan
    return plan


def _family_plan(plan: Plan, mode, family: TaskFamily, tasks: list[str], store) -> FamilyPlan:
    """A family's proxies and predictor: fitted later (``mode``), a predictor folder that applies, or, where none
    does and ``--predictor`` is ``auto``, completion from the records store."""
    from .completion_stage import CompletionSource

    request, num_fewshot = plan.request, plan.settings.num_fewshot
    default = FamilyPlan(family, tasks, request.proxies or default_proxies(family))
    if store is not None:
        default.source = CompletionSource(store, plan, default)
    if mode.fits_own_predictor:
        return default
    try:
        artifact = predictor_for(request, family, num_fewshot)
    except EstimationError as error:
        if request.predictor != "auto" or default.source is None:
            raise
        why = default.source.why_not(proxies_to_run=len(default.proxies))
        if why is not None:
            raise EstimationError(f"{error} Completion from the records cannot serve either: {why}.") from None
        return default
    proxies = check_predictor(artifact, family, num_fewshot, request.proxies)
    chosen = FamilyPlan(family, tasks, proxies, FittedPredictor.from_artifact(artifact, family))
    if store is not None:
        chosen.source = CompletionSource(store, plan, chosen)
    return chosen


def load_documents(plan: Plan, task_manager) -> None:
    """Load the tasks' documents into ``plan`` (no model yet), take each task's fingerprint before anything can change
    it, and refuse a task that lacks the family's metric or has no test documents."""
    families = plan.families
    languages = plan.languages
    plan.tasks = _load_tasks(plan.leaves, task_manager)
    plan.fingerprints = {name: task_fingerprint(task) for name, task in plan.tasks.items()}
    for name, task in plan.tasks.items():
        family = families[languages[name].family].family
        if family.lm_eval_metric not in task.aggregation():
            raise EstimationError(f"Task {name!r} reports {sorted(task.aggregation())}, not {family.lm_eval_metric!r}, "
                                  f"the metric {family.name} predictors estimate. Hint: add "
                                  f"{family.lm_eval_metric!r} to its metric_list.")
        if not task.eval_docs:
            raise EstimationError(f"Task {name!r} has no test documents.")


def _task_metrics(name: str, task_manager) -> list[str]:
    """The metrics a task's YAML lists (``metric_list``), read from the index without loading the task."""
    entry = task_manager.task_index.get(name)
    config = getattr(entry, "cfg", None) or {}
    return [m["metric"] for m in config.get("metric_list") or () if isinstance(m, dict) and isinstance(m.get("metric"), str)]


def _resolve_tasks(names, task_manager) -> tuple[list[str], dict]:
    leaves, groups = [], {}
    for name in names:
        if not isinstance(name, str):
            raise EstimationError(f"proxylm-eval takes tasks by name (got a {type(name).__name__}). "
                                  "Hint: put the YAML's folder in --include_path and pass its task name.")
        if name not in task_manager.task_index:
            raise EstimationError(f"Unknown task {name!r}. Hint: `lm-eval ls tasks` lists the tasks; the plugin's "
                                  "own are in its tasks/ folder, add yours with --include_path.")
        members = leaf_task_names(name, task_manager)
        if members != [name]:
            groups[name] = members
        leaves.extend(m for m in members if m not in leaves)
    return leaves, groups


def _languages(leaves, task_manager) -> dict[str, TaskLanguages]:
    out = {}
    for name in leaves:
        try:
            out[name] = task_languages(name, task_manager)
        except TaskMetadataError as error:
            raise EstimationError(str(error)) from error
    return out


def _load_tasks(leaves, task_manager) -> dict:
    try:
        loaded = task_manager.load(leaves)["tasks"]
    except Exception as error:  # noqa: BLE001  (dataset loaders raise anything; name the tasks)
        raise EstimationError(f"Could not load the documents of task(s) {', '.join(leaves)}: "
                              f"{type(error).__name__}: {error}. Hint: give the data folder with --metadata "
                              "(see the README's 'Local data') or log in to the hub.") from error
    return {name: loaded[name] for name in leaves}
