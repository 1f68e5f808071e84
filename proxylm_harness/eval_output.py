"""proxylm-eval's output: an lm-eval results file (lm-eval's schema and layout, plus a ``proxylm`` section) and tables."""

from __future__ import annotations

import json
import math
import time
from importlib.metadata import version
from pathlib import Path

from .estimation import FAMILY_METRICS, EstimationReport

__all__ = ["estimate_table", "results_dict", "write_results"]


def _num(value):
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def results_dict(report: EstimationReport) -> dict:
    """The run as lm-eval's ``simple_evaluate`` would return it, estimates in place of measurements.

    ``results[task]["<metric>,none"]`` holds the estimate (or the measurement, for tasks ``--measure``
    ran the target on); ``<metric>_lower,none``/``<metric>_upper,none`` the interval. The ``proxylm``
    section says, per task, where each number came from.
    """
    request, settings = report.request, report.settings
    results, configs, versions, n_shot, higher, n_samples, per_task = {}, {}, {}, {}, {}, {}, {}
    for name, item in report.estimates.items():
        key = item.metric_key
        task = report.tasks[name]
        entry = {"alias": name}
        if item.estimate is not None:
            entry[f"{key},none"] = item.estimate
            entry[f"{key}_stderr,none"] = "N/A"
            if item.source == "estimated":
                entry[f"{key}_lower,none"] = _num(item.lower)
                entry[f"{key}_upper,none"] = _num(item.upper)
        results[name] = entry
        config = task.dump_config()
        configs[name] = config
        versions[name] = (config.get("metadata") or {}).get("version")
        n_shot[name] = settings.num_fewshot or 0
        higher[name] = {key: True}
        docs = len(task.eval_docs)
        n_samples[name] = {"original": docs, "effective": docs if settings.limit is None else
                           min(docs, int(settings.limit if settings.limit >= 1 else math.ceil(settings.limit * docs)))}
        per_task[name] = {
            "source": item.source if item.estimate is not None else "none",
            "metric": key,
            "estimate": item.estimate,
            "interval": [_num(item.lower), _num(item.upper)] if item.source == "estimated" else None,
            "coverage": request.coverage or 0.9,
            "measured": item.measured,
            "error": item.error,
            "languages": {"source": item.languages.raw_source_lang, "target": item.languages.raw_target_lang,
                          "family": item.languages.family, "dataset": item.languages.dataset},
            "proxies": item.proxies,
            "warnings": item.warnings,
        }
    checked = [item for item in report.estimates.values() if item.error is not None]
    summary = None
    if checked:
        import numpy as np

        from .metrics import coverage, mae, rmse, spearman

        measured = np.array([i.measured for i in checked])
        estimate = np.array([i.estimate for i in checked])
        bounded = [i for i in checked if i.lower is not None and i.upper is not None]
        summary = {
            "tasks": len(checked), "rmse": rmse(measured, estimate), "mae": mae(measured, estimate),
            "spearman": spearman(measured, estimate) if len(checked) > 2 else None,
            "coverage": coverage([i.measured for i in bounded], [i.lower for i in bounded],
                                 [i.upper for i in bounded]) if bounded else None,
        }
        summary = {k: _num(v) for k, v in summary.items()}
    groups = {}
    for group, members in report.group_map.items():
        values = [report.estimates[m].estimate for m in members if report.estimates[m].estimate is not None]
        if values and len(values) == len(members):
            key = report.estimates[members[0]].metric_key
            groups[group] = {"alias": group, f"{key},none": sum(values) / len(values), f"{key}_stderr,none": "N/A"}
    predictors = {}
    for family, predictor in report.predictors.items():
        if isinstance(predictor, dict):  # fitted on this run's measured tasks
            residuals = predictor["predictor"].residuals_
            folds = len(predictor["predictor"].fold_models_)
            predictors[family] = {"id": "fitted-on-measured-tasks", "fitted_on": predictor["fitted_on"],
                                  "records_rows": predictor["records_rows"], "features": predictor["spec"].columns,
                                  "validation": {"rmse": float((residuals ** 2).mean() ** 0.5) /
                                                 FAMILY_METRICS[family][2],
                                                 "method": "leave-one-out" if folds == len(residuals) else
                                                 f"{folds}-fold cross-validation"}}
        else:
            manifest = predictor.manifest
            scale = FAMILY_METRICS[family][2]
            predictors[family] = {"id": predictor.id, "directory": str(predictor.directory),
                                  "target": manifest["target"], "features": predictor.spec.columns,
                                  "validation": {"rmse": manifest["validation"]["rmse"] / scale,
                                                 "coverage": manifest["validation"].get("coverage"),
                                                 "calibration": manifest["validation"].get("calibration")}}
    return {
        "results": results,
        "groups": groups,
        "group_subtasks": {**{g: list(m) for g, m in report.group_map.items()},
                           **{n: [] for n in results if not any(n in m for m in report.group_map.values())}},
        "configs": configs,
        "versions": versions,
        "n-shot": n_shot,
        "higher_is_better": higher,
        "n-samples": n_samples,
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
            "mode": request.mode,
            "target": request.target,
            "tasks": per_task,
            "check": summary,
            "predictors": predictors,
            "proxy_runs": [{"model": m, "task": t, **run} for (m, t), run in sorted(report.runs.items())],
            "failures": report.failures,
            "warnings": report.warnings,
            "timings": {k: round(v, 4) for k, v in report.timings.items()},
        },
    }


def write_results(results: dict, output_path: str, target: str) -> str:
    """Save ``results`` with lm-eval's own ``EvaluationTracker`` (its file names and folders); returns the path."""
    from lm_eval.loggers import EvaluationTracker

    tracker = EvaluationTracker(output_path=output_path)
    tracker.general_config_tracker.log_experiment_args(
        model_source="proxylm-eval", model_args=f"pretrained={target}", system_instruction=None,
        chat_template=None, fewshot_as_multiturn=False)
    tracker.save_results_aggregated(results=results, samples=None)
    out = Path(output_path)
    if out.suffix == ".json":
        return str(out.with_name(f"{out.stem}_{tracker.date_id}.json"))
    return str(out / tracker.general_config_tracker.model_name_sanitized / f"results_{tracker.date_id}.json")


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


def dumps(results: dict) -> str:
    return json.dumps(results, indent=2, default=str, ensure_ascii=False)
