"""Read ProxyLM's record files (any layout of ``layouts.LAYOUTS``) into one ``Records`` table, refusing bad cells by line and column."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .._io import quote
from .cells import Chunk, check_header, check_widths, constant, handle_missing, unit_columns
from .csv_stream import open_records
from .layouts import (
    _CORE, _DROPPED, _MT_UNIT, _ON_MISSING, _PROVENANCE, UNIT_KEY, Layout, PathLike, RecordsError, RecordsWarning,
    _canonical_feature_order, detect_layout,
)
from .storage import SYSTEM_COLUMNS, Scores, combine
from .table import Records
from .table import unit_columns as long_unit_columns

__all__ = ["load_records"]

_TEXTS = ("source_code", "target_code", "source_lang", "target_lang", "train_dataset", "test_dataset")


class _Buffer:
    """A numeric array filled chunk by chunk, reserved once from an estimate and doubled when short.

    Reserved but unwritten pages cost no memory, and no chunk-sized pieces are left to be copied together (and
    to fragment the heap) at the end.
    """

    def __init__(self, dtype, capacity: int):
        self.data = np.empty(capacity, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.empty(max(end, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size:end] = values
        self.size = end

    def values(self) -> np.ndarray:
        return self.data[: self.size]


class _FilePart:
    """One file's units and scores, gathered chunk by chunk: the unit key of every record (for the duplicate
    check), the features and scores of the complete ones."""

    def __init__(self, path, header: list, layout: Layout, on_missing: str, rows: int):
        self.path, self.header, self.layout, self.on_missing = path, header, layout, on_missing
        self.index = {name: i for i, name in enumerate(header)}
        self.strings, self.languages = {}, {}  # across chunks: text -> one shared string, code -> language key
        specs = list(layout.score_columns.values())
        self.score_names = list(layout.score_columns)
        self.kinds = [(metric, kind) for _, _, metric, kind in specs]
        self.score_idx = [j for j, spec in enumerate(specs) if spec[3] == "score"]
        se_of = {spec[:3]: j for j, spec in enumerate(specs) if spec[3] == "se"}
        self.se_idx = [se_of[specs[j][:3]] for j in self.score_idx] if se_of else None
        self.systems = pd.DataFrame([specs[j][:3] for j in self.score_idx], columns=list(SYSTEM_COLUMNS))
        k = len(self.score_idx)
        self.texts = {name: [] for name in _TEXTS}
        self.sizes, self.lines = _Buffer(np.float64, rows), _Buffer(np.int64, rows)
        self.keep = _Buffer(bool, rows)
        self.features = [_Buffer(np.float64, rows) for _ in layout.features]  # one per column: no copy at the end
        self.score, self.score_se = _Buffer(np.float64, rows * k), _Buffer(np.float64, rows * k)
        self.dropped = []

    def add(self, lines: list, rows: list) -> None:
        """Check one chunk of records; keep the unit key of each and the values of the complete ones."""
        chunk = Chunk(self.path, self.index, check_widths(self.header, rows, lines, self.path), lines,
                      self.layout, self.strings, self.languages)
        units = unit_columns(chunk)
        scores = chunk.numbers(self.score_names, self.kinds)
        features = chunk.numbers(list(self.layout.features))
        keep, dropped = handle_missing(chunk, self.score_names, scores, features, self.on_missing)
        self.dropped.extend(dropped)
        for name in _TEXTS:
            self.texts[name].append(units[name])
        self.sizes.extend(units["dataset_size"])
        self.lines.extend(chunk.lines)
        self.keep.extend(keep)
        for j, column in enumerate(self.features):
            column.extend(features[keep, j])
        scores = scores[keep]
        self.score.extend(scores[:, self.score_idx].ravel())
        self.score_se.extend(scores[:, self.se_idx].ravel() if self.se_idx else
                             np.full(int(keep.sum()) * len(self.score_idx), np.nan))

    def keys(self) -> pd.DataFrame:
        """``UNIT_KEY`` of every record (complete or not), with the cells as written and the line."""
        keys = {name: np.concatenate(self.texts[name]) for name in _TEXTS}
        keys["dataset"] = constant(self.layout.dataset, len(keys["source_lang"]))
        keys["dataset_size"] = self.sizes.values()
        keys["line"] = self.lines.values()
        return pd.DataFrame(keys, copy=False)

    def finish(self) -> tuple[pd.DataFrame, Scores]:
        """The file's units table (complete records only) and scores table."""
        layout, keep = self.layout, self.keep.values()
        n, k = int(keep.sum()), len(self.score_idx)
        columns = {"dataset": constant(layout.dataset, n), "task_family": constant(layout.task_family, n)}
        for name in _CORE:
            if name in self.texts:
                columns[name] = np.concatenate(self.texts[name])[keep]
        columns["dataset_size"] = pd.array(self.sizes.values()[keep], dtype="Int64")
        by_name = {layout.renames.get(c, c): column.values() for c, column in zip(layout.features, self.features)}
        columns.update((name, by_name[name]) for name in _canonical_feature_order() if name in by_name)
        columns["source_file"] = constant(str(self.path), n)
        columns["source_row"] = self.lines.values()[keep]
        scores = Scores(np.repeat(np.arange(n, dtype=np.int32), k), np.tile(np.arange(k, dtype=np.int32), n),
                        self.systems, self.score.values(), self.score_se.values())
        return pd.DataFrame(columns, copy=False), scores


