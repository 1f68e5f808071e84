"""Load ProxyLM's record files (MT560, NusaTranslation, MASSIVE intent and slot) into one tidy table.

Each upstream layout is one entry of ``LAYOUTS``; a file's layout is detected from its header, never its name.
To support another layout, add one ``Layout`` entry there.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Mapping, Union

import numpy as np
import pandas as pd

from proxylm_harness.languages import UnknownLanguageError, language_key

__all__ = [
    "LAYOUTS",
    "Layout",
    "Records",
    "RecordsError",
    "RecordsWarning",
    "UNIT_KEY",
    "detect_layout",
    "load_records",
]

PathLike = Union[str, "os.PathLike[str]"]


class RecordsError(ValueError):
    """A record file (or a combination of records) that cannot be loaded; says where and why.

    Attributes ``path``, ``line`` (1-based, header = 1), ``column`` and ``hint`` hold the parts
    of the message; any of them may be None.
    """

    def __init__(self, problem, *, path=None, line=None, column=None, hint=None):
        self.path, self.line, self.column, self.hint = path, line, column, hint
        where = [str(path)] if path is not None else []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        message = (", ".join(where) + ": " if where else "") + problem
        super().__init__(message + (f". Hint: {hint}" if hint else ""))


class RecordsWarning(UserWarning):
    """Rows were dropped while loading (see ``load_records``'s ``on_missing``)."""


# ---------------------------------------------------------------------------------------------
# Layouts, as data
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """How one upstream record file is laid out.

    ``systems`` lists ``(model, setting, column prefix)``; a score column is
    ``score_column.format(prefix=..., metric=...)`` for every metric spelling in ``metrics``
    (which maps the file's spelling to the canonical metric name), and likewise ``se_column``
    (None: the file has no standard errors). ``unit_columns`` identify a row: always
    ``source_lang`` and ``target_lang``, plus whichever of ``train_dataset``, ``dataset_size``
    and ``test_dataset`` the file holds; ``constants`` give the missing dataset names (a missing
    size is NA). ``features`` are the remaining columns (file spelling); ``renames`` maps a file
    spelling to the canonical column name.
    """

    dataset: str
    task_family: str
    unit_columns: tuple
    systems: tuple
    metrics: Mapping[str, str]
    score_column: str
    se_column: str | None
    features: tuple
    constants: Mapping[str, str] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def score_columns(self) -> dict:
        """``{file column: (model, setting, metric, "score" | "se")}``, systems-major."""
        out = {}
        for model, setting, prefix in self.systems:
            for spelled, metric in self.metrics.items():
                out[self.score_column.format(prefix=prefix, metric=spelled)] = (model, setting, metric, "score")
                if self.se_column is not None:
                    out[self.se_column.format(prefix=prefix, metric=spelled)] = (model, setting, metric, "se")
        return out

    @cached_property
    def columns(self) -> frozenset:
        """The header signature: every column a file of this layout has, no more."""
        return frozenset(self.unit_columns) | frozenset(self.score_columns) | frozenset(self.features)


URIEL = ("genetic", "geographic", "syntactic", "inventory", "phonological", "featural")
_MT_DATA_FEATURES = (
    "dev_size", "test_size",
    "train_word_vocab_size", "dev_word_vocab_size", "test_word_vocab_size",
    "avg_train_sentence_length", "avg_dev_sentence_length", "avg_test_sentence_length",
    "train_dev_word_overlap", "train_test_word_overlap", "dev_test_word_overlap",
    "ttr_train", "ttr_dev", "ttr_test",
    "train_dev_ttr_distance", "train_test_ttr_distance", "dev_test_ttr_distance",
    "train_dev_jsd", "train_test_jsd", "dev_test_jsd",
    "train_dev_tf_idf", "train_test_tf_idf", "dev_test_tf_idf",
    "train_dev_st_similarity", "train_test_st_similarity", "dev_test_st_similarity",
)
_MASSIVE_DATA_FEATURES = (
    "train_word_vocab_size", "test_word_vocab_size",
    "avg_train_sentence_length", "avg_test_sentence_length",
    "train_test_word_overlap", "ttr_train", "ttr_test", "train_test_ttr_distance",
    "train_test_jsd", "train_test_tf_idf", "train_test_st_similarity",
)
_MT_UNIT = ("source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset")
_MT_SYSTEMS = tuple(
    (model, setting, f"{model}_{setting}")
    for model in ("m2m100", "nllb", "small100") for setting in ("ft", "noft")
) + (("trfm", "scratch", "trfm"),)
_MT_METRICS = {m: m for m in ("spBLEU", "chrF2++", "BLEU", "chrF2", "TER")}
_MASSIVE_SYSTEMS = tuple(
    (model, "ft", model) for model in ("aya", "llama3", "smollm_135m", "smollm_360m", "bloomz_560m")
)
_MASSIVE_CONSTANTS = {"train_dataset": "massive", "test_dataset": "massive"}

LAYOUTS: dict[str, Layout] = {
    "mt560": Layout(
        dataset="mt560", task_family="translation", unit_columns=_MT_UNIT, systems=_MT_SYSTEMS,
        metrics={**_MT_METRICS, "comet": "comet"},
        score_column="{prefix}_{metric}_mean", se_column="{prefix}_{metric}_se",
        features=URIEL + _MT_DATA_FEATURES + ("eng_target",),
    ),
    "nusa": Layout(
        dataset="nusa", task_family="translation", unit_columns=_MT_UNIT, systems=_MT_SYSTEMS,
        metrics={**_MT_METRICS, "comet_score": "comet"},
        score_column="{prefix}_{metric}_mean", se_column="{prefix}_{metric}_se",
        features=URIEL + _MT_DATA_FEATURES,
    ),
    "massive_intent": Layout(
        dataset="massive_intent", task_family="intent", unit_columns=("source_lang", "target_lang"),
        systems=_MASSIVE_SYSTEMS, metrics={"accuracy": "accuracy"},
        score_column="{prefix}_{metric}", se_column=None,
        features=_MASSIVE_DATA_FEATURES + URIEL + ("direction_indicator",), constants=_MASSIVE_CONSTANTS,
    ),
    "massive_slot": Layout(
        dataset="massive_slot", task_family="slot", unit_columns=("source_lang", "target_lang"),
        systems=_MASSIVE_SYSTEMS, metrics={"f1": "f1"},
        score_column="{prefix}_{metric}", se_column=None,
        features=_MASSIVE_DATA_FEATURES + URIEL + ("directional_indicator",), constants=_MASSIVE_CONSTANTS,
        renames={"directional_indicator": "direction_indicator"},
    ),
}

UNIT_KEY = ("dataset", "source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset")
_ROW_KEY = UNIT_KEY + ("model", "setting", "metric")
_CORE = (
    "dataset", "task_family", "source_lang", "target_lang", "source_code", "target_code",
    "train_dataset", "test_dataset", "dataset_size", "model", "setting", "metric", "score", "score_se",
)
_PROVENANCE = ("source_file", "source_row")
_LANGUAGE_COLUMNS = ("source_lang", "target_lang")
_UNIT_TEXT = _LANGUAGE_COLUMNS + ("source_code", "target_code", "train_dataset", "test_dataset")
# Cells pandas would read as NaN (upstream reads with pd.read_csv, then dropna()).
_MISSING = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "null", "NULL", "None", "#N/A"})
_ON_MISSING = ("drop", "raise")
_DROPPED = ("source_file", "source_row", "columns")


