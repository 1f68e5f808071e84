"""``proxylm-harness records VERB``: the records store (add, list, show, export, remove, factors), ProxyLM's record
files downloaded (fetch), and the regression problems ProxyLM's record files hold (problems)."""

from __future__ import annotations

import sys
from pathlib import Path

from ._arguments import ArgumentError, add_records_argument, records_paths, require_writable_file, require_writable_folder

__all__ = ["add_parsers"]


def add_parsers(commands) -> None:
    p = commands.add_parser("records", help="the records store: add, list, show, export, remove, factors; fetch; "
                                            "problems")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(name, handler, help_text):
        parser = verbs.add_parser(name, help=help_text)
        if name not in ("fetch", "problems"):
            parser.add_argument("--records", "--store", dest="store", default=None, metavar="STORE",
                                help="the store file (default: $PROXYLM_RECORDS_DB, else ~/.cache/proxylm-harness/"
                                     "records.sqlite3)")
        parser.set_defaults(handler=handler)
        return parser

    a = verb("add", cmd_add, "import lm-eval results files (either format) and ProxyLM record files, or folders")
    a.add_argument("paths", nargs="+", metavar="PATH", help="results files, record files or folders (recursive)")
    a.add_argument("--model-name", default=None, help="the model the results files are of (default: their model_args)")
    verb("list", cmd_list, "models x task families: cells known, records, conflicts")
    s = verb("show", cmd_show, "a model's cells and scores")
    s.add_argument("model", help="the model as the store names it, e.g. bigscience/bloom-560m")
    e = verb("export", cmd_export, "every record as one tidy long table")
    e.add_argument("--format", choices=("csv", "parquet"), default="csv")
    e.add_argument("--output", default=None, help="file to write (default: CSV to stdout)")
    r = verb("remove", cmd_remove, "remove a model's records, or those one source file gave")
    r.add_argument("model", nargs="?", default=None)
    r.add_argument("--source", default=None, help="the file whose records to remove")
    f = verb("factors", cmd_factors, "model factors from a CSV: model,params_b,family[,...]")
    f.add_argument("file", help="the factors CSV")

    g = verb("fetch", cmd_fetch, "download ProxyLM's record files at a pinned commit, checked by SHA-256")
    g.add_argument("--dir", default=None,
                   help="folder to store them in (default: <cache root>/records/proxylm, where --records looks)")
    g.add_argument("--only", nargs="+", default=None, metavar="FILE",
                   help="only these files (default: all four: mt560, nusa, intent and slot experiments)")
    g.add_argument("--base-url", default=None, help="where the files are (default: the ProxyLM repository)")
    g.add_argument("--if-needed", action="store_true",
                   help="do nothing when --records' default already finds record files ($PROXYLM_RECORDS or "
                        "../shared/data/proxylm)")
    pr = verb("problems", cmd_problems, "the (dataset, target, metric) problems ProxyLM's record files hold")
    add_records_argument(pr)


def _store(args):
    from ..records.store import RecordsStore

    return RecordsStore(args.store)


def cmd_add(args) -> int:
    from tqdm.auto import tqdm

    from ..records.store_import import add_paths

    store = _store(args)
    bar = tqdm(desc="importing files", unit="file", disable=None)
    report = add_paths(store, args.paths, model_name=args.model_name, progress=bar.update)
    bar.close()
    print(f"added {report.records} records from {len(report.added)} file(s) to {store.path}; "
          f"{len(report.skipped)} file(s) already imported")
    for path, message in report.bad:
        print(f"proxylm-harness records add: bad file: {message}", file=sys.stderr)
    return 1 if report.bad else 0


def cmd_list(args) -> int:
    table = _store(args).list()
    if table.empty:
        print("the store holds no records; add some with `proxylm-harness records add PATH`")
        return 0
    cells = table.pivot_table(index="model", columns="family", values="cells", aggfunc="sum", fill_value=0)
    totals = table.groupby("model")[["records", "conflicts"]].sum()
    print(cells.join(totals).to_string())
    return 0


def cmd_show(args) -> int:
    table = _store(args).show(args.model)
    columns = ["task", "metric", "n_shot", "setting", "score", "stderr", "partial", "conflict", "source"]
    print(table[columns].to_string(index=False))
    return 0


def cmd_export(args) -> int:
    require_writable_file(args.output, "--output")
    table = _store(args).export()
    if args.format == "parquet":
        if not args.output:
            raise ArgumentError("--format parquet needs --output FILE (parquet is not printed)")
        try:
            table.to_parquet(args.output, index=False)
        except ImportError as error:
            raise ArgumentError(f"parquet needs pyarrow ({error}). Hint: pip install pyarrow, or --format csv") from None
    elif args.output:
        from .._io import write_text

        write_text(args.output, table.to_csv(index=False))
    else:
        table.to_csv(sys.stdout, index=False)
    if args.output:
        print(f"wrote {len(table)} records to {args.output}", file=sys.stderr)
    return 0


def cmd_remove(args) -> int:
    removed = _store(args).remove(args.model, source=args.source)
    print(f"removed {removed} records")
    return 0


def cmd_factors(args) -> int:
    count = _store(args).set_factors(args.file)
    print(f"set the factors of {count} model(s)")
    return 0


def cmd_fetch(args) -> int:
    from .. import _paths
    from ..records.fetch import BASE_URL, RECORD_FILES, fetch_records

    found = Path(_paths.default_records())
    if args.if_needed and found.exists() and found.resolve() != Path(_paths.fetched_records_dir()).resolve():
        print(f"record files found at {found}; nothing fetched", file=sys.stderr)
        return 0
    folder = args.dir or _paths.fetched_records_dir()
    require_writable_folder(folder, "--dir")
    names = args.only or list(RECORD_FILES)
    paths = fetch_records(base_url=args.base_url or BASE_URL, directory=folder, names=names)
    for path in paths:
        print(f"{path} ({RECORD_FILES[path.name].sha256[:12]}..., checked)")
    print(f"{len(paths)} record file(s) in {folder}", file=sys.stderr)
    return 0


def cmd_problems(args) -> int:
    from ..records.reader import load_records
    from ..records.regression_problems import problem_keys

    records = load_records(records_paths(args))
    print(repr(records))
    for dataset, target, metric in problem_keys(records):
        print(f"  {dataset:16s} {target:10s} {metric}")
    return 0
