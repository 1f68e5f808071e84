"""The completion benchmark's report: the markdown section of ``benchmarks/RESULTS.md`` and its plot."""

from __future__ import annotations

import math

import numpy as np

from .._plotting import pyplot, save_figure
from ..estimators.completion.base import BASELINES
from ..estimators.completion.proxy_boost import FACTOR_GROUPS
from .completion_suite import DEFAULT_METHOD
from .report import json_ready

__all__ = ["BAR", "COVERAGE_BAND", "completion_markdown", "headline_rows", "json_ready", "plot_completion"]

#: The issue's bar: the default's MAE at most 0.85 x the best baseline's, and 90% intervals covering 85-95%.
BAR = 0.85
COVERAGE_BAND = (0.85, 0.95)


def _fmt(value, digits=4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def headline_rows(out: dict) -> list[dict]:
    """Per (data set, pool, K): the default against the best baseline on the same reveals, and its intervals."""
    rows = []
    keys = sorted({(r["dataset"], r["pool"], r["K"]) for r in out["results"]})
    for key in keys:
        found = {r["method"]: r for r in out["results"] if (r["dataset"], r["pool"], r["K"]) == key}
        baselines = {m: found[m]["mae"] for m in BASELINES.values() if m in found}
        if DEFAULT_METHOD not in found or not baselines:
            continue
        best = min(baselines, key=baselines.get)
        d = found[DEFAULT_METHOD]
        ratio = d["mae"] / baselines[best]
        covered = COVERAGE_BAND[0] <= d["coverage"] <= COVERAGE_BAND[1]
        rows.append({"dataset": key[0], "pool": key[1], "K": key[2], "n_problems": d["n_problems"], "mae": d["mae"],
                     "rmse": d["rmse"], "spearman": d["spearman"], "best_baseline": best,
                     "best_baseline_mae": baselines[best], "ratio": ratio, "bar_met": ratio <= BAR,
                     "coverage": d["coverage"], "width": d["width"], "coverage_met": covered})
    return rows


def _letter(method: str) -> str:
    return next((f"({k}) {m}" for k, m in BASELINES.items() if m == method), method)


def _headline(out) -> list[str]:
    lines = ["| dataset | pool | K | problems | default MAE | RMSE | Spearman | best baseline (MAE) | ratio | "
             f"MAE bar (<= {BAR}) | 90% coverage | coverage bar (85-95%) | width |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in headline_rows(out):
        lines.append(f"| {r['dataset']} | {r['pool']} | {r['K']} | {r['n_problems']} | {_fmt(r['mae'])} | "
                     f"{_fmt(r['rmse'])} | {_fmt(r['spearman'], 3)} | {_letter(r['best_baseline'])} "
                     f"{_fmt(r['best_baseline_mae'])} | {r['ratio']:.2f} | {'met' if r['bar_met'] else '**not met**'}"
                     f" | {_fmt(r['coverage'], 3)} | {'met' if r['coverage_met'] else '**not met**'} | "
                     f"{_fmt(r['width'], 3)} |")
    return lines


def _full_tables(out) -> list[str]:
    lines = []
    for dataset, pool, K in sorted({(r["dataset"], r["pool"], r["K"]) for r in out["results"]}):
        found = sorted((r for r in out["results"] if (r["dataset"], r["pool"], r["K"]) == (dataset, pool, K)),
                       key=lambda r: r["mae"])
        lines += ["", f"**{dataset}, pool {pool}, K = {K}**", "",
                  "| method | problems | MAE | RMSE | Spearman | coverage | width | coverage flagged (n) | "
                  "coverage unflagged (n) |", "|---|---|---|---|---|---|---|---|---|"]
        for r in found:
            name = _letter(r["method"]) + (" (default)" if r["method"] == DEFAULT_METHOD else "")
            lines.append(f"| {name} | {r['n_problems']} | {_fmt(r['mae'])} | {_fmt(r['rmse'])} | "
                         f"{_fmt(r['spearman'], 3)} | {_fmt(r['coverage'], 3)} | {_fmt(r['width'], 3)} | "
                         f"{_fmt(r['coverage_flagged'], 3)} ({r['n_flagged']}) | "
                         f"{_fmt(r['coverage_unflagged'], 3)} ({r['n_unflagged']}) |")
    return lines


def _strongest(out) -> list[str]:
    lines = ["| dataset | K | method | MAE, largest | MAE, other targets | coverage, largest | coverage, others | "
             "width, largest | flagged, largest |", "|---|---|---|---|---|---|---|---|---|"]
    for dataset, largest in out["largest"].items():
        for K in out["config"]["ks"]:
            for method in (DEFAULT_METHOD, *BASELINES.values()):
                found = [r for r in out["per_target"] if (r["dataset"], r["pool"], r["K"], r["method"])
                         == (dataset, "all", K, method)]
                big = [r for r in found if r["largest"]]
                rest = [r for r in found if not r["largest"]]
                if not big:
                    continue
                mean = lambda rs, k: float(np.mean([r[k] for r in rs])) if rs else float("nan")  # noqa: E731
                lines.append(f"| {dataset} | {K} | {_letter(method)} | {_fmt(mean(big, 'mae'))} | "
                             f"{_fmt(mean(rest, 'mae'))} | {_fmt(mean(big, 'coverage'), 3)} | "
                             f"{_fmt(mean(rest, 'coverage'), 3)} | {_fmt(mean(big, 'width'), 3)} | "
                             f"{_fmt(mean(big, 'flagged'), 2)} |")
    return lines


def _active(out) -> list[str]:
    lines = ["| dataset | pool | K | active MAE | random MAE (mean over seeds) | targets where active wins |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | {r['pool']} | {r['K']} | {_fmt(r['active_mae'])} | {_fmt(r['random_mae'])} | "
              f"{r['active_wins']}/{r['n_targets']} |" for r in out["active"]]
    return lines


def _groups(shapley: list) -> list[str]:
    return [g for g in FACTOR_GROUPS if any(g in r["groups"] for r in shapley)]


def _shapley(out) -> list[str]:
    groups = _groups(out["shapley"])
    lines = ["| dataset | pool | K | problems | MAE, no factors | MAE, all factors | " + " | ".join(groups) + " |",
             "|---|---|---|---|---|---|" + "---|" * len(groups)]
    for r in out["shapley"]:
        lines.append(f"| {r['dataset']} | {r['pool']} | {r['K']} | {r['n_problems']} | {_fmt(r['mae_none'])} | "
                     f"{_fmt(r['mae_all'])} | " + " | ".join(_fmt(r["groups"].get(g), 4) for g in groups) + " |")
    return lines


def completion_markdown(out: dict, plot: str | None = None) -> str:
    """The section body: headline table, strongest-model case, active choice, Shapley, then every method; ``plot``: a
    path to the plot, relative to the markdown file, shown under the first paragraph."""
    c = out["config"]
    lines = [f"Reveal-K on {', '.join(c['datasets'])}: {c['seeds']} seeds (K = 0: one problem per target; "
             f"{', '.join(k for k in ('factor_ncf', 'proxy_boost') if k in c['methods'])} on the first "
             f"{c['expensive_seeds']} seeds), pools {', '.join(c['pools'])}, {c['level']:.0%} intervals, "
             f"scores on a 0-1 scale of each metric's range (MASSIVE accuracy / 100). Default: `{DEFAULT_METHOD}` "
             f"(conformal intervals). Wall time {out['timing']['total']:.0f} s.", ""]
    if plot:
        lines += [f"![completion benchmark]({plot})", ""]
    lines += ["### Default against the best baseline on the same reveals", ""] + _headline(out)
    lines += ["", "### The strongest-model case: the largest model of each family, from the others (pool all)", ""]
    lines += ["Targets: " + "; ".join(f"{d}: {', '.join(v)}" for d, v in out["largest"].items()) + ".", ""]
    lines += _strongest(out)
    if out["active"]:
        lines += ["", "### Active choice of the K revealed cells against K random cells (default estimator)", ""]
        lines += _active(out)
    if out["shapley"]:
        lines += ["", "### Factor importance: exact Shapley values of the factor groups", "",
                  "Each group's reduction of ProxyBoost's cross-validated MAE (they sum to the difference between "
                  "no factors and all), mean over the problems.", ""] + _shapley(out)
    lines += ["", "### Every method", ""] + _full_tables(out)
    return "\n".join(lines) + "\n"


def _plot_shapley(ax, shapley: list) -> None:
    groups = _groups(shapley)
    width = 0.8 / max(len(shapley), 1)
    for i, r in enumerate(shapley):
        x = np.arange(len(groups)) + (i - (len(shapley) - 1) / 2) * width
        ax.bar(x, [r["groups"].get(g, 0.0) for g in groups], width, label=f"{r['dataset']} {r['pool']} (K={r['K']})")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(groups)), groups, fontsize=8)
    ax.set_ylabel("MAE reduction (Shapley)", fontsize=8)
    ax.set_title("Factor importance: exact Shapley values of the factor groups (ProxyBoost's CV MAE)", fontsize=9)
    ax.legend(fontsize=7)


