"""The cells of a chunk of records of one file, turned into checked arrays: numbers, texts, language keys.

Every refusal is a ``RecordsError`` naming the file, the line and the column, and quotes at most 200 characters of
the cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._io import quote
from ..languages.codes import UnknownLanguageError, language_key
from .layouts import _LANGUAGE_COLUMNS, _MISSING, Layout, RecordsError, score_range

__all__ = ["Chunk", "check_header", "check_widths", "constant", "handle_missing", "unit_columns"]


def check_header(header: list, path) -> None:
    """Refuse a header that names a column twice."""
    seen = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise RecordsError(f"column appears twice in the header (fields {seen[name]} and {position})",
                               path=path, line=1, column=name, hint="remove or rename one of them")
        seen[name] = position


def check_widths(header: list, rows: list, lines: list, path) -> np.ndarray:
    """The rows as a 2-D object array; refuse a row with more or fewer fields than the header."""
    width = len(header)
    for cells, line in zip(rows, lines):
        if len(cells) != width:
            column = header[len(cells)] if len(cells) < width else f"(field {width + 1})"
            raise RecordsError(f"the row has {len(cells)} fields but the header has {width}",
                               path=path, line=line, column=column,
                               hint="look for a missing or extra comma, or an unquoted comma in a value")
    cells = np.empty((len(rows), width), dtype=object)
    cells[:] = rows
    return cells


class Chunk:
    """The cells of some records of one file, with its layout; turns them into checked arrays."""

    def __init__(self, path, index: dict, cells, lines, layout: Layout, strings: dict, languages: dict):
        self.path, self.index, self.cells, self.lines, self.layout = path, index, cells, np.asarray(lines), layout
        # kept across a file's chunks: text -> one shared string, language code -> key
        self.strings, self.language_keys = strings, languages

    def column(self, name) -> np.ndarray:
        return self.cells[:, self.index[name]]

    def error(self, row: int, column: str, problem: str, hint: str | None) -> RecordsError:
        return RecordsError(problem, path=self.path, line=int(self.lines[row]), column=column, hint=hint)

    def numbers(self, names: list, kinds: list | None = None) -> np.ndarray:
        """Parse ``names`` as floats (missing cells -> NaN); refuse anything else, and values outside
        ``score_range(*kinds[j])`` when ``kinds`` is given."""
        block = self.cells[:, [self.index[n] for n in names]]
        try:
            values = block.astype(np.float64)
        except ValueError:
            values = np.column_stack([self._parse_column(block[:, j], name) for j, name in enumerate(names)])
        infinite = np.argwhere(np.isinf(values))
        if len(infinite):
            row, j = infinite[0]
            raise self.error(row, names[j], f"value {quote(block[row, j])} is not a finite number",
                             "scores and features must be finite; leave the cell empty if the value is unknown")
        if kinds is not None:
            self._check_ranges(block, values, names, kinds)
        return values

    def _parse_column(self, raw: np.ndarray, name: str) -> np.ndarray:
        """A number is what ``float()`` reads; a missing cell is one of ``_MISSING`` (pandas' NA spellings)."""
        missing = np.fromiter((cell in _MISSING for cell in raw), dtype=bool, count=len(raw))
        filled = np.where(missing, "nan", raw)
        try:
            return filled.astype(np.float64)
        except ValueError:
            for row, cell in enumerate(filled):
                try:
                    float(cell)
                except ValueError:
                    raise self.error(row, name, f"value {quote(cell)} is not a number",
                                     "score and feature columns must hold plain decimal numbers (or be empty)"
                                     ) from None
            raise

    def _check_ranges(self, block, values, names, kinds) -> None:
        bounds = np.array([score_range(metric, kind) for metric, kind in kinds]).T
        outside = np.argwhere((values < bounds[0]) | (values > bounds[1]))
        if len(outside):
            row, j = outside[0]
            (metric, kind), (low, high) = kinds[j], bounds[:, j]
            what = f"a standard error of {metric}" if kind == "se" else f"a {metric} score"
            raise self.error(row, names[j], f"value {quote(block[row, j])} is impossible for {what} "
                             f"(possible: {low:g} to {high:g})",
                             "check that the column holds this metric, on its usual scale (percentages for BLEU, "
                             "chrF, accuracy, F1), and the number's sign and exponent")

    def texts(self, name: str) -> np.ndarray:
        """The cells of a key column (none may be empty), one shared string per distinct value."""
        values = self.column(name)
        empty = np.flatnonzero(values == "")
        if len(empty):
            raise self.error(empty[0], name, "the cell is empty, but it identifies the record",
                             f"fill in {name!r}; only score and feature cells may be empty")
        return np.array([self.strings.setdefault(v, v) for v in values], dtype=object)

    def languages(self, name: str) -> np.ndarray:
        """``language_key`` of each code in column ``name``; refuse an unknown code."""
        codes = self.column(name)
        keys = self.language_keys
        for code in pd.unique(codes):
            if code not in keys:
                try:
                    keys[code] = language_key(code)
                except UnknownLanguageError as error:
                    row = int(np.flatnonzero(codes == code)[0])
                    # languages' own message names the code, suggests neighbours and gives a hint
                    message = str(error).rstrip(".")
                    if len(message) > 1000:
                        message = f"{quote(code)} is not a known language code"
                    raise self.error(row, name, message, None) from error
        return np.array([keys[c] for c in codes], dtype=object)

    def sizes(self, name: str) -> np.ndarray:
        """A column of counts (NaN where missing); refuse a fraction or a negative number."""
        values = self.numbers([name])[:, 0]
        bad = np.flatnonzero(~np.isnan(values) & ((values != np.round(values)) | (values < 0)))
        if len(bad):
            value = self.column(name)[bad[0]]
            raise self.error(bad[0], name, f"value {quote(value)} is not a whole, non-negative number",
                             "dataset_size is a count of training sentence pairs")
        return values


def unit_columns(chunk: Chunk) -> dict:
    """The unit key and the codes as written, one array each (constants where the layout lacks a column)."""
    layout, n = chunk.layout, len(chunk.cells)
    units = {"source_code": chunk.texts("source_lang"), "target_code": chunk.texts("target_lang")}
    for name in _LANGUAGE_COLUMNS:
        units[name] = chunk.languages(name)
    for name in ("train_dataset", "test_dataset"):
        units[name] = chunk.texts(name) if name in layout.unit_columns else constant(layout.constants[name], n)
    if "dataset_size" in layout.unit_columns:
        units["dataset_size"] = chunk.sizes("dataset_size")
    else:
        units["dataset_size"] = np.full(n, np.nan)
    return units


def constant(value, n) -> np.ndarray:
    """An object array of ``n`` times ``value``."""
    return np.repeat(np.array([value], dtype=object), n)


def handle_missing(chunk, score_names, scores, features, on_missing) -> tuple[np.ndarray, list]:
    """Upstream drops every row with any NaN (``df.dropna()``); do the same, or refuse."""
    names = score_names + list(chunk.layout.features)
    gaps = np.isnan(np.hstack([scores, features]))
    keep = ~gaps.any(axis=1)
    dropped = []
    for row in np.flatnonzero(~keep):
        columns = [names[j] for j in np.flatnonzero(gaps[row])]
        if on_missing == "raise":
            raise chunk.error(row, columns[0], f"the cell is empty or NA ({len(columns)} such cell(s) in this row)",
                              "fill it in, or pass on_missing='drop' to skip such rows as upstream's dropna() does")
        dropped.append((str(chunk.path), int(chunk.lines[row]), ",".join(columns)))
    return keep, dropped
