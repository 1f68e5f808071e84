"""The one-call Python API, ``estimate(target, tasks, ...)``, and the pieces ``proxylm-eval`` shares with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import _paths
from .._registry import did_you_mean
from ..lm_eval_bridge.model_runs import RunSettings
from .modes import Alongside, EstimateOnly, Measure, Mode
from .request import EstimationError, Request
from .runs import LmEvalRunner
from .stages import EstimationReport, Pipeline

__all__ = ["DEFAULT_SEED", "estimate", "make_mode", "run_pipeline", "task_manager_for"]

#: lm-eval's default seeds: Python, numpy, torch, few-shot sampling.
DEFAULT_SEED = (0, 1234, 1234, 1234)
_LM_EVAL_KWARGS = ("num_fewshot", "limit", "batch_size", "device", "gen_kwargs", "include_path", "metadata",
                   "random_seed", "numpy_random_seed", "torch_random_seed", "fewshot_random_seed", "output_path")


def make_mode(*, measure: int | None = None, alongside: bool = False) -> Mode:
    """The mode of ``--measure K`` / ``--alongside`` / neither."""
    if measure and alongside:
        raise ValueError("measure and alongside exclude each other: --measure runs the target on K tasks, "
                         "--alongside on all of them.")
    if measure:
        return Measure(int(measure))
    return Alongside() if alongside else EstimateOnly()


def task_manager_for(task_names: list[str], include_path=None, metadata: dict | None = None):
    """The shipped ``tasks/`` plus ``include_path``, and lm-eval's own tasks only when a requested task needs them.

    Indexing is the costly part, so the shipped folders named like the requested tasks (``flores200`` for
    ``flores200_eng_Latn-afr_Latn``) are tried first, then every shipped folder, then lm-eval's own tasks too.
    """
    from lm_eval.tasks import TaskManager

    from ..lm_eval_bridge.task_metadata import METADATA_KEY

    if METADATA_KEY in (metadata or {}):
        raise EstimationError(
            f"--metadata names a {METADATA_KEY!r} key; lm-eval merges --metadata into every task's metadata, so it "
            "would replace each task's language block and run the proxies with the wrong language tokens. Hint: "
            f"give languages in the task YAMLs' metadata.{METADATA_KEY} block, and leave {METADATA_KEY!r} out of "
            "--metadata.")
    user = [include_path] if isinstance(include_path, str) else [str(p) for p in include_path or ()]
    metadata = dict(metadata or {})
    named = [str(folder) for folder in sorted(_paths.TASKS_DIR.iterdir())
             if folder.is_dir() and any(name.startswith(folder.name) for name in task_names)]
    attempts = [(named + user, False)] if named else []
    attempts += [([str(_paths.TASKS_DIR), *user], False), ([str(_paths.TASKS_DIR), *user], True)]
    for include, defaults in attempts:
        manager = TaskManager(include_path=include, include_defaults=defaults, metadata=metadata)
        if defaults or all(name in manager.task_index for name in task_names):
            return manager


def run_pipeline(request: Request, mode: Mode, *, task_manager, settings: RunSettings, cache=None,
                 progress_factory=None, runner=None) -> EstimationReport:
    """Run proxylm-eval's stages; ``runner`` defaults to lm-eval through ``cache``."""
    runner = runner if runner is not None else LmEvalRunner(cache=cache, task_manager=task_manager)
    return Pipeline(request, mode, task_manager, settings, runner, progress_factory=progress_factory).run()


def estimate(target: str, tasks, *, proxies=None, measure: int | None = None, alongside: bool = False,
             predictor: str = "auto", coverage: float | None = None, records=None, metric: str | None = None,
             target_model_args: dict | None = None, cache_dir=None, use_cache: bool = True,
             proxy_backend: str = "auto", **lm_eval_kwargs: Any) -> dict:
    """Estimate ``target``'s lm-eval scores on ``tasks`` from proxy models; returns lm-eval's results dict.

    The dict is the one ``proxylm-eval`` writes: ``results[task]["<metric>,none"]`` is the estimate (or the
    measurement), ``<metric>_lower,none`` / ``<metric>_upper,none`` its interval, and ``proxylm`` says where each
    number came from. ``tasks`` is a list of task or group names (or one comma-separated string); ``proxies`` a
    list of registry names or ``NAME=PATH`` strings. ``lm_eval_kwargs`` are lm-eval's: ``num_fewshot``, ``limit``,
    ``batch_size``, ``device``, ``gen_kwargs``, ``include_path``, ``metadata``, the four ``*_seed``s, and
    ``output_path`` (also write the results file there, as lm-eval does).
    """
    from ..lm_eval_bridge.proxies import parse_proxies
    from ..records.store import STORE_FILE, RecordsStore
    from .report import output_problem, results_dict, write_results

    unknown = sorted(set(lm_eval_kwargs) - set(_LM_EVAL_KWARGS))
    if unknown:
        raise TypeError(f"estimate() got unknown argument(s) {unknown}.{did_you_mean(unknown[0], _LM_EVAL_KWARGS)} "
                        f"lm-eval arguments it takes: {', '.join(_LM_EVAL_KWARGS)}.")
    names = [t.strip() for t in tasks.split(",")] if isinstance(tasks, str) else list(tasks)
    mode = make_mode(measure=measure, alongside=alongside)
    if not isinstance(proxies, (str, type(None))):
        proxies = ",".join(proxies)
    request = Request(tasks=names, target=target, target_model_args=dict(target_model_args or {}),
                      proxies=parse_proxies(proxies), predictor=predictor, coverage=coverage,
                      records=records or (_paths.default_records(),), metric=metric)
    kw = lm_eval_kwargs
    seed = tuple(kw.get(k, default) for k, default in zip(
        ("random_seed", "numpy_random_seed", "torch_random_seed", "fewshot_random_seed"), DEFAULT_SEED))
    settings = RunSettings(num_fewshot=kw.get("num_fewshot"), limit=kw.get("limit"), batch_size=kw.get("batch_size", 1),
                           device=kw.get("device"), seed=seed, gen_kwargs=kw.get("gen_kwargs"), backend=proxy_backend)
    if kw.get("output_path") and output_problem(kw["output_path"]):
        raise EstimationError(output_problem(kw["output_path"]))
    manager = task_manager_for(names, kw.get("include_path"), kw.get("metadata"))
    cache = (RecordsStore(Path(cache_dir) / STORE_FILE if cache_dir else None) if use_cache else None)
    report = run_pipeline(request, mode, task_manager=manager, settings=settings, cache=cache)
    results = results_dict(report)
    if kw.get("output_path"):
        write_results(results, kw["output_path"], target)
    return results
