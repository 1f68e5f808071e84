"""The benchmark's output: the rows as JSON, as markdown tables, and sections of ``benchmarks/RESULTS.md`` replaced in place."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .._io import write_text

__all__ = ["json_ready", "markdown_table", "replace_markdown_section", "update_results_markdown", "write_rows"]


def json_ready(value):
    """``value`` with tuples as lists, numpy scalars as Python numbers and NaN as None (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_rows(rows: list[dict], path) -> None:
    """Write the rows as a JSON list (NaN as null), atomically."""
    write_text(path, json.dumps(json_ready(rows), indent=1) + "\n")


def _fmt(value, digits=4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}g}"


def markdown_table(rows: list[dict]) -> str:
    """Protocol cells as one markdown table, then the URIEL+ agreement table."""
    cells = [r for r in rows if r["protocol"] != "typology_agreement"]
    lines = [
        "| dataset | target | metric | protocol | regressor | RMSE | ± std | ProxyLM | ratio | MAE | Spearman | coverage | width | extrapolated | test sets |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in cells:
        protocol = r["protocol"] + (f" {r['portion']:.0%}" if r.get("portion") is not None else "")
        ratio = r.get("ratio_to_reference")
        lines.append(
            f"| {r['dataset']} | {r['target']} | {r['metric']} | {protocol} | {r['regressor']} | {_fmt(r['rmse'])} "
            f"| {_fmt(r['rmse_std'], 3)} | {_fmt(r['reference_rmse'])} | {_fmt(ratio, 3)} | {_fmt(r['mae'])} "
            f"| {_fmt(r['spearman'], 3)} | {_fmt(r['coverage'], 3)} | {_fmt(r['width'], 4)} | {_fmt(r['extrapolated'], 2)} "
            f"| {r['n_test_sets']} |"
        )
    agreement = [r for r in rows if r["protocol"] == "typology_agreement"]
    if agreement:
        lines += ["", "URIEL+ distances against the records' lang2vec columns (language pairs, same-language pairs left out):",
                  "", "| dataset | distance | Pearson | Spearman | pairs | pairs without a URIEL+ value |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['dataset']} | {r['distance']} | {_fmt(r['pearson'], 3)} | {_fmt(r['spearman'], 3)} "
                  f"| {r['n_pairs']} | {r['n_skipped']} |" for r in agreement]
    return "\n".join(lines) + "\n"


def replace_markdown_section(path, name: str, body: str, command: str) -> None:
    """Replace the ``name`` section of a markdown file (between ``<!-- name:start -->`` and ``<!-- name:end -->``)
    with ``body`` and the command that produced it; other text is kept. Creates the file if needed."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    path = Path(path)
    block = f"{start}\nProduced by `{command}`.\n\n{body}{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_text(path, text)


def update_results_markdown(path, rows: list[dict], command: str) -> None:
    """Replace the benchmark table of ``path`` with one made from ``rows``."""
    replace_markdown_section(path, "benchmark-table", markdown_table(rows), command)
