"""``proxylm-harness predict`` at scale: wall time and peak memory (RSS) for 10k, 100k and 1M input rows.

Each size runs in its own process (``predict`` with the shipped M2M100 zero-shot predictor on a generated plain CSV
of language pairs and SMaLL-100 scores); the peak RSS is that process's ``ru_maxrss``.

Usage: python benchmarks/predict_scale.py [--rows 10000 100000 1000000] [--markdown benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
PREDICTOR = REPO / "predictors" / "m2m100-zeroshot-translation-spBLEU"
CODES = ("afr amh arz bak bel ceb cym deu dik ewe fao fra guj hau hne hye ibo ind jav kan kat kaz khm kin kir kor "
         "lmo ltz mar mri mya oci pan plt rus sin sna snd som ssw tam tat tgl tuk vie wol xho yor zho zul").split()


def write_rows(path: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    other = rng.choice(CODES, size=n)
    english_source = rng.random(n) < 0.5
    scores = np.round(rng.uniform(0, 40, size=n), 3)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("source_lang,target_lang,test_dataset,small100_noft\n")
        for start in range(0, n, 100_000):
            block = slice(start, start + 100_000)
            lines = [f"eng,{o},flores,{s}" if e else f"{o},eng,flores,{s}"
                     for o, e, s in zip(other[block], english_source[block], scores[block])]
            handle.write("\n".join(lines) + "\n")


def measure(rows: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one ``predict`` process."""
    script = Path(sys.executable).parent / "proxylm-harness"
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        process = subprocess.Popen([str(script), "predict", "--predictor", str(PREDICTOR), "--input", str(rows),
                                    "--output", str(out)], stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own resource usage
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            sys.exit(f"predict failed on {rows}:\n{errors.read()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--markdown", help="markdown file whose 'predict-scale' section is replaced")
    args = parser.parse_args(argv)
    from proxylm_harness.backtest.report import replace_markdown_section

    root = Path(tempfile.mkdtemp(prefix="proxylm-predict-scale-"))
    results = []
    for n in tqdm(sorted(args.rows), desc="predict sizes"):
        rows = root / f"rows-{n}.csv"
        write_rows(rows, n)
        seconds, peak = measure(rows, root / f"out-{n}.csv")
        results.append((n, rows.stat().st_size / 2**20, seconds, peak))
    base_n, _, base_s, _ = results[0]
    lines = [f"On {os.cpu_count()} CPU cores. `proxylm-harness predict` with the shipped M2M100 zero-shot predictor on "
             "generated plain CSVs; one process per size, its peak resident memory as the OS reports it.", "",
             "| input rows | input MiB | seconds | seconds per 100k rows | peak RSS MiB |", "|---|---|---|---|---|"]
    for n, mib, seconds, peak in results:
        lines.append(f"| {n:,} | {mib:.1f} | {seconds:.1f} | {seconds / n * 1e5:.2f} | {peak:.0f} |")
    largest = results[-1]
    lines += ["", f"Bar: 1,000,000 rows in under 1 GiB peak, in linear time: measured {largest[3]:.0f} MiB at "
              f"{largest[0]:,} rows; time per row {largest[2] / largest[0] * 1e5:.2f} s per 100k against "
              f"{base_s / base_n * 1e5:.2f} at {base_n:,} (start-up included).", ""]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        command = "python benchmarks/predict_scale.py" + (f" --markdown {args.markdown}" if args.markdown else "")
        replace_markdown_section(args.markdown, "predict-scale", text, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
