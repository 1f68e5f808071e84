"""Rows to estimate, read from a CSV: a ProxyLM record file, or a plain table named by the feature spec's columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .._io import quote
from ..features.spec import FeatureSpec
from ..languages.codes import UnknownLanguageError, language_key
from .layouts import LAYOUTS
from .reader import load_records

__all__ = ["InputError", "read_rows"]


class InputError(ValueError):
    """A rows file that cannot be read; the message names the file, line and column."""


def _header(path: Path) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{path}: cannot read the file ({error}). Hint: pass a UTF-8 CSV file.") from None


def read_rows(path, spec: FeatureSpec) -> pd.DataFrame:
    """Rows for :func:`proxylm_harness.features.build_features` under ``spec``.

    A file whose header is a ProxyLM record layout is read with the records importer (its rows for
    ``spec.metric``); any other CSV must name its columns as the spec does (``source_lang``,
    ``target_lang``, the proxies such as ``small100_ft``, the dataset features, ...). The index is
    the 1-based line number, so errors point at the line.
    """
    path = Path(path)
    header = _header(path)
    if not header:
        raise InputError(f"{path}: the file is empty. Hint: the first line names the columns.")
    # A header with most of a record layout's score columns is a record file (perhaps a damaged one: then
    # the records importer names what is missing or extra).
    if any(len(set(header) & set(layout.score_columns)) >= 0.5 * len(layout.score_columns) for layout in LAYOUTS.values()):
        records = load_records(path)
        dataset = records.datasets()[0]
        if spec.metric not in records.metrics(dataset):
            raise InputError(f"{path}: this {dataset!r} record file has no {spec.metric!r} scores "
                             f"(it has {records.metrics(dataset)}).")
        rows = records.wide(dataset, spec.metric)
        # each unit's physical line: blank lines and rows dropped for empty cells leave gaps
        rows.index = pd.Index(records.wide_sources(dataset, spec.metric)["source_row"].to_numpy())
        return rows
    try:
        rows = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{path}: not a readable CSV ({error}).") from None
    if rows.empty:
        raise InputError(f"{path}: the file has a header but no rows.")
    rows.index = pd.RangeIndex(2, len(rows) + 2)
    for column in ("source_lang", "target_lang"):
        if column in rows.columns:
            rows[column] = [_key(path, line, column, code) for line, code in rows[column].items()]
    return rows


def _key(path, line, column, code) -> str:
    try:
        return language_key(str(code))
    except UnknownLanguageError as error:
        message = str(error) if len(str(error)) <= 1000 else f"{quote(code)} is not a known language code."
        raise InputError(f"{path}, line {line}, column {column!r}: {message}") from None

