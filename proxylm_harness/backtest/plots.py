"""Plots a person would rather look at than read: benchmark cells against ProxyLM, estimates against measurements."""

from __future__ import annotations

import numpy as np

from .._plotting import pyplot, save_figure

__all__ = ["plot_benchmark", "plot_estimates"]


def plot_benchmark(rows: list[dict], path) -> None:
    """Our RMSE divided by ProxyLM's for every cell that has a published figure (1 = parity)."""
    plt = pyplot()
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
    save_figure(fig, path)


def plot_estimates(measured, estimate, lower, upper, path, title: str = "") -> None:
    """Estimated against measured scores, with the intervals as error bars."""
    plt = pyplot()
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
    save_figure(fig, path)
