"""``proxylm-harness evaluate`` (one predictor under the evaluation protocols) and ``benchmark`` (a whole suite:
``--suite proxylm``, the predictor against ProxyLM's published errors, or ``--suite completion``, reveal-K)."""

from __future__ import annotations

import shlex
import sys

from ._arguments import ArgumentError, add_records_argument, records_paths, require_writable_file

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
        p.add_argument("--output", help="JSON file for the result rows" + (" (needed by --suite proxylm)"
                                                                             if name == "benchmark" else ""))
        p.add_argument("--markdown",
                       help="markdown file whose benchmark section is replaced (e.g. benchmarks/RESULTS.md)")
        p.add_argument("--plot", help="PNG of estimated against measured RMSE per cell")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.set_defaults(handler=cmd_evaluate if name == "evaluate" else cmd_benchmark)
        if name == "benchmark":
            _add_completion_arguments(p)


def _add_completion_arguments(p) -> None:
    p.add_argument("--suite", choices=("proxylm", "completion"), default="proxylm",
                   help="proxylm (default): every protocol against ProxyLM's published errors; completion: the "
                        "reveal-K protocol of `complete` on the lm-eval results and the MASSIVE intent records")
    p.add_argument("--lm-eval-results", default=None, metavar="DIR",
                   help="--suite completion: folder of lm-eval results files laid out <family>/<model>/*.json "
                        "(default: ../shared/data/lm-eval-results)")
    p.add_argument("--reveal-seeds", type=int, default=None, metavar="N",
                   help="--suite completion: seeds of the reveals per target and K (default: 20; --quick: 3)")


def cmd_evaluate(args) -> int:
    return _benchmark(args, evaluate=True)


def cmd_benchmark(args) -> int:
    if args.suite == "completion":
        return _completion_benchmark(args)
    if not args.output:
        raise ArgumentError("--suite proxylm needs --output FILE.json (the result rows)")
    return _benchmark(args, evaluate=False)


def _completion_benchmark(args) -> int:
    from pathlib import Path

    from .. import _paths
    from .._io import write_json
    from ..backtest.completion_report import completion_markdown, json_ready, plot_completion
    from ..backtest.completion_suite import CompletionBenchmarkConfig, run_completion_benchmark
    from ..backtest.report import replace_markdown_section

    _check_outputs(args)
    folder = args.lm_eval_results or _paths.default_lm_eval_results()
    records = records_paths(args)[0]
    for flag, path in (("--lm-eval-results", folder), ("--records", records)):
        if not Path(path).exists():
            raise ArgumentError(f"{flag} {path}: no such file or folder")
    seeds = args.reveal_seeds or (3 if args.quick else 20)
    config = CompletionBenchmarkConfig(lm_eval_results=str(folder), records=str(records), seeds=seeds,
                                       expensive_seeds=1 if args.quick else 5, shapley_seeds=1 if args.quick else 2)
    out = run_completion_benchmark(config, progress=not args.no_progress)
    plot = None
    if args.plot and args.markdown:
        import os

        plot = os.path.relpath(Path(args.plot).resolve(), Path(args.markdown).resolve().parent)
    body = completion_markdown(out, plot)
    if args.output:
        write_json(args.output, json_ready(out))
        print(f"wrote the results to {args.output}", file=sys.stderr)
    if args.markdown:
        replace_markdown_section(args.markdown, "completion-benchmark", body, _command())
        print(f"updated the completion section of {args.markdown}", file=sys.stderr)
    if args.plot:
        plot_completion(out, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    print(body)
    return 0


def _benchmark(args, *, evaluate: bool) -> int:
    from ..backtest.report import markdown_table, update_results_markdown, write_rows
    from ..backtest.suite import BenchmarkConfig, run_benchmark

    _check_outputs(args)
    config = BenchmarkConfig(
        records=records_paths(args), quick=args.quick, protocols=tuple(args.protocol) if args.protocol else None,
        datasets=(args.dataset,) if args.dataset else None, targets=(args.target,) if args.target else None,
        metrics=(args.metric,) if args.metric else None, regressors=tuple(args.regressor),
        seeds=tuple(args.seeds) if args.seeds else None,
        predictor_params={"param_grid": "regressor"} if args.tune else {},
    )
    rows = run_benchmark(config, jobs=args.jobs, progress=not args.no_progress, typology_agreement=not evaluate)
    if args.output:
        write_rows(rows, args.output)
        print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)
    if args.markdown:
        update_results_markdown(args.markdown, rows, _command())
        print(f"updated the benchmark table in {args.markdown}", file=sys.stderr)
    if args.plot:
        from ..backtest.plots import plot_benchmark

        plot_benchmark(rows, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    print(markdown_table(rows))
    return 0


def _check_outputs(args) -> None:
    """Refuse, before any work, an output the command could not write."""
    for flag, path in (("--output", args.output), ("--markdown", args.markdown), ("--plot", args.plot)):
        require_writable_file(path, flag)


def _command() -> str:
    """This command line, as the markdown section records it."""
    return "proxylm-harness " + " ".join(shlex.quote(a) for a in sys.argv[1:])
