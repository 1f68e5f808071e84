"""Read ProxyLM's record files (any layout of ``layouts.LAYOUTS``) into one ``Records`` table, refusing bad cells by line and column."""

from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..languages.codes import UnknownLanguageError, language_key
from .layouts import (
    _CORE, _DROPPED, _LANGUAGE_COLUMNS, _MISSING, _MT_UNIT, _ON_MISSING, _PROVENANCE, _UNIT_TEXT, Layout, PathLike,
    RecordsError, RecordsWarning, _canonical_feature_order, detect_layout,
)
from .table import Records

__all__ = ["load_records"]

def _read_text(path: PathLike) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise RecordsError(f"cannot read the file ({error.strerror or error})", path=path,
                           hint="pass a record CSV file, a directory of them, or a list of those") from None
    if not data.strip():
        raise RecordsError("the file is empty (no header, no records)", path=path, line=1,
                           hint="a record file needs a header line and at least one record")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise RecordsError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); expected UTF-8",
                           path=path, line=1, hint="re-save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`")
    if b"\x00" in data:
        raise _encoding_error(data, data.index(b"\x00"), path, "a NUL byte (UTF-16 or binary data?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _encoding_error(data, error.start, path, f"byte 0x{data[error.start]:02x}, which is not UTF-8") from None


def _encoding_error(data: bytes, offset: int, path, what: str) -> RecordsError:
    line_start = data.rfind(b"\n", 0, offset) + 1
    field_index = data.count(b",", line_start, offset)
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
    column = header[field_index].strip() if field_index < len(header) else None
    return RecordsError(
        f"the file is not valid UTF-8: found {what} at byte offset {offset}; expected UTF-8 text",
        path=path, line=data.count(b"\n", 0, offset) + 1, column=column,
        hint="re-save the file as UTF-8 (if it is Latin-1/cp1252: `iconv -f latin1 -t UTF-8`)",
    )


def _parse_rows(text: str, path) -> tuple[list, list, list]:
    """Return (header, data rows as lists of stripped cells, their 1-based line numbers)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header, rows, lines = None, [], []
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            cells = list(map(str.strip, record))
            if header is None:
                header = cells
            else:
                rows.append(cells)
                lines.append(start)
    except csv.Error as error:
        raise RecordsError(f"malformed CSV ({error})", path=path, line=reader.line_num,
                           hint="check the quoting on that line") from None
    if not rows:
        raise RecordsError("the file has a header but no records", path=path, line=1,
                           hint="a record file needs at least one record below the header")
    return header, rows, lines


def _check_header(header: list, path) -> None:
    seen = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise RecordsError(f"column appears twice in the header (fields {seen[name]} and {position})",
                               path=path, line=1, column=name, hint="remove or rename one of them")
        seen[name] = position


def _check_widths(header: list, rows: list, lines: list, path) -> np.ndarray:
    width = len(header)
    for cells, line in zip(rows, lines):
        if len(cells) != width:
            column = header[len(cells)] if len(cells) < width else f"(field {width + 1})"
            raise RecordsError(f"the row has {len(cells)} fields but the header has {width}",
                               path=path, line=line, column=column,
                               hint="look for a missing or extra comma, or an unquoted comma in a value")
    return np.array(rows, dtype=object).reshape(len(rows), width)


class _FileTable:
    """The cells of one record file with its layout; turns them into checked arrays."""

    def __init__(self, path, header, cells, lines, layout: Layout):
        self.path, self.cells, self.lines, self.layout = path, cells, np.asarray(lines), layout
        self.index = {name: i for i, name in enumerate(header)}

    def column(self, name) -> np.ndarray:
        return self.cells[:, self.index[name]]

    def error(self, row: int, column: str, problem: str, hint: str | None) -> RecordsError:
        return RecordsError(problem, path=self.path, line=int(self.lines[row]), column=column, hint=hint)

    def numbers(self, names: list) -> np.ndarray:
        """Parse ``names`` as floats (missing cells -> NaN); refuse anything else."""
        block = self.cells[:, [self.index[n] for n in names]]
        try:
            values = block.astype(np.float64)
        except ValueError:
            values = np.column_stack([self._parse_column(block[:, j], name) for j, name in enumerate(names)])
        infinite = np.argwhere(np.isinf(values))
        if len(infinite):
            row, j = infinite[0]
            raise self.error(row, names[j], f"value {block[row, j]!r} is not a finite number",
                             "scores and features must be finite; leave the cell empty if the value is unknown")
        return values

    def _parse_column(self, raw: np.ndarray, name: str) -> np.ndarray:
        values = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=np.float64)
        for row in np.flatnonzero(np.isnan(values)):
            if raw[row] not in _MISSING:
                raise self.error(row, name, f"value {raw[row]!r} is not a number",
                                 "score and feature columns must hold plain decimal numbers (or be empty)")
        return values

    def texts(self, name: str) -> np.ndarray:
        values = self.column(name)
        empty = np.flatnonzero(values == "")
        if len(empty):
            raise self.error(empty[0], name, "the cell is empty, but it identifies the record",
                             f"fill in {name!r}; only score and feature cells may be empty")
        return values

    def languages(self, name: str) -> np.ndarray:
        codes = self.texts(name)
        keys = {}
        for code in pd.unique(codes):
            try:
                keys[code] = language_key(code)
            except UnknownLanguageError as error:
                row = int(np.flatnonzero(codes == code)[0])
                # languages' own message already names the code, suggests neighbours and gives a hint
                raise self.error(row, name, str(error).rstrip("."), None) from error
        return np.array([keys[c] for c in codes], dtype=object)

    def sizes(self, name: str) -> np.ndarray:
        values = self.numbers([name])[:, 0]
        bad = np.flatnonzero(~np.isnan(values) & ((values != np.round(values)) | (values < 0)))
        if len(bad):
            value = self.column(name)[bad[0]]
            raise self.error(bad[0], name, f"value {value!r} is not a whole, non-negative number",
                             "dataset_size is a count of training sentence pairs")
        return values


def _read_file(path: PathLike, on_missing: str, seen: dict) -> tuple[dict, list]:
    """Columns of the long table for one file, and its dropped rows; ``seen`` maps unit -> where."""
    header, rows, lines = _parse_rows(_read_text(path), path)
    _check_header(header, path)
    layout = detect_layout(header, path=path)
    table = _FileTable(path, header, _check_widths(header, rows, lines, path), lines, layout)
    units = _unit_columns(table)
    _check_duplicates(table, units, seen)
    score_names = list(layout.score_columns)
    scores = table.numbers(score_names)
    features = table.numbers(list(layout.features))
    keep, dropped = _handle_missing(table, score_names, scores, features, on_missing)
    return _long_columns(table, {k: v[keep] for k, v in units.items()}, scores[keep], features[keep], keep), dropped


def _unit_columns(table: _FileTable) -> dict:
    layout, n = table.layout, len(table.cells)
    units = {"source_code": table.texts("source_lang"), "target_code": table.texts("target_lang")}
    for name in _LANGUAGE_COLUMNS:
        units[name] = table.languages(name)
    for name in ("train_dataset", "test_dataset"):
        units[name] = table.texts(name) if name in layout.unit_columns else _constant(layout.constants[name], n)
    if "dataset_size" in layout.unit_columns:
        units["dataset_size"] = table.sizes("dataset_size")
    else:
        units["dataset_size"] = np.full(n, np.nan)
    return units


def _constant(value, n) -> np.ndarray:
    return np.repeat(np.array([value], dtype=object), n)


def _check_duplicates(table: _FileTable, units: dict, seen: dict) -> None:
    columns = [c for c in _MT_UNIT if c in table.layout.unit_columns]
    keys = zip(units["source_lang"], units["target_lang"], units["train_dataset"],
               units["dataset_size"].tolist(), units["test_dataset"])
    for row, key in enumerate(keys):
        key = (table.layout.dataset,) + key[:3] + (None if np.isnan(key[3]) else int(key[3]),) + key[4:]
        line = int(table.lines[row])
        if key in seen:
            path, first = seen[key]
            where = f"line {first}" if path == table.path else f"{path} line {first}"
            unit = ", ".join(f"{c}={table.column(c)[row]}" for c in columns)
            raise table.error(row, ",".join(columns), f"duplicated record: same unit ({unit}) as {where}",
                              f"each ({', '.join(columns)}) may appear once; remove line {line} or {where}")
        seen[key] = (table.path, line)


def _handle_missing(table, score_names, scores, features, on_missing) -> tuple[np.ndarray, list]:
    """Upstream drops every row with any NaN (``df.dropna()``); do the same, or refuse."""
    names = score_names + list(table.layout.features)
    gaps = np.isnan(np.hstack([scores, features]))
    keep = ~gaps.any(axis=1)
    dropped = []
    for row in np.flatnonzero(~keep):
        columns = [names[j] for j in np.flatnonzero(gaps[row])]
        if on_missing == "raise":
            raise table.error(row, columns[0], f"the cell is empty or NA ({len(columns)} such cell(s) in this row)",
                              "fill it in, or pass on_missing='drop' to skip such rows as upstream's dropna() does")
        dropped.append((str(table.path), int(table.lines[row]), ",".join(columns)))
    return keep, dropped


def _long_columns(table: _FileTable, units: dict, scores, features, keep) -> dict:
    """One row per (unit, model, setting, metric), unit-major in file order."""
    layout = table.layout
    specs = list(layout.score_columns.values())
    score_idx = [j for j, spec in enumerate(specs) if spec[3] == "score"]
    se_of = {spec[:3]: j for j, spec in enumerate(specs) if spec[3] == "se"}
    n, k = len(scores), len(score_idx)
    score_se = (scores[:, [se_of[specs[j][:3]] for j in score_idx]] if se_of else np.full((n, k), np.nan))

    def per_system(position):
        return np.tile(np.array([specs[j][position] for j in score_idx], dtype=object), n)

    columns = {
        "dataset": _constant(layout.dataset, n * k),
        "task_family": _constant(layout.task_family, n * k),
        **{name: np.repeat(units[name], k) for name in _UNIT_TEXT},
        "dataset_size": np.repeat(units["dataset_size"], k),
        "model": per_system(0),
        "setting": per_system(1),
        "metric": per_system(2),
        "score": scores[:, score_idx].ravel(),
        "score_se": score_se.ravel(),
    }
    for j, name in enumerate(layout.features):
        columns[layout.renames.get(name, name)] = np.repeat(features[:, j], k)
    columns["source_file"] = _constant(str(table.path), n * k)
    columns["source_row"] = np.repeat(table.lines[keep].astype(np.int64), k)
    return columns


def _assemble(parts: list) -> pd.DataFrame:
    """Stack the files' columns into one frame (cheaper than concatenating DataFrames)."""
    present = {name for columns in parts for name in columns}
    order = list(_CORE) + [c for c in _canonical_feature_order() if c in present] + list(_PROVENANCE)
    sizes = [len(columns["score"]) for columns in parts]
    stacked = {
        name: np.concatenate([columns[name] if name in columns else np.full(n, np.nan)
                              for columns, n in zip(parts, sizes)])
        for name in order
    }
    stacked["dataset_size"] = pd.array(stacked["dataset_size"], dtype="Int64")
    return pd.DataFrame(stacked)


# ---------------------------------------------------------------------------------------------
# Loading many files
# ---------------------------------------------------------------------------------------------

def load_records(paths: PathLike | Iterable[PathLike], *, on_missing: str = "drop") -> "Records":
    """Load record files into one ``Records`` table.

    ``paths`` is a file, a directory (every ``*.csv`` directly in it, sorted by name; other
    files are ignored) or a list of those. Each file's layout is detected from its header.
    A unit (``UNIT_KEY``) may appear only once across all the files.

    Missing values: a row with an empty (or NA/NaN) score or feature cell is dropped with a
    ``RecordsWarning``, as upstream's ``df.dropna()`` drops it, when ``on_missing='drop'``
    (the default); ``on_missing='raise'`` refuses the file instead. Dropped rows are listed in
    ``Records.dropped``. Every other defect raises ``RecordsError`` naming file, line and column.
    """
    _check_on_missing(on_missing)
    seen: dict = {}
    parts = [_read_file(path, on_missing, seen) for path in _expand(paths)]
    dropped = pd.DataFrame([row for _, rows in parts for row in rows], columns=list(_DROPPED))
    records = Records(_assemble([columns for columns, _ in parts]), dropped=dropped)
    _warn_dropped(records.dropped)
    return records


def _expand(paths) -> list:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = []
    for path in paths:
        if Path(path).is_dir():
            found = sorted(p for p in Path(path).glob("*.csv") if p.is_file())
            if not found:
                raise RecordsError("the directory holds no *.csv record files", path=path,
                                   hint="record files end in .csv; pass them or their directory")
            files.extend(str(p) for p in found)
        else:
            files.append(path)
    if not files:
        raise RecordsError("no record files given", hint="pass a file, a directory or a list of those")
    return files


def _check_on_missing(on_missing) -> None:
    if on_missing not in _ON_MISSING:
        raise ValueError(f"The 'on_missing' parameter must be a str among {set(_ON_MISSING)}. "
                         f"Got {on_missing!r} instead.")


def _warn_dropped(dropped: pd.DataFrame) -> None:
    for source, rows in dropped.groupby("source_file", sort=False):
        lines = ", ".join(f"line {r.source_row} ({r.columns.split(',')[0]!r})" for r in rows.head(5).itertuples())
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        warnings.warn(RecordsWarning(
            f"{source}: dropped {len(rows)} row(s) with empty score/feature cells, as upstream's dropna() "
            f"does: {lines}{more}. Pass on_missing='raise' to refuse such files."), stacklevel=3)