def _canonical_feature_order() -> list:
    order = []
    for layout in LAYOUTS.values():
        for column in layout.features:
            name = layout.renames.get(column, column)
            if name not in order:
                order.append(name)
    return order


def detect_layout(columns: Iterable[str], *, path: PathLike | None = None) -> Layout:
    """Return the layout whose column set equals ``columns`` (order ignored), else raise RecordsError.

    The error names the closest layout (fewest missing + unexpected columns) and what differs.
    """
    columns = list(columns)
    found = set(columns)
    for layout in LAYOUTS.values():
        if found == layout.columns:
            return layout

    def distance(name):
        return len(LAYOUTS[name].columns ^ found)

    closest = min(LAYOUTS, key=distance)
    missing = [c for c in _ordered_columns(LAYOUTS[closest]) if c not in found]
    extra = [c for c in columns if c not in LAYOUTS[closest].columns]
    parts = []
    if missing:
        parts.append(f"missing {len(missing)} column(s) {_preview(missing)}")
    if extra:
        parts.append(f"unexpected {len(extra)} column(s) {_preview(extra)}")
    raise RecordsError(
        f"header matches no known record layout; closest is {closest!r} "
        f"({len(LAYOUTS[closest].columns)} columns expected, {len(found)} found): " + "; ".join(parts),
        path=path, line=1, column=(missing or extra)[0],
        hint=f"known layouts are {sorted(LAYOUTS)} (proxylm_harness.records.LAYOUTS); "
        "column names are case-sensitive and must match upstream's exactly",
    )


