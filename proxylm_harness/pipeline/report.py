"""proxylm-eval's output: an lm-eval results file (lm-eval's schema and layout, plus a ``proxylm`` section), its
terminal table, and its plot."""

from __future__ import annotations

import math
import time
from importlib.metadata import version
from pathlib import Path

from .._plotting import pyplot, save_figure
from .stages import EstimationReport

__all__ = ["ResultsNotWrittenError", "estimate_table", "output_problem", "plot_task_estimates", "results_dict",
           "write_results"]


def _num(value):
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def results_dict(report: EstimationReport) -> dict:
    """The run as lm-eval's ``simple_evaluate`` would return it, estimates in place of measurements.

    ``results[task]["<metric>,none"]`` holds the estimate (or the measurement, for tasks ``--measure``
    ran the target on); ``<metric>_lower,none``/``<metric>_upper,none`` the interval. The ``proxylm``
    section says, per task, where each number came from.
    """
    request, settings, groups = report.request, report.settings, report.plan.groups
    per_task = _task_sections(report)
    results = per_task.pop("results")
    return {
        "results": results,
        "groups": _group_results(report),
        "group_subtasks": {**{g: list(m) for g, m in groups.items()},
                           **{n: [] for n in results if not any(n in m for m in groups.values())}},
        **per_task,
        "config": {
            "model": "proxylm-eval",
            "model_args": f"pretrained={request.target}",
            "batch_size": settings.batch_size,
            "batch_sizes": [],
            "device": settings.device,
            "use_cache": None,
            "limit": settings.limit,
            "bootstrap_iters": 0,
            "gen_kwargs": settings.gen_kwargs,
            "random_seed": settings.seed[0],
            "numpy_seed": settings.seed[1],
            "torch_seed": settings.seed[2],
            "fewshot_seed": settings.seed[3],
        },
        "git_hash": None,
        "date": time.time(),
        "proxylm": {
            "version": version("proxylm-harness"),
            "mode": report.mode,
            "target": request.target,
            "tasks": {name: _proxylm_entry(item, request.coverage) for name, item in report.estimates.items()},
            "check": _check(report),
            "predictors": {family: fitted.report for family, fitted in report.predictors.items()},
            "proxy_runs": [{"model": m, "task": t, **run} for (m, t), run in sorted(report.runs.items())],
            "failures": report.failures,
            "warnings": report.warnings,
            "timings": {k: round(v, 4) for k, v in report.timings.items()},
            "cost": report.cost,
        },
    }


