"""What each part of the default predictor buys: the random and lolo cells with ProxyLM figures, per variant.

Run from the repository root:  python benchmarks/ablations.py [--records DIR] [--markdown benchmarks/RESULTS.md]
Each variant switches one thing off (or on) against the default predictor; the table gives RMSE / ProxyLM's
RMSE per cell and the interval coverage, all measured in this one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# name -> (predictor parameters, feature-spec options), each against the default.
VARIANTS = {
    "default": ({}, {}),
    "no collaborative keys": ({}, {"collaborative": False}),
    "keys cross-fitted on row folds": ({"key_folds": "rows"}, {}),
    "no proxy contrasts": ({}, {"contrasts": False}),
    "no reference proxy": ({"reference": None}, {}),
    "no bagging": ({"bagging": False}, {}),
    "5 folds always": ({"cv": 5}, {}),
    "CV+ intervals": ({"interval": "cv+"}, {}),
    "tuned (param_grid)": ({"param_grid": "regressor"}, {}),
    "ProxyLM-like (none of the above)": (
        {"reference": None, "bagging": False, "cv": 5, "key_folds": "rows"},
        {"collaborative": False, "contrasts": False},
    ),
}
CELLS = ("random", "lolo")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default=os.environ.get("PROXYLM_RECORDS", "../shared/data/proxylm"))
    parser.add_argument("--markdown", help="file whose ablations section is replaced")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)

    from proxylm_harness.backtest.suite import HEADLINE_METRICS, BenchmarkConfig, run_benchmark

    results, seconds = {}, {}
    for name in args.variants:
        params, spec_options = VARIANTS[name]
        config = BenchmarkConfig(records=args.records, protocols=CELLS, metrics=HEADLINE_METRICS,
                                 predictor_params=params, spec_options=spec_options)
        started = time.perf_counter()
        rows = run_benchmark(config, jobs=args.jobs, progress=True, typology_agreement=False)
        seconds[name] = time.perf_counter() - started
        results[name] = {(r["dataset"], r["target"], r["metric"], r["protocol"]): r for r in rows
                         if r["reference_rmse"]}
        print(f"{name}: {seconds[name]:.0f} s", file=sys.stderr)

    cells = sorted(results[args.variants[0]], key=lambda c: (c[3], c[0], c[2], c[1]))
    header = "| variant | " + " | ".join(f"{c[3]} {c[0]} {c[1]} {c[2]}" for c in cells) + " | mean ratio | worst coverage | time |"
    lines = [header, "|" + "---|" * (len(cells) + 4)]
    for name in args.variants:
        ratios = [results[name][c]["rmse"] / results[name][c]["reference_rmse"] for c in cells]
        coverages = [results[name][c]["coverage"] for c in cells]
        worst = max(coverages, key=lambda v: abs(v - 0.9))
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in ratios)
                     + f" | {sum(ratios) / len(ratios):.3f} | {worst:.3f} | {seconds[name]:.0f} s |")
    table = ("Cells: RMSE / ProxyLM's RMSE (below 1: better). Worst coverage: the 90% interval coverage furthest "
             "from 0.9 over the cells.\n\n" + "\n".join(lines) + "\n")
    print(table)
    if args.markdown:
        from proxylm_harness.backtest.report import replace_markdown_section

        command = "python benchmarks/ablations.py " + " ".join(sys.argv[1:])
        replace_markdown_section(args.markdown, "ablations", table, command.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
