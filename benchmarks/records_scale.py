"""Loading large record files: time and peak memory of ``load_records`` on synthetic MT560 files of several sizes.

Run from the repository root:
    python benchmarks/records_scale.py [--sizes 5,20,50] [--markdown benchmarks/RESULTS.md] [--json raw.json]
The files are synthesised under a temporary folder from the real MT560 header and rows (every unit unique, scores
perturbed within their ranges) and removed afterwards. Each load runs in a fresh process; its peak RSS is measured
over the process's RSS after the imports (and a warm-up load of a tiny file). With --markdown, replaces the
records-scale section of that file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_MB = 1 << 20

# Runs in the child process: argv = [tiny file, file to measure].
_CHILD = r"""
import gc, json, os, resource, sys, time, warnings
import pandas, numpy
from proxylm_harness.records import load_records
warnings.simplefilter("ignore")
load_records(sys.argv[1])  # warm-up: lazy imports and caches
gc.collect()

def rss():
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

baseline = rss()
try:  # Linux: reset the high-water mark, so ru_maxrss is the peak of the load alone
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
except OSError:
    pass
started = time.perf_counter()
records = load_records(sys.argv[2])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
print(json.dumps({"seconds": seconds, "peak_increase": peak - baseline, "long_rows": len(records),
                  "baseline": baseline}))
"""


def _templates(records_dir: Path):
    with open(records_dir / "mt560_experiments.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _score_bounds(header: list) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of each column a generated value must respect (inf where none)."""
    low, high = np.full(len(header), -np.inf), np.full(len(header), np.inf)
    for j, name in enumerate(header):
        if name.endswith("_se"):
            low[j] = 0.0
        elif name.endswith("_mean"):
            metric = name.rsplit("_", 2)[-2]
            low[j], high[j] = {"comet": (-3.0, 3.0), "TER": (0.0, np.inf)}.get(metric, (0.0, 100.0))
    return low, high


def synthesise(path: Path, target_bytes: int, header: list, rows: list, seed: int = 0) -> int:
    """Write an MT560-layout file of about ``target_bytes`` (unique units); return its number of records."""
    rng = np.random.default_rng(seed)
    scores = [j for j, name in enumerate(header) if name.endswith(("_mean", "_se"))]
    size = header.index("dataset_size")
    low, high = _score_bounds(header)
    values = np.array([[float(r[j]) for j in scores] for r in rows])
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        written = handle.write(",".join(header) + "\n")
        while written < target_bytes:
            block = io.StringIO()
            writer = csv.writer(block, lineterminator="\n")
            noise = 1 + 0.05 * rng.standard_normal(values.shape)
            perturbed = np.clip(np.round(values * noise, 4), low[scores], high[scores])
            for template, numbers in zip(rows, perturbed):
                row = list(template)
                row[size] = str(1000 + count)  # a unique dataset_size makes every unit unique
                for j, value in zip(scores, numbers.tolist()):
                    row[j] = repr(value)
                writer.writerow(row)
                count += 1
            text = block.getvalue()
            if written + len(text) > target_bytes:  # the last block: cut it at the line end nearest the target
                text = text[: text.find("\n", target_bytes - written) + 1]
                count -= len(rows) - text.count("\n")
            written += handle.write(text)
    return count


def measure(path: Path, tiny: Path) -> dict:
    """Load ``path`` in a fresh interpreter; return its seconds and peak RSS increase (bytes)."""
    run = subprocess.run([sys.executable, "-c", _CHILD, str(tiny), str(path)], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        raise RuntimeError(f"loading {path} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _table(results: list) -> str:
    lines = [
        f"`load_records` on synthetic MT560 files (unique units, 42 long rows each), each in a fresh process. "
        f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Peak = peak RSS over the RSS after the imports.",
        "",
        "| file | units | long rows | load time | peak RSS increase | peak / file size |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['bytes'] / _MB:.1f} MB | {r['units']} | {r['long_rows']} | {r['seconds']:.2f} s | "
                     f"{r['peak_increase'] / _MB:.0f} MB | {r['peak_increase'] / r['bytes']:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default=os.environ.get("PROXYLM_RECORDS", "../shared/data/proxylm"),
                        help="folder with the real mt560_experiments.csv (its header and rows are the templates)")
    parser.add_argument("--sizes", default="5,20,50", help="file sizes in MB, comma-separated")
    parser.add_argument("--markdown", help="file whose records-scale section is replaced")
    parser.add_argument("--json", help="file to write the raw measurements to (bytes, seconds, peak_increase, ...)")
    args = parser.parse_args(argv)
    from tqdm.auto import tqdm

    header, rows = _templates(Path(args.records))
    sizes = [float(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="records-scale-") as folder:
        tiny = Path(folder) / "tiny.csv"
        synthesise(tiny, 20_000, header, rows)
        for megabytes in tqdm(sizes, desc="record files", unit="file"):
            path = Path(folder) / f"mt560_{megabytes:g}MB.csv"
            units = synthesise(path, int(megabytes * _MB), header, rows)
            results.append({"bytes": path.stat().st_size, "units": units, **measure(path, tiny)})
            path.unlink()
    table = _table(results)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        from proxylm_harness.backtest.report import replace_markdown_section

        command = "python benchmarks/records_scale.py " + " ".join(sys.argv[1:])
        replace_markdown_section(args.markdown, "records-scale", table, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
