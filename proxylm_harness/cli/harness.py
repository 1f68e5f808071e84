"""The ``proxylm-harness`` command: the records store, completion from it, and predictors trained, applied, benchmarked.

Each verb is a function ``cmd_<verb>(args)`` in one of ``records_verbs``, ``completion_verbs``, ``predictor_verbs``
and ``backtest_verbs``, whose ``add_parsers`` declares its arguments. Every argument is checked before any work; user
errors (bad files, unknown names) end with a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from . import backtest_verbs, completion_verbs, predictor_verbs, records_verbs

    parser = argparse.ArgumentParser(prog="proxylm-harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for verbs in (records_verbs, completion_verbs, predictor_verbs, backtest_verbs):
        verbs.add_parsers(commands)
    return parser


def _user_errors() -> tuple:
    from ..estimators.artifacts import ArtifactError
    from ..estimators.completion.base import CompletionError
    from ..features.spec import FeatureError
    from ..languages.codes import UnknownLanguageError
    from ..records.layouts import RecordsError
    from ..records.regression_problems import ProblemError
    from ..records.rows_to_estimate import InputError
    from ._arguments import ArgumentError

    return (ArtifactError, CompletionError, FeatureError, InputError, UnknownLanguageError, ProblemError, RecordsError,
            ArgumentError)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except _user_errors() as error:
        print(f"proxylm-harness {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"proxylm-harness {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
