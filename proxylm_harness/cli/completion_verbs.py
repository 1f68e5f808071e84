"""``proxylm-harness complete``: a model's missing scores completed from the records, with intervals and warnings."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ._arguments import ArgumentError, coverage, require_writable_file

__all__ = ["add_parsers", "cmd_complete"]

_SQLITE_MAGIC = b"SQLite format 3\x00"


def add_parsers(commands) -> None:
    p = commands.add_parser("complete", help="complete a model's missing scores from the records (no model runs)")
    p.add_argument("--records", action="extend", nargs="+", required=True, metavar="PATH",
                   help="a records store file, or lm-eval results files / folders / ProxyLM record files (imported "
                        "into a temporary store); may be repeated")
    p.add_argument("--target", required=True, metavar="MODEL",
                   help="the model, by the id the store uses (e.g. bigscience/bloom-7b1); it may have no records")
    p.add_argument("--tasks", action="extend", nargs="+", default=None, metavar="PATTERN",
                   help="task-name patterns choosing the cells (e.g. 'xnli_*'; default: every task)")
    p.add_argument("--model-factors", default=None, metavar="FILE.csv",
                   help="model factors: columns model,params_b,family[,...] (over the store's)")
    p.add_argument("--coverage", type=coverage, default=0.9, help="interval coverage (default: 0.9)")
    p.add_argument("--output", default=None, metavar="FILE.csv",
                   help="CSV: task, metric, estimate, lower, upper, source, estimator, warning (default: stdout)")
    p.add_argument("--plot", default=None, metavar="FILE.png", help="estimates with intervals per task family and "
                                                                     "language")
    p.add_argument("--explain", action="store_true",
                   help="factor importance: exact Shapley values of the factor groups (and shap_<group> columns)")
    p.add_argument("--estimator", default=None, metavar="NAME", help="a registered completion estimator "
                                                                     "(default: stack)")
    p.set_defaults(handler=cmd_complete)


def _factors_frame(path):
    import pandas as pd

    from ..records.model_factors import read_factors_csv

    rows = read_factors_csv(path)
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["model", "params_b", "family"])
    frame["family"] = frame["family"].replace("", None)
    return frame.drop_duplicates("model", keep="last").set_index("model")


def _is_store(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def _check(args):
    """Every argument, before any work: output places, inputs that exist, the factors file, the estimator."""
    from ..estimators.completion.base import COMPLETION_ESTIMATORS

    require_writable_file(args.output, "--output")
    require_writable_file(args.plot, "--plot")
    for path in args.records:
        if not Path(path).exists():
            raise ArgumentError(f"--records {path}: no such file or folder. Hint: a store file, results files, "
                                "folders or ProxyLM record files.")
    if args.estimator is not None and args.estimator not in COMPLETION_ESTIMATORS:
        raise COMPLETION_ESTIMATORS.unknown(args.estimator)
    return _factors_frame(args.model_factors) if args.model_factors else None


def _matrix(paths, work: str):
    from ..records.store import RecordsStore

    if len(paths) == 1 and Path(paths[0]).is_file() and _is_store(Path(paths[0])):
        store = RecordsStore(paths[0])
    else:
        store = RecordsStore(Path(work) / "records.sqlite3")
        report = store.add(paths)
        for path, message in report.bad:
            print(f"proxylm-harness complete: skipped a bad file: {message}", file=sys.stderr)
    try:
        return store.matrix(setting=None)
    finally:
        store.close()


def cmd_complete(args) -> int:
    from .._io import write_text
    from ..estimators.completion.api import complete

    factors = _check(args)
    with tempfile.TemporaryDirectory(prefix="proxylm-complete-") as work:
        matrix = _matrix(args.records, work)
    result = complete(matrix, args.target, tasks=args.tasks, coverage=args.coverage, estimator=args.estimator,
                      explain=args.explain, model_factors=factors)
    table = result.output()
    if args.output:
        write_text(args.output, table.to_csv(index=False))
        print(result.summary())
        print(f"wrote {len(table)} cells to {args.output}")
    else:
        print(result.summary(), file=sys.stderr)
        table.to_csv(sys.stdout, index=False)
    if args.plot:
        from ..backtest.plots import plot_completed_row

        plot_completed_row(result.table, args.plot, title=f"{args.target}: {result.estimated} estimated, "
                                                            f"{result.known} measured ({args.coverage:.0%} intervals)")
        print(f"wrote {args.plot}", file=sys.stderr if not args.output else sys.stdout)
    return 0
