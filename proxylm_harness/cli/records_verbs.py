"""``proxylm-harness records``: what record files hold, and ``records fetch``: ProxyLM's files, downloaded and checked."""

from __future__ import annotations

import sys

from ._arguments import add_records_argument, records_paths, require_writable_folder

__all__ = ["add_parsers", "cmd_fetch", "cmd_records"]


def add_parsers(commands) -> None:
    p = commands.add_parser("records", help="list what record files hold; `records fetch` downloads ProxyLM's")
    add_records_argument(p)
    p.set_defaults(handler=cmd_records)
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    f = verbs.add_parser("fetch", help="download ProxyLM's record files at a pinned commit, checked by SHA-256")
    f.add_argument("--dir", default=None,
                   help="folder to store them in (default: <cache root>/records/proxylm, where --records looks)")
    f.add_argument("--only", nargs="+", default=None, metavar="FILE",
                   help="only these files (default: all four: mt560, nusa, intent and slot experiments)")
    f.add_argument("--base-url", default=None, help="where the files are (default: the ProxyLM repository)")
    f.add_argument("--if-needed", action="store_true",
                   help="do nothing when --records' default already finds record files ($PROXYLM_RECORDS or "
                        "../shared/data/proxylm)")
    f.set_defaults(handler=cmd_fetch)


def cmd_records(args) -> int:
    from ..records.reader import load_records
    from ..records.regression_problems import problem_keys

    records = load_records(records_paths(args))
    print(repr(records))
    for dataset, target, metric in problem_keys(records):
        print(f"  {dataset:16s} {target:10s} {metric}")
    return 0


def cmd_fetch(args) -> int:
    from .. import _paths
    from ..records.fetch import BASE_URL, RECORD_FILES, fetch_records

    from pathlib import Path

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