def _ordered_columns(layout: Layout) -> list:
    return list(layout.unit_columns) + list(layout.score_columns) + list(layout.features)


def _preview(names, limit=6) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


# ---------------------------------------------------------------------------------------------
# Reading one file
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

class Records:
    """A tidy table of experimental records: one row per (unit x model x setting x metric).

    A *unit* is one experiment, keyed by ``UNIT_KEY`` (dataset, source_lang, target_lang,
    train_dataset, dataset_size, test_dataset). Build one with ``load_records``;
    ``Records(frame)`` wraps a frame that already has the long table's columns.

    ``frame`` (long format; a copy-on-write view, safe to modify) has the columns
    ``dataset`` (mt560, nusa, massive_intent, massive_slot), ``task_family`` (translation,
    intent, slot), ``source_lang``/``target_lang`` (``languages.language_key`` of the codes),
    ``source_code``/``target_code`` (the codes as written), ``train_dataset``, ``test_dataset``,
    ``dataset_size`` (Int64, NA for MASSIVE), ``model``, ``setting`` (ft, noft, scratch),
    ``metric`` (spBLEU, chrF2++, BLEU, chrF2, TER, comet, accuracy, f1), ``score``,
    ``score_se`` (NaN where the file has none), the feature columns under upstream's names
    (NaN where a dataset lacks one), then ``source_file`` and ``source_row`` (1-based line,
    header = 1). ``wide(dataset, metric)`` gives one row per unit, one column per (model, setting).

    Examples
    --------
    >>> records = load_records("/work/shared/data/proxylm")            # doctest: +SKIP
    >>> records.wide("massive_intent", "accuracy")[["aya_ft", "smollm_135m_ft"]]  # doctest: +SKIP
    """

    def __init__(self, frame: pd.DataFrame, *, dropped: pd.DataFrame | None = None):
        missing = [c for c in _CORE + _PROVENANCE if c not in frame.columns]
        if missing:
            raise RecordsError(f"the frame lacks the records columns {missing}",
                               hint="build records with load_records()")
        self._frame = frame.reset_index(drop=True)
        self.dropped = dropped if dropped is not None else pd.DataFrame(columns=list(_DROPPED))
        self._wide_cache = {}
        self._units = None
        self._fingerprint = None

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame.copy(deep=False)

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        counts = ", ".join(f"{d}: {self._unit_count(d)} units" for d in self.datasets())
        return f"Records({len(self._frame)} rows; {counts or 'empty'})"

    @property
    def feature_columns(self) -> list:
        """Non-score columns carried from the files (URIEL distances, dataset features, indicators)."""
        return [c for c in self._frame.columns if c not in _CORE and c not in _PROVENANCE]

    def datasets(self) -> list:
        """Dataset names in order of first appearance."""
        return list(pd.unique(self._frame["dataset"]))

    def metrics(self, dataset: str) -> list:
        """Canonical metric names recorded for ``dataset``, in file order."""
        return list(pd.unique(self._rows(dataset)["metric"]))

    def models(self, dataset: str, metric: str) -> list:
        """``(model, setting)`` pairs scored in ``metric`` on ``dataset``, in file order."""
        rows = self._rows(dataset, metric)
        return list(dict.fromkeys(zip(rows["model"], rows["setting"])))

    def _unit_count(self, dataset) -> int:
        return int((self._first_rows()["dataset"] == dataset).sum())

    def _first_rows(self) -> pd.DataFrame:
        """Unit key and provenance of each unit's first row."""
        if self._units is None:
            frame = self._frame
            self._units = frame.loc[~frame.duplicated(list(UNIT_KEY)), list(UNIT_KEY) + list(_PROVENANCE)]
        return self._units

    def _rows(self, dataset, metric=None) -> pd.DataFrame:
        frame = self._frame
        mask = frame["dataset"] == dataset
        if metric is not None:
            mask &= frame["metric"] == metric
        if not mask.any():
            if dataset not in self.datasets():
                raise RecordsError(f"no records for dataset {dataset!r}", hint=f"known datasets: {self.datasets()}")
            raise RecordsError(f"no records for metric {metric!r} of dataset {dataset!r}",
                               hint=f"known metrics for it: {self.metrics(dataset)}")
        return frame[mask]

    def wide(self, dataset: str, metric: str) -> pd.DataFrame:
        """One row per unit of ``dataset`` (file order): unit key, codes, the dataset's features,
        and ``{model}_{setting}`` / ``{model}_{setting}_se`` columns for ``metric``. Cached."""
        key = (dataset, metric)
        if key not in self._wide_cache:
            self._wide_cache[key] = self._build_wide(dataset, metric)
        return self._wide_cache[key].copy(deep=False)

    def _build_wide(self, dataset, metric) -> pd.DataFrame:
        rows = self._rows(dataset, metric)
        unit = rows.groupby(list(UNIT_KEY), sort=False, dropna=False).ngroup().to_numpy()
        systems = (rows["model"] + "_" + rows["setting"]).to_numpy()
        names = list(pd.unique(systems))
        column = pd.Index(names).get_indexer(systems)
        score = np.full((unit.max() + 1, len(names)), np.nan)
        score_se = score.copy()
        score[unit, column] = rows["score"].to_numpy()
        score_se[unit, column] = rows["score_se"].to_numpy()
        first = ~pd.Series(unit).duplicated().to_numpy()
        features = [c for c in self.feature_columns if rows[c].notna().any()]
        base = rows.loc[first, list(UNIT_KEY) + ["source_code", "target_code"] + features].reset_index(drop=True)
        scores = pd.DataFrame(np.hstack([score, score_se]), columns=names + [f"{n}_se" for n in names])
        return pd.concat([base, scores], axis=1)

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the table's content.

        Independent of row order, of column order, of provenance (``source_file``/``source_row``)
        and of feature columns that are entirely NaN; stable across runs and machines. Two
        Records with the same rows and values have the same fingerprint.
        """
        if self._fingerprint is None:
            frame = self._frame
            order = np.lexsort([_factorize(frame[c])[0] for c in reversed(_ROW_KEY)])
            features = sorted(c for c in self.feature_columns if frame[c].notna().any())
            digest = hashlib.sha256()
            for name in list(_CORE) + features:
                digest.update(f"\x1e{name}\x1f".encode())
                digest.update(_column_bytes(frame[name], order))
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    @staticmethod
    def concat(*parts: "Records") -> "Records":
        """Combine records; refuse a unit that appears in more than one part."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return Records(pd.DataFrame({c: [] for c in _CORE + _PROVENANCE}))
        if len(parts) > 1:
            _check_disjoint(parts)
        frames = [p._frame for p in parts]
        order = list(_CORE) + _feature_order(frames) + list(_PROVENANCE)
        frame = pd.concat(frames, ignore_index=True).reindex(columns=order)
        dropped = pd.concat([p.dropped for p in parts], ignore_index=True)
        return Records(frame, dropped=dropped)

    def __add__(self, other: "Records") -> "Records":
        if not isinstance(other, Records):
            return NotImplemented
        return Records.concat(self, other)

    def __radd__(self, other):
        # lets sum(list_of_records) start from 0
        return self if other == 0 else NotImplemented


