"""``proxylm-harness train`` (fit a predictor on record rows and save its folder) and ``predict`` (apply one to a CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

from ._arguments import (
    ArgumentError, add_records_argument, coverage, records_paths, require_writable_file, require_writable_folder,
)

__all__ = ["add_parsers", "cmd_predict", "cmd_train"]


def add_parsers(commands) -> None:
    from ..estimators.folds import CALIBRATIONS
    from ..estimators.regressors import regressor_names
    from ..features.spec import KEY_COLUMNS

    p = commands.add_parser("train", help="fit a predictor on every record row and save it as a folder")
    add_records_argument(p)
    p.add_argument("--dataset", required=True, help="record dataset, e.g. mt560, nusa, massive_intent")
    p.add_argument("--target", required=True, help="target model in the records, e.g. m2m100, nllb, aya")
    p.add_argument("--metric", required=True, help="metric, e.g. spBLEU, comet, accuracy")
    p.add_argument("--regressor", default="xgb", choices=regressor_names(), help="regressor (default: xgb)")
    p.add_argument("--tune", action="store_true",
                   help="tune the regressor over its documented param_grid by cross-validation on the training rows")
    p.add_argument("--coverage", type=coverage, default=0.9, help="interval coverage in (0, 1) (default: 0.9)")
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
    p.add_argument("--keys", nargs="*", default=None, choices=sorted(KEY_COLUMNS), metavar="KEY",
                   help=f"collaborative keys among {', '.join(sorted(KEY_COLUMNS))} (default: the family's; none: "
                        "no keys)")
    p.add_argument("--out", required=True, help="folder to write the predictor to")
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=cmd_train)

    p = commands.add_parser("predict", help="estimate scores for the rows of a CSV with a saved predictor")
    p.add_argument("--predictor", required=True, help="predictor folder (from `train`)")
    p.add_argument("--input", required=True, help="CSV of rows: a ProxyLM record file or the spec's columns")
    p.add_argument("--output", help="CSV to write (default: print to stdout)")
    p.add_argument("--coverage", type=coverage, default=None, help="interval coverage in (0, 1) (default: the "
                                                                     "predictor's)")
    p.add_argument("--plot", help="PNG of estimates against measured scores (needs the target's column in the input)")
    p.set_defaults(handler=cmd_predict)


def cmd_train(args) -> int:
    from ..estimators.training import train_artifact
    from ..records.reader import load_records
    from ..records.regression_problems import make_problem

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise ArgumentError(f"{out} already exists. Hint: choose another --out folder or pass --overwrite to replace "
                            "it; nothing was trained.")
    require_writable_folder(out.parent, "the folder of --out")
    options = {"target_setting": args.target_setting, "typology_source": args.typology_source}
    if args.proxies is not None:
        options["proxies"] = tuple(args.proxies)
    if args.no_dataset_features:
        options["dataset_features"] = False
    if args.keys is not None:
        options["keys"] = tuple(args.keys)
    records = load_records(records_paths(args))
    problem = make_problem(records, args.dataset, args.target, args.metric, **options)
    params = {"regressor": args.regressor, "coverage": args.coverage, "random_state": args.seed}
    if args.tune:
        params["param_grid"] = "regressor"
    artifact = train_artifact(problem, out, records_sha256=records.fingerprint(), predictor_params=params,
                              calibration=args.calibration, overwrite=args.overwrite)
    v = artifact.manifest["validation"]
    print(f"saved {artifact.id} to {artifact.directory}: {len(problem)} rows, cross-validated RMSE {v['rmse']:.4g}, "
          f"{artifact.manifest['interval']['coverage']:.0%} interval coverage {v['coverage']:.3f} ({args.calibration} folds)")
    return 0


def cmd_predict(args) -> int:
    from .._io import atomic_path
    from ..estimators.artifacts import load_artifact
    from ..records.rows_to_estimate import InputError

    require_writable_file(args.output, "--output")
    require_writable_file(args.plot, "--plot")
    artifact = load_artifact(args.predictor)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
            summary = _predict_to(handle, artifact, args)
        print(f"wrote {summary['rows']} estimates to {args.output}")
    else:
        summary = _predict_to(sys.stdout, artifact, args)
    if summary["flagged"]:
        print(f"warning: {summary['flagged']} of {summary['rows']} rows have inputs outside the training range or "
              "unknown URIEL+ distances (column out_of_range); their estimates are extrapolations, and their "
              "intervals do not account for unknown distances.", file=sys.stderr)
    if args.plot:
        from ..backtest.plots import plot_estimates

        if summary["measured"] is None:
            raise InputError(f"{args.input}: --plot needs the measured scores, column {artifact.spec.target!r}.")
        plot_estimates(*summary["measured"], args.plot, title=f"{artifact.id}: estimated vs measured")
    return 0


def _predict_to(handle, artifact, args) -> dict:
    """Estimate the input chunk by chunk, writing CSV rows as they come; returns counts and the plot's columns."""
    import numpy as np
    import pandas as pd

    from ..records.rows_to_estimate import iter_rows

    rows_done, flagged, first, plotted = 0, 0, True, []
    for rows in iter_rows(args.input, artifact.spec):
        estimates = artifact.estimate(rows, coverage=args.coverage)
        ids = [c for c in ("source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset")
               if c in rows.columns]
        out = rows[ids].join(estimates)
        if artifact.spec.target in rows.columns:
            out["measured"] = pd.to_numeric(rows[artifact.spec.target], errors="coerce")
            out["error"] = out["estimate"] - out["measured"]
            plotted.append(out[["measured", "estimate", "lower", "upper"]].to_numpy(dtype=float))
        out.insert(0, "line", rows.index)
        out.to_csv(handle, index=False, header=first)
        first = False
        rows_done += len(out)
        flagged += int((out["out_of_range"] != "").sum())
    measured = tuple(np.concatenate(plotted).T) if plotted else None
    return {"rows": rows_done, "flagged": flagged, "measured": measured}
