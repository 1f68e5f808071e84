"""Rows to estimate, read from a CSV: a ProxyLM record file, or a plain table named by the feature spec's columns.

Plain tables are read in chunks (``iter_rows``), so a million rows never sit in memory at once; every row keeps
the physical line of the file it came from, so that errors and outputs name it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

from ..features.spec import FeatureSpec
from ..languages.codes import UnknownLanguageError, language_key
from .csv_stream import open_records
from .layouts import LAYOUTS, RecordsError
from .reader import load_records

__all__ = ["InputError", "iter_rows", "read_rows"]

LANGUAGE_COLUMNS = ("source_lang", "target_lang")
CHUNK_ROWS = 50_000  # rows estimated at a time


class InputError(ValueError):
    """A rows file that cannot be read; the message names the file, line and column."""


def read_rows(path, spec: FeatureSpec) -> pd.DataFrame:
    """Every row of ``path`` for :func:`proxylm_harness.features.build_features` under ``spec`` (see ``iter_rows``)."""
    chunks = list(iter_rows(path, spec))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks)


def iter_rows(path, spec: FeatureSpec, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of ``path`` in chunks, each indexed by the rows' physical line numbers (header = 1).

    A file whose header is a ProxyLM record layout is read with the records importer (its rows for
    ``spec.metric``, one chunk); any other CSV must name its columns as the spec does (``source_lang``,
    ``target_lang``, the proxies such as ``small100_ft``, the dataset features, ...). Cells are read as text,
    never as missing values: an empty language code is an error, and ``NA`` is the ISO code it is.
    A row with more or fewer fields than the header is refused, naming its line.
    """
    path = Path(path)
    try:
        yield from _chunks(path, spec, chunk_rows)
    except RecordsError as error:  # the CSV reader's own refusals (encoding, quoting, giant cells)
        raise InputError(str(error)) from None


def _chunks(path: Path, spec: FeatureSpec, chunk_rows: int) -> Iterator[pd.DataFrame]:
    with open_records(path) as stream:
        header = stream.header
        if _is_record_file(header):
            yield _record_rows(path, spec)
            return
        yielded = False
        for lines, cells in stream.chunks(chunk_rows):
            for line, row in zip(lines, cells):
                if len(row) != len(header):
                    raise InputError(
                        f"{path}, line {line}: the row has {len(row)} fields but the header has {len(header)}. "
                        "Hint: look for a missing or extra comma, or an unquoted comma in a value.")
            yield _frame(path, header, lines, cells)
            yielded = True
        if not yielded:
            raise InputError(f"{path}: the file has a header but no rows.")


def _is_record_file(header: list[str]) -> bool:
    # A header with most of a record layout's score columns is a record file (perhaps a damaged one: then
    # the records importer names what is missing or extra).
    return any(len(set(header) & set(layout.score_columns)) >= 0.5 * len(layout.score_columns)
               for layout in LAYOUTS.values())


def _record_rows(path: Path, spec: FeatureSpec) -> pd.DataFrame:
    records = load_records(path)
    dataset = records.datasets()[0]
    if spec.metric not in records.metrics(dataset):
        raise InputError(f"{path}: this {dataset!r} record file has no {spec.metric!r} scores "
                         f"(it has {records.metrics(dataset)}).")
    rows = records.wide(dataset, spec.metric)
    # each unit's physical line: blank lines and rows dropped for empty cells leave gaps
    rows.index = pd.Index(records.wide_sources(dataset, spec.metric)["source_row"].to_numpy())
    return rows


def _frame(path: Path, header: list[str], lines: list, cells: list) -> pd.DataFrame:
    rows = pd.DataFrame(cells, columns=header, index=lines, dtype=object)
    if rows.columns.duplicated().any():
        duplicated = rows.columns[rows.columns.duplicated()][0]
        raise InputError(f"{path}, line 1, column {duplicated!r}: the column appears twice in the header. Hint: "
                         "remove or rename one of them.")
    for column in LANGUAGE_COLUMNS:
        if column in rows.columns:
            rows[column] = _language_keys(path, column, rows[column])
    return rows


def _language_keys(path: Path, column: str, codes: pd.Series) -> list[str]:
    keys = {}
    for line, code in codes.items():
        if code not in keys:
            if not code:
                raise InputError(f"{path}, line {line}, column {column!r}: the language code is empty. Hint: give "
                                 "an ISO 639-1/639-3 code, a locale or a FLORES-200 code on every row.")
            try:
                keys[code] = language_key(code)
            except UnknownLanguageError as error:
                raise InputError(f"{path}, line {line}, column {column!r}: {error}") from None
    return [keys[code] for code in codes]