def _feature_order(frames) -> list:
    present = {c for f in frames for c in f.columns if c not in _CORE and c not in _PROVENANCE}
    canonical = [c for c in _canonical_feature_order() if c in present]
    return canonical + sorted(present - set(canonical))


def _check_disjoint(parts) -> None:
    units = pd.concat([p._first_rows() for p in parts], ignore_index=True)
    unit_id = units.groupby(list(UNIT_KEY), sort=False, dropna=False).ngroup()
    clash = units[unit_id.duplicated(keep=False)]  # units are unique within a part, so across parts
    if clash.empty:
        return
    first, other = clash[unit_id[clash.index] == unit_id[clash.index[0]]].iloc[:2].itertuples()
    unit = ", ".join(str(getattr(first, c)) for c in UNIT_KEY)
    raise RecordsError(
        f"duplicated unit ({unit}) when combining records: it is in {first.source_file} line "
        f"{first.source_row} and in {other.source_file} line {other.source_row}",
        path=other.source_file, line=int(other.source_row), column=",".join(UNIT_KEY),
        hint="load each record file once; a unit may come from one file only")


def _factorize(series: pd.Series):
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), uniques


def _column_bytes(series: pd.Series, order: np.ndarray) -> bytes:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)[order] + 0.0  # + 0.0 turns -0.0 into 0.0
        values[np.isnan(values)] = np.nan  # one NaN bit pattern
        return values.astype("<f8").tobytes()
    codes, uniques = _factorize(series)
    return "\x1f".join(map(str, uniques)).encode("utf-8") + b"\x1e" + codes[order].astype("<i8").tobytes()
