"""Plots of results a person would rather look at than read: benchmark cells against ProxyLM, estimates against measurements."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_benchmark", "plot_estimates", "plot_per_language", "plot_task_estimates"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    from .regressors.base import atomic_path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    _pyplot().close(fig)


def plot_benchmark(rows: list[dict], path) -> None:
    """Our RMSE divided by ProxyLM's for every cell that has a published figure (1 = parity)."""
    plt = _pyplot()
    cells = [r for r in rows if r.get("reference_rmse") and r.get("rmse") is not None]
    if not cells:
        raise ValueError("No benchmark cell has a ProxyLM figure to compare with; nothing to plot.")
    labels = [f"{r['dataset']} {r['target']} {r['metric']} {r['protocol']}"
              + (f" {r['portion']:.0%}" if r.get("portion") is not None else "") for r in cells]
    ratios = np.array([r["rmse"] / r["reference_rmse"] for r in cells])
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(cells) + 1.2))
    colors = ["tab:green" if v <= 1 else "tab:red" for v in ratios]
    ax.barh(range(len(cells)), ratios, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.axvline(0.85, color="grey", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(cells)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("RMSE / ProxyLM's RMSE (left of 1: better; dashed: 15% better)")
    _save(fig, path)


def plot_estimates(measured, estimate, lower, upper, path, title: str = "") -> None:
    """Estimated against measured scores, with the intervals as error bars."""
    plt = _pyplot()
    measured, estimate = np.asarray(measured, float), np.asarray(estimate, float)
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    inside = (measured >= lower) & (measured <= upper)
    for mask, color, label in ((inside, "tab:blue", "measured inside interval"),
                               (~inside, "tab:red", "measured outside interval")):
        ax.errorbar(measured[mask], estimate[mask], yerr=[estimate[mask] - lower[mask], upper[mask] - estimate[mask]],
                    fmt="o", markersize=3, alpha=0.6, elinewidth=0.6, color=color, label=label)
    low = float(np.nanmin([measured.min(), lower[np.isfinite(lower)].min(initial=measured.min())]))
    high = float(np.nanmax([measured.max(), upper[np.isfinite(upper)].max(initial=measured.max())]))
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set_xlabel("measured")
    ax.set_ylabel("estimated")
    rmse = float(np.sqrt(np.nanmean((estimate - measured) ** 2)))
    ax.set_title(f"{title}\nRMSE {rmse:.3g}, coverage {inside.mean():.2f}", fontsize=9)
    ax.legend(fontsize=7)
    _save(fig, path)


def plot_per_language(per_test_rmse: dict, path, title: str = "") -> None:
    """RMSE per held-out language and side (lolo or unseen test sets)."""
    plt = _pyplot()
    names = sorted(per_test_rmse, key=per_test_rmse.get, reverse=True)
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(names) + 1.2))
    ax.barh(range(len(names)), [per_test_rmse[n] for n in names])
    ax.set_yticks(range(len(names)), names, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("RMSE")
    ax.set_title(title, fontsize=9)
    _save(fig, path)


def plot_task_estimates(section: dict, path, title: str = "") -> None:
    """proxylm-eval's estimates per task with their intervals, and measured scores where known.

    ``section`` is the ``proxylm.tasks`` mapping of a results file.
    """
    plt = _pyplot()
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
    _save(fig, path)
