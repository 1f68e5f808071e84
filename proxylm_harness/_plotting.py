"""Matplotlib without a display, and saving a figure atomically (the plots of every stage use these)."""

from __future__ import annotations

from pathlib import Path

from ._io import atomic_path

__all__ = ["pyplot", "save_figure"]


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    pyplot().close(fig)
