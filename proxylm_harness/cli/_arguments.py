"""Argument types and checks both commands share, so that a bad argument fails before any work, in one line."""

from __future__ import annotations

import argparse

from .. import _paths
from .._io import unwritable_file, unwritable_folder

__all__ = ["ArgumentError", "add_records_argument", "coverage", "records_paths", "require_writable_file",
           "require_writable_folder"]


class ArgumentError(ValueError):
    """An argument that cannot be served (an output place that cannot be written, a folder that exists)."""


def coverage(text: str) -> float:
    """argparse type: an interval coverage strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), such as 0.9. Got {text!r} instead.") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), such as 0.9 for 90% intervals. Got {text} instead.")
    return value


def add_records_argument(parser, help_text: str = "record CSV file(s) or folder(s)") -> None:
    parser.add_argument("--records", action="extend", nargs="+", default=None, metavar="PATH",
                        help=f"{help_text}; may be repeated (default: $PROXYLM_RECORDS, else ../shared/data/proxylm, "
                             "else the files `records fetch` downloaded)")


def records_paths(args) -> list[str]:
    """Every ``--records`` given (all of them, however often the flag was repeated), or the default."""
    return list(args.records) if args.records else [_paths.default_records()]


def require_writable_file(path, what: str) -> None:
    problem = path and unwritable_file(path, what)
    if problem:
        raise ArgumentError(f"{problem}. Hint: choose another path; nothing was done.")


def require_writable_folder(path, what: str) -> None:
    problem = unwritable_folder(path, what)
    if problem:
        raise ArgumentError(f"{problem}. Hint: choose another path; nothing was done.")
