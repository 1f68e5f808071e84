"""The ``proxylm-harness`` command: train, predict, evaluate and benchmark predictors on experimental records.

Every subcommand is a function ``_cmd_<name>(args)``; user errors (bad files, unknown names) end with a
one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .. import _paths

__all__ = ["main"]


def _records_arg(parser):
    parser.add_argument("--records", default=_paths.default_records(),
                        help="record CSV file(s) or folder (default: $PROXYLM_RECORDS or ../shared/data/proxylm)")


def _problem_args(parser, required=True):
    parser.add_argument("--dataset", required=required, help="record dataset, e.g. mt560, nusa, massive_intent")
    parser.add_argument("--target", required=required, help="target model in the records, e.g. m2m100, nllb, aya")
    parser.add_argument("--metric", required=required, help="metric, e.g. spBLEU, comet, accuracy")


def _predictor_args(parser):
    from ..estimators.regressors import regressor_names

    parser.add_argument("--regressor", default="xgb", choices=regressor_names(), help="regressor (default: xgb)")
    parser.add_argument("--tune", action="store_true",
                        help="tune the regressor over its documented param_grid by cross-validation on the training rows")
    parser.add_argument("--coverage", type=float, default=0.9, help="interval coverage (default: 0.9)")


def _predictor_params(args) -> dict:
    params = {"regressor": args.regressor, "coverage": args.coverage}
    if args.tune:
        params["param_grid"] = "regressor"
    return params


def build_parser() -> argparse.ArgumentParser:
    from ..backtest.protocols import protocol_names
    from ..estimators.folds import CALIBRATIONS

    parser = argparse.ArgumentParser(prog="proxylm-harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("records", help="list what a records folder holds")
    _records_arg(p)

    p = commands.add_parser("train", help="fit a predictor on every record row and save it as a folder")
    _records_arg(p)
    _problem_args(p)
    _predictor_args(p)
    p.add_argument("--calibration", default="languages", choices=CALIBRATIONS,
                   help="what the intervals are honest about: new languages (default), new rows, new fine-tuning runs")
    p.add_argument("--proxies", nargs="+", default=None,
                   help="proxy score columns to use, e.g. small100_noft (default: ProxyLM's proxies for the family)")
    p.add_argument("--target-setting", default="ft", choices=("ft", "noft"),
                   help="estimate the target's fine-tuned (ft, ProxyLM's target) or zero-shot (noft) score")
    p.add_argument("--no-dataset-features", action="store_true",
                   help="leave out the records' dataset features (they cannot be computed from lm-eval task documents)")
    p.add_argument("--typology-source", default="records", choices=("records", "urielplus"),
                   help="URIEL distances from the record columns or computed with URIEL+ (what proxylm-eval can do)")
    p.add_argument("--keys", nargs="*", default=None,
                   help="collaborative keys, e.g. source_lang target_lang (default: the family's; none: no keys)")
    p.add_argument("--out", required=True, help="folder to write the predictor to")
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.add_argument("--seed", type=int, default=0)

    p = commands.add_parser("predict", help="estimate scores for the rows of a CSV with a saved predictor")
    p.add_argument("--predictor", required=True, help="predictor folder (from `train`)")
    p.add_argument("--input", required=True, help="CSV of rows: a ProxyLM record file or the spec's columns")
    p.add_argument("--output", help="CSV to write (default: print to stdout)")
    p.add_argument("--coverage", type=float, default=None, help="interval coverage (default: the predictor's)")
    p.add_argument("--plot", help="PNG of estimates against measured scores (needs the target's column in the input)")

    for name, helptext in (("evaluate", "report a predictor's errors under the evaluation protocols"),
                           ("benchmark", "run every protocol on every dataset/target/metric and compare with ProxyLM")):
        p = commands.add_parser(name, help=helptext)
        _records_arg(p)
        _problem_args(p, required=name == "evaluate")
        p.add_argument("--protocol", nargs="+", choices=protocol_names(), help="protocols (default: all)")
        p.add_argument("--regressor", nargs="+", default=["xgb"], help="regressors (default: xgb)")
        p.add_argument("--tune", action="store_true", help="tune each fit over the regressor's param_grid")
        p.add_argument("--quick", action="store_true",
                       help="one seed, a few languages and portions, headline metrics only (same code)")
        p.add_argument("--seeds", type=int, nargs="+", help="seeds of the random splits (default: 42 43 44 45 46)")
        p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
        p.add_argument("--output", required=name == "benchmark", help="JSON file for the result rows")
        p.add_argument("--markdown", help="markdown file whose benchmark table is replaced (e.g. benchmarks/RESULTS.md)")
        p.add_argument("--plot", help="PNG of estimated against measured RMSE per cell")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _cmd_records(args) -> int:
    from ..records.reader import load_records
    from ..records.regression_problems import problem_keys

    records = load_records(args.records)
    print(repr(records))
    for dataset, target, metric in problem_keys(records):
        print(f"  {dataset:16s} {target:10s} {metric}")
    return 0


def _spec_options(args) -> dict:
    options = {"target_setting": args.target_setting, "typology_source": args.typology_source}
    if args.proxies is not None:
        options["proxies"] = tuple(args.proxies)
    if args.no_dataset_features:
        options["dataset_features"] = False
    if args.keys is not None:
        options["keys"] = tuple(args.keys)
    return options


def _cmd_train(args) -> int:
    from ..estimators.training import train_artifact
    from ..records.reader import load_records
    from ..records.regression_problems import make_problem

    records = load_records(args.records)
    problem = make_problem(records, args.dataset, args.target, args.metric, **_spec_options(args))
    params = {**_predictor_params(args), "random_state": args.seed}
    artifact = train_artifact(problem, args.out, records_sha256=records.fingerprint(), predictor_params=params,
                              calibration=args.calibration, overwrite=args.overwrite)
    v = artifact.manifest["validation"]
    print(f"saved {artifact.id} to {artifact.directory}: {len(problem)} rows, cross-validated RMSE {v['rmse']:.4g}, "
          f"{artifact.manifest['interval']['coverage']:.0%} interval coverage {v['coverage']:.3f} ({args.calibration} folds)")
    return 0


def _cmd_predict(args) -> int:
    import pandas as pd

    from ..estimators.artifacts import load_artifact
    from ..records.rows_to_estimate import InputError, read_rows

    artifact = load_artifact(args.predictor)
    rows = read_rows(args.input, artifact.spec)
    estimates = artifact.estimate(rows, coverage=args.coverage)
    ids = [c for c in ("source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset") if c in rows.columns]
    out = rows[ids].join(estimates)
    if artifact.spec.target in rows.columns:
        out["measured"] = pd.to_numeric(rows[artifact.spec.target], errors="coerce")
        out["error"] = out["estimate"] - out["measured"]
    out.insert(0, "line", rows.index)
    flagged = int((out["out_of_range"] != "").sum())
    if flagged:
        print(f"warning: {flagged} of {len(out)} rows have inputs outside the training range (column out_of_range); "
              "their estimates are extrapolations.", file=sys.stderr)
    if args.plot:
        from ..backtest.plots import plot_estimates

        if "measured" not in out.columns:
            raise InputError(f"{args.input}: --plot needs the measured scores, column {artifact.spec.target!r}.")
        plot_estimates(out["measured"], out["estimate"], out["lower"], out["upper"], args.plot,
                       title=f"{artifact.id}: estimated vs measured")
    if args.output:
        from .._io import write_text

        write_text(args.output, out.to_csv(index=False))
        print(f"wrote {len(out)} estimates to {args.output}")
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def _benchmark(args, *, evaluate: bool) -> int:
    from ..backtest.report import markdown_table, update_results_markdown, write_rows
    from ..backtest.suite import BenchmarkConfig, run_benchmark

    config = BenchmarkConfig(
        records=args.records, quick=args.quick, protocols=tuple(args.protocol) if args.protocol else None,
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


def _cmd_evaluate(args) -> int:
    return _benchmark(args, evaluate=True)


def _cmd_benchmark(args) -> int:
    return _benchmark(args, evaluate=False)


def _user_errors() -> tuple:
    from ..estimators.artifacts import ArtifactError
    from ..features.spec import FeatureError
    from ..languages.codes import UnknownLanguageError
    from ..records.layouts import RecordsError
    from ..records.regression_problems import ProblemError
    from ..records.rows_to_estimate import InputError

    return ArtifactError, FeatureError, InputError, UnknownLanguageError, ProblemError, RecordsError


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return globals()[f"_cmd_{args.command}"](args)
    except _user_errors() as error:
        print(f"proxylm-harness {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"proxylm-harness {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
