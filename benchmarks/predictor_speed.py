"""Speed of the default predictor: fitting on all MT560 rows, and estimating 1000 rows.

Run from the repository root:  python benchmarks/predictor_speed.py [--records DIR] [--markdown benchmarks/RESULTS.md]
Reports medians of several runs; with --markdown, replaces the speed section of that file.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path


def _median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default=os.environ.get("PROXYLM_RECORDS", "../shared/data/proxylm"))
    parser.add_argument("--markdown", help="file whose predictor-speed section is replaced")
    parser.add_argument("--fit-repeats", type=int, default=5)
    parser.add_argument("--predict-repeats", type=int, default=15)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from proxylm_harness.estimators.artifacts import load_artifact
    from proxylm_harness.records.regression_problems import make_problem
    from proxylm_harness.records import load_records
    from proxylm_harness.estimators.training import fit_problem, train_artifact

    records = load_records(args.records)
    problem = make_problem(records, "mt560", "m2m100", "spBLEU")
    problem.X  # build the features once; the fit is what is timed
    results = {}
    for threads in (2, 1):
        params = {"regressor_params": {"n_jobs": threads}}
        results[f"fit, {threads} thread(s)"] = _median_seconds(
            lambda: fit_problem(problem, params, "languages"), args.fit_repeats)

    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        train_artifact(problem, Path(folder) / "p", records_sha256=records.fingerprint())
        artifact = load_artifact(Path(folder) / "p")
        rows = problem.rows.sample(1000, replace=True, random_state=0).reset_index(drop=True)
        X = artifact.features(rows)
        results["predict 1000 rows (estimate + interval)"] = _median_seconds(
            lambda: artifact.predictor.predict_with_interval(X), args.predict_repeats)
        results["estimate 1000 rows from raw rows (features + estimate + interval + range check)"] = _median_seconds(
            lambda: artifact.estimate(rows), args.predict_repeats)
        results["load the predictor folder (hash check + model files)"] = _median_seconds(
            lambda: load_artifact(Path(folder) / "p"), args.predict_repeats)

    lines = [
        f"Default predictor, MT560 m2m100 spBLEU ({len(problem)} rows, {len(problem.spec.columns)} inputs), "
        f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| what | median | runs (s) |",
        "|---|---|---|",
    ]
    for name, (median, times) in results.items():
        lines.append(f"| {name} | {median * 1000:.0f} ms | {', '.join(f'{t:.3f}' for t in times)} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        from proxylm_harness.backtest.report import replace_markdown_section

        command = "python benchmarks/predictor_speed.py " + " ".join(sys.argv[1:])
        replace_markdown_section(args.markdown, "predictor-speed", table, command.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