def _task_sections(report: EstimationReport) -> dict:
    """lm-eval's per-task sections: ``results``, ``configs``, ``versions``, ``n-shot``, ``higher_is_better``, ``n-samples``."""
    settings = report.settings
    out = {section: {} for section in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples")}
    for name, item in report.estimates.items():
        key = item.metric_key
        task = report.plan.tasks[name]
        entry = {"alias": name}
        if item.estimate is not None:
            entry[f"{key},none"] = item.estimate
            entry[f"{key}_stderr,none"] = "N/A"
            if item.source == "estimated":
                entry[f"{key}_lower,none"] = _num(item.lower)
                entry[f"{key}_upper,none"] = _num(item.upper)
        out["results"][name] = entry
        config = task.dump_config()
        out["configs"][name] = config
        out["versions"][name] = (config.get("metadata") or {}).get("version")
        out["n-shot"][name] = settings.num_fewshot or 0
        out["higher_is_better"][name] = {key: True}
        docs = len(task.eval_docs)
        out["n-samples"][name] = {"original": docs, "effective": docs if settings.limit is None else min(
            docs, int(settings.limit if settings.limit >= 1 else math.ceil(settings.limit * docs)))}
    return out


def _proxylm_entry(item, coverage) -> dict:
    return {
        "source": item.source if item.estimate is not None else "none",
        "metric": item.metric_key,
        "estimate": item.estimate,
        "interval": [_num(item.lower), _num(item.upper)] if item.source == "estimated" else None,
        "coverage": coverage or 0.9,
        "measured": item.measured,
        "error": item.error,
        "languages": {"source": item.languages.raw_source_lang, "target": item.languages.raw_target_lang,
                      "family": item.languages.family, "dataset": item.languages.dataset},
        "proxies": item.proxies,
        "warnings": item.warnings,
    }


def _check(report: EstimationReport) -> dict | None:
    """RMSE, MAE, Spearman and interval coverage of the estimates whose target score was measured too."""
    checked = [item for item in report.estimates.values() if item.error is not None]
    if not checked:
        return None
    import numpy as np

    from ..estimators.metrics import coverage, mae, rmse, spearman

    measured = np.array([i.measured for i in checked])
    estimate = np.array([i.estimate for i in checked])
    bounded = [i for i in checked if i.lower is not None and i.upper is not None]
    summary = {
        "tasks": len(checked), "rmse": rmse(measured, estimate), "mae": mae(measured, estimate),
        "spearman": spearman(measured, estimate) if len(checked) > 2 else None,
        "coverage": coverage([i.measured for i in bounded], [i.lower for i in bounded],
                             [i.upper for i in bounded]) if bounded else None,
    }
    return {k: _num(v) for k, v in summary.items()}


def _group_results(report: EstimationReport) -> dict:
    """A group's figure: the mean of its tasks' estimates, when every task has one."""
    groups = {}
    for group, members in report.plan.groups.items():
        values = [report.estimates[m].estimate for m in members if report.estimates[m].estimate is not None]
        if values and len(values) == len(members):
            key = report.estimates[members[0]].metric_key
            groups[group] = {"alias": group, f"{key},none": sum(values) / len(values), f"{key}_stderr,none": "N/A"}
    return groups


class ResultsNotWrittenError(OSError):
    """lm-eval's tracker did not write the results file (it only logs that); the message names where it should be."""


def output_problem(output_path) -> str | None:
    """Why lm-eval could not write its results under ``output_path`` (checked before any model runs), or None.

    lm-eval writes ``<output_path>_<date>.json`` beside a ``.json`` path, else ``<output_path>/<model>/results_<date>.json``.
    """
    from .._io import unwritable_file, unwritable_folder

    path = Path(output_path)
    if path.suffix == ".json":
        return unwritable_file(path.with_name(f"{path.stem}_date.json"), "--output_path")
    return unwritable_folder(path, "--output_path")


def write_results(results: dict, output_path: str, target: str) -> str:
    """Save ``results`` with lm-eval's own ``EvaluationTracker`` (its file names and folders); returns the path.

    Raises ``ResultsNotWrittenError`` when the file is not there afterwards (lm-eval only logs a failure).
    """
    from lm_eval.loggers import EvaluationTracker

    tracker = EvaluationTracker(output_path=output_path)
    tracker.general_config_tracker.log_experiment_args(
        model_source="proxylm-eval", model_args=f"pretrained={target}", system_instruction=None,
        chat_template=None, fewshot_as_multiturn=False)
    tracker.save_results_aggregated(results=results, samples=None)
    out, date = Path(output_path), getattr(tracker, "date_id", "<date>")
    if out.suffix == ".json":
        path = out.with_name(f"{out.stem}_{date}.json")
    else:
        path = out / tracker.general_config_tracker.model_name_sanitized / f"results_{date}.json"
    if not path.is_file():
        raise ResultsNotWrittenError(f"the results file {path} was not written (lm-eval could not save it under "
                                     f"--output_path {output_path})")
    return str(path)


def _fmt(value, digits=4):
    return "" if value is None else f"{value:.{digits}f}"


def estimate_table(results: dict) -> str:
    """Markdown table in lm-eval's style: task, metric, estimate, interval, measured, error, source."""
    section = results["proxylm"]["tasks"]
    coverage = next(iter(section.values()), {}).get("coverage", 0.9)
    head = ["Tasks", "Metric", "", "Estimate", f"{coverage:.0%} interval", "Measured", "Error", "Source"]
    lines = ["|" + "|".join(head) + "|", "|" + "|".join("-" * max(len(h), 3) for h in head) + "|"]
    for name, item in section.items():
        interval = item["interval"]
        if not interval:
            shown = ""
        elif None in interval:
            shown = "unbounded"
        else:
            shown = f"[{_fmt(interval[0])}, {_fmt(interval[1])}]"
        arrow = "↑"
        lines.append("|" + "|".join([name, item["metric"], arrow, _fmt(item["estimate"]), shown,
                                      _fmt(item["measured"]), _fmt(item["error"]), item["source"]]) + "|")
    return "\n".join(lines)


def plot_task_estimates(section: dict, path, title: str = "") -> None:
    """proxylm-eval's estimates per task with their intervals, and measured scores where known.

    ``section`` is the ``proxylm.tasks`` mapping of a results file.
    """
    plt = pyplot()
    names = list(section)
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(names) + 1)))
    for i, name in enumerate(names):
        item = section[name]
        if item["estimate"] is None:
            continue
        interval = item.get("interval") or [None, None]
        if item["source"] == "estimated" and None not in interval:
            ax.plot(interval, [i, i], color="tab:blue", alpha=0.5, linewidth=3)
        marker = "o" if item["source"] == "estimated" else "s"
        ax.plot(item["estimate"], i, marker, color="tab:blue" if marker == "o" else "tab:green")
        if item.get("measured") is not None and item["source"] == "estimated":
            ax.plot(item["measured"], i, "x", color="tab:red")
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.invert_yaxis()
    metric = next(iter(section.values()))["metric"] if section else ""
    ax.set_xlabel(f"{metric}: estimate (o) with interval, measured on the target (x), measured for --measure (s)")
    ax.set_title(title)
    save_figure(fig, path)