def _read_file(path: PathLike, on_missing: str, earlier: list) -> _FilePart:
    """Read one file; refuse a unit that it or an ``earlier`` file already holds."""
    with open_records(path) as stream:
        chunks = stream.chunks()
        first = next(chunks, None)
        if first is None:
            raise RecordsError("the file has a header but no records", path=path, line=1,
                               hint="a record file needs at least one record below the header")
        check_header(stream.header, path)
        layout = detect_layout(stream.header, path=path)
        part = _FilePart(path, stream.header, layout, on_missing, _estimated_rows(path, first[1]))
        for lines, rows in itertools.chain([first], chunks):
            part.add(lines, rows)
    _check_duplicates(earlier + [part])
    return part


def _estimated_rows(path, rows: list) -> int:
    """The file's number of records, guessed from its size and the length of its first records."""
    characters = sum(len(cell) + 1 for row in rows for cell in row) / len(rows)
    return int(1.1 * os.path.getsize(path) / max(characters, 1)) + len(rows)


def _check_duplicates(parts: list) -> None:
    """Refuse a unit (``UNIT_KEY``) that appears twice in ``parts``, naming both lines (the later one first)."""
    keys = pd.concat([p.keys().assign(part=i) for i, p in enumerate(parts)], ignore_index=True)
    group = keys.groupby(list(UNIT_KEY), sort=False, dropna=False).ngroup().to_numpy()
    again = pd.Series(group).duplicated().to_numpy()
    if not again.any():
        return
    row = int(np.flatnonzero(again)[0])
    later, first = keys.iloc[row], keys.iloc[int(np.flatnonzero(group == group[row])[0])]
    part = parts[int(later["part"])]
    where = f"line {first['line']}" if first["part"] == later["part"] else \
        f"{parts[int(first['part'])].path} line {first['line']}"
    columns = [c for c in _MT_UNIT if c in part.layout.unit_columns]
    written = {**later, "source_lang": later["source_code"], "target_lang": later["target_code"],
               "dataset_size": "" if np.isnan(later["dataset_size"]) else int(later["dataset_size"])}
    unit = ", ".join(f"{c}={quote(str(written[c]))}" for c in columns)
    raise RecordsError(f"duplicated record: same unit ({unit}) as {where}", path=part.path, line=int(later["line"]),
                       column=",".join(columns),
                       hint=f"each ({', '.join(columns)}) may appear once; remove line {later['line']} or {where}")


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
    files: list = []
    for path in _expand(paths):
        files.append(_read_file(path, on_missing, files))
    dropped = pd.DataFrame([row for part in files for row in part.dropped], columns=list(_DROPPED))
    parts = [part.finish() for part in files]
    del files
    present = {name for units, _ in parts for name in units.columns}
    columns = list(_CORE) + [c for c in _canonical_feature_order() if c in present] + list(_PROVENANCE)
    units, scores = combine(parts, long_unit_columns(columns))
    records = Records._from_parts(units, scores, columns, dropped)
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

