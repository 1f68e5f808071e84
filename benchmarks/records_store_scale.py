"""The records store at scale: importing 10,000 generated lm-eval results files of 50 tasks each, then ``records list``
and the matrix of one family on a store of 1,000,000 records.

Usage: python benchmarks/records_store_scale.py [--files 10000] [--markdown benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

TASKS = ([f"xnli_{c}" for c in "ar bg de el en es fr hi ru sw th tr ur vi zh".split()]
         + [f"xcopa_{c}" for c in "et ht id it qu sw ta th tr vi zh".split()]
         + [f"xstorycloze_{c}" for c in "ar en es eu hi id my ru sw te zh".split()]
         + [f"xwinograd_{c}" for c in "en fr jp pt ru zh".split()]
         + [f"paws_{c}" for c in "de en es fr ja ko zh".split()])


def write_files(folder: Path, n: int, first_model: int, seed: int) -> None:
    """``n`` results files in today's format, one model each, 50 tasks, acc and acc_norm."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        model = first_model + i
        scores = rng.uniform(0.3, 0.9, size=(len(TASKS), 2))
        data = {
            "results": {t: {"alias": t, "acc,none": float(a), "acc_stderr,none": 0.01, "acc_norm,none": float(b),
                            "acc_norm_stderr,none": 0.01} for t, (a, b) in zip(TASKS, scores)},
            "configs": {t: {"task": t, "metadata": {"version": 1.0}} for t in TASKS},
            "versions": {t: 1.0 for t in TASKS}, "n-shot": {t: 0 for t in TASKS},
            "config": {"model": "hf", "model_args": f"pretrained=org/model-{model}-{1 + model % 70}b", "limit": None},
            "date": 1.7e9 + model,
        }
        (folder / f"results_{model:06d}.json").write_text(json.dumps(data))


def timed(argv, env) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="results files per import (default: 10000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of list and matrix (default: 5)")
    parser.add_argument("--markdown", help="markdown file whose 'records-store-scale' section is replaced")
    args = parser.parse_args(argv)
    from proxylm_harness.backtest.report import replace_markdown_section
    from proxylm_harness.records.store import RecordsStore

    root = Path(tempfile.mkdtemp(prefix="proxylm-store-scale-"))
    store_path = root / "records.sqlite3"
    env = {**os.environ, "PROXYLM_RECORDS_DB": str(store_path)}
    script = Path(sys.executable).parent / "proxylm-harness"
    with tqdm(total=3, desc="store scale") as bar:
        write_files(root / "files", args.files, 0, seed=0)
        bar.update()
        first = timed([str(script), "records", "add", str(root / "files")], env)
        bar.update()
        store = RecordsStore(store_path)
        records = len(store)
        lists, matrices, clis = [], [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            store.list()
            lists.append(time.perf_counter() - started)
            started = time.perf_counter()
            shape = store.matrix(family="xnli", metric="acc").scores.shape
            matrices.append(time.perf_counter() - started)
            clis.append(timed([str(script), "records", "list"], env))
        bar.update()
    lines = [
        f"On {os.cpu_count()} CPU cores. Generated results files in lm-eval's format, 50 tasks (xnli, xcopa, "
        "xstorycloze, xwinograd, paws-x) x 2 metrics each, one model per file, imported with `proxylm-harness records "
        f"add FOLDER` (each file one transaction): a store of {records:,} records.", "",
        "| operation | seconds |", "|---|---|",
        f"| import {args.files:,} files ({args.files * 100:,} records), whole command | **{first:.1f}** |",
        f"| `RecordsStore.list()` on {records:,} records (median of {args.repeats}) | **{statistics.median(lists):.3f}** |",
        f"| `RecordsStore.matrix(family='xnli', metric='acc')`, {shape[0]:,} models x {shape[1]} cells "
        f"(median) | **{statistics.median(matrices):.3f}** |",
        f"| `proxylm-harness records list`, whole command (median) | {statistics.median(clis):.2f} |", "",
        f"Bars: 10,000 files in under 60 s ({'met' if first < 60 else 'NOT met'}, files = {args.files:,}); list and "
        f"matrix under 1 s on 1,000,000 records ({'met' if max(statistics.median(lists), statistics.median(matrices)) < 1 else 'NOT met'}, "
        f"records = {records:,}).", ""]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        command = f"python benchmarks/records_store_scale.py --files {args.files}" + (
            f" --markdown {args.markdown}" if args.markdown else "")
        replace_markdown_section(args.markdown, "records-store-scale", text, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