def plot_completion(out: dict, path) -> None:
    """Top: the default's MAE over the best baseline's per (data set, pool, K), the bar dashed, and the coverage of
    its intervals; below (when computed): the Shapley values of the factor groups."""
    plt = pyplot()
    rows = headline_rows(out)
    labels = [f"{r['dataset']} {r['pool']} K={r['K']}" for r in rows]
    height = 0.32 * len(rows) + 1.5
    fig = plt.figure(figsize=(10, height + (3.2 if out.get("shapley") else 0)))
    shapley = bool(out.get("shapley"))
    grid = fig.add_gridspec(2 if shapley else 1, 2, height_ratios=[height, 3.2] if shapley else None)
    left = fig.add_subplot(grid[0, 0])
    right = fig.add_subplot(grid[0, 1], sharey=left)
    y = np.arange(len(rows))
    left.barh(y, [r["ratio"] for r in rows], color=["tab:green" if r["bar_met"] else "tab:red" for r in rows])
    left.axvline(1.0, color="black", linewidth=1)
    left.axvline(BAR, color="grey", linestyle="--", linewidth=1)
    left.set_yticks(y, labels, fontsize=7)
    left.invert_yaxis()
    left.set_xlabel("default MAE / best baseline MAE (dashed: the 0.85 bar)", fontsize=8)
    colors = ["tab:blue" if r["coverage_met"] else "tab:orange" for r in rows]
    right.barh(y, [r["coverage"] for r in rows], color=colors)
    for edge in COVERAGE_BAND:
        right.axvline(edge, color="grey", linestyle="--", linewidth=1)
    right.set_xlim(0.5, 1.0)
    right.tick_params(labelleft=False)
    right.set_xlabel("coverage of the 90% intervals (dashed: 85-95%)", fontsize=8)
    if out.get("shapley"):
        _plot_shapley(fig.add_subplot(grid[1, :]), out["shapley"])
    fig.tight_layout()
    save_figure(fig, path)
