"""``proxylm-harness evaluate`` (one predictor under the evaluation protocols) and ``benchmark`` (the whole suite)."""

from __future__ import annotations

import shlex
import sys

from ._arguments import add_records_argument, records_paths, require_writable_file

__all__ = ["add_parsers", "cmd_benchmark", "cmd_evaluate"]


def add_parsers(commands) -> None:
    from ..backtest.protocols import protocol_names
    from ..estimators.regressors import regressor_names

    for name, helptext in (("evaluate", "report a predictor's errors under the evaluation protocols"),
                           ("benchmark", "run every protocol on every dataset/target/metric and compare with ProxyLM")):
        p = commands.add_parser(name, help=helptext)
        add_records_argument(p)
        required = name == "evaluate"
        p.add_argument("--dataset", required=required, help="record dataset, e.g. mt560, nusa, massive_intent")
        p.add_argument("--target", required=required, help="target model in the records, e.g. m2m100, nllb, aya")
        p.add_argument("--metric", required=required, help="metric, e.g. spBLEU, comet, accuracy")
        p.add_argument("--protocol", nargs="+", choices=protocol_names(), help="protocols (default: all)")
        p.add_argument("--regressor", nargs="+", default=["xgb"], choices=regressor_names(),
                       help="regressors (default: xgb)")
        p.add_argument("--tune", action="store_true", help="tune each fit over the regressor's param_grid")
        p.add_argument("--quick", action="store_true",
                       help="one seed, a few languages and portions, headline metrics only (same code)")
        p.add_argument("--seeds", type=int, nargs="+", help="seeds of the random splits (default: 42 43 44 45 46)")
        p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
        p.add_argument("--output", required=name == "benchmark", help="JSON file for the result rows")
        p.add_argument("--markdown", help="markdown file whose benchmark table is replaced (e.g. benchmarks/RESULTS.md)")
        p.add_argument("--plot", help="PNG of estimated against measured RMSE per cell")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.set_defaults(handler=cmd_evaluate if name == "evaluate" else cmd_benchmark)


def cmd_evaluate(args) -> int:
    return _benchmark(args, evaluate=True)


def cmd_benchmark(args) -> int:
    return _benchmark(args, evaluate=False)


def _benchmark(args, *, evaluate: bool) -> int:
    from ..backtest.report import markdown_table, update_results_markdown, write_rows
    from ..backtest.suite import BenchmarkConfig, run_benchmark

    for flag, path in (("--output", args.output), ("--markdown", args.markdown), ("--plot", args.plot)):
        require_writable_file(path, flag)
    config = BenchmarkConfig(
        records=records_paths(args), quick=args.quick, protocols=tuple(args.protocol) if args.protocol else None,
        datasets=(args.dataset,) if args.dataset else None, targets=(args.target,) if args.target else None,
        metrics=(args.metric,) if args.metric else None, regressors=tuple(args.regressor),
        seeds=tuple(args.seeds) if args.seeds else None,
        predictor_params={"param_grid": "regressor"} if args.tune else {},
    )
    rows = run_benchmark(config, jobs=args.jobs, progress=not args.no_progress, typology_agreement=not evaluate)
    command = "proxylm-harness " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if args.output:
        write_rows(rows, args.output)
        print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)
    if args.markdown:
        update_results_markdown(args.markdown, rows, command)
        print(f"updated the benchmark table in {args.markdown}", file=sys.stderr)
    if args.plot:
        from ..backtest.plots import plot_benchmark

        plot_benchmark(rows, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    print(markdown_table(rows))
    return 0
