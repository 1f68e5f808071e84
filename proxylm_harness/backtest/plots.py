"""Plots a person would rather look at than read: benchmark cells against ProxyLM, estimates against measurements."""

from __future__ import annotations

import numpy as np

from .._plotting import pyplot, save_figure

__all__ = ["plot_benchmark", "plot_completed_row", "plot_estimates"]


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


def _language_label(row) -> str:
    source, target = row["source_lang"], row["target_lang"]
    if source == target or not isinstance(source, str):
        return str(target)
    return f"{source}-{target}"


def plot_completed_row(table, path, title: str = "", max_cells: int = 60) -> None:
    """A completed row (``CompletionResult.table``): per task family, the estimate and interval of each language
    (measured cells as black dots); a family of more than ``max_cells`` cells is shown per target language, as the
    mean over its cells."""
    import pandas as pd

    plt = pyplot()
    frame = table.copy()
    frame["family"] = frame["family"].fillna("?").astype(str)
    frame["language"] = [_language_label(r) for _, r in frame.iterrows()]
    families = sorted(frame["family"].unique())
    fig, axes = plt.subplots(len(families), 1, figsize=(10, 2.6 * len(families) + 0.6), squeeze=False)
    for ax, family in zip(axes[:, 0], families):
        part = frame[frame["family"] == family]
        note = ""
        if len(part) > max_cells:
            part = part.assign(language=part["target_lang"].astype(str), measured=part["source"] == "measured")
            part = part.groupby("language", sort=True).agg(estimate=("estimate", "mean"), lower=("lower", "mean"),
                                                            upper=("upper", "mean"), measured=("measured", "all"))
            part["source"] = np.where(part["measured"], "measured", "estimated")
            part = part.reset_index()
            note = " (mean over the cells of each target language)"
        x = np.arange(len(part))
        est = part["source"].to_numpy() == "estimated"
        values = part["estimate"].to_numpy(dtype=float)
        ax.errorbar(x[est], values[est], yerr=[values[est] - part["lower"].to_numpy(float)[est],
                                               part["upper"].to_numpy(float)[est] - values[est]],
                    fmt="o", markersize=3, elinewidth=0.8, color="tab:blue", label="estimated, with interval")
        ax.plot(x[~est], values[~est], "o", markersize=4, color="black", label="measured")
        ax.set_xticks(x, list(pd.Series(part["language"]).astype(str)), rotation=90, fontsize=6)
        ax.set_title(f"{family}{note}", fontsize=9)
        metrics = sorted(frame.loc[frame["family"] == family, "metric"].astype(str).unique())
        ax.set_ylabel(", ".join(metrics), fontsize=8)
    axes[0, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
