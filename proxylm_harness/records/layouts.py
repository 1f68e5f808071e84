"""ProxyLM's record-file layouts as data, the columns of the records table, and the errors records raise.

Each upstream layout is one entry of ``LAYOUTS``; a file's layout is detected from its header, never its name.
To support another layout, add one ``Layout`` entry there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Mapping, Union

from .._io import quote

__all__ = ["LAYOUTS", "Layout", "RecordsError", "RecordsWarning", "SCORE_RANGES", "SE_RANGE", "UNIT_KEY",
           "detect_layout", "score_range"]

PathLike = Union[str, "os.PathLike[str]"]


class RecordsError(ValueError):
    """A record file (or a combination of records) that cannot be loaded; says where and why.

    Attributes ``path``, ``line`` (1-based, header = 1), ``column`` and ``hint`` hold the parts
    of the message; any of them may be None. The column name is quoted cut to 200 characters
    (``_io.quote``), as is every value the messages quote: a binary file never prints megabytes.
    """

    def __init__(self, problem, *, path=None, line=None, column=None, hint=None):
        self.path, self.line, self.column, self.hint = path, line, column, hint
        where = [str(path)] if path is not None else []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {quote(column)}")
        message = (", ".join(where) + ": " if where else "") + problem
        super().__init__(message + (f". Hint: {hint}" if hint else ""))


class RecordsWarning(UserWarning):
    """Rows were dropped while loading (see ``load_records``'s ``on_missing``)."""



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

# The values a score can take, by canonical metric (a record outside is refused). TER has no upper bound in
# principle (a hypothesis can be far longer than its reference): the real MT560 records reach 2853 (English to
# Chinese, unsegmented), so its bound only catches garbage such as 1e12.
SCORE_RANGES: dict[str, tuple[float, float]] = {
    "spBLEU": (0.0, 100.0), "BLEU": (0.0, 100.0), "chrF2": (0.0, 100.0), "chrF2++": (0.0, 100.0),
    "accuracy": (0.0, 100.0), "f1": (0.0, 100.0),
    "TER": (0.0, 100_000.0),
    "comet": (-3.0, 3.0),
}
#: The values a standard error (a ``_se`` column) can take.
SE_RANGE = (0.0, float("inf"))


def score_range(metric: str, kind: str = "score") -> tuple[float, float]:
    """``(low, high)`` a ``kind`` (``"score"`` or ``"se"``) of ``metric`` must lie in; unbounded for an unknown metric."""
    if kind == "se":
        return SE_RANGE
    return SCORE_RANGES.get(metric, (-float("inf"), float("inf")))


UNIT_KEY = ("dataset", "source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset")
_CORE = (
    "dataset", "task_family", "source_lang", "target_lang", "source_code", "target_code",
    "train_dataset", "test_dataset", "dataset_size", "model", "setting", "metric", "score", "score_se",
)
_PROVENANCE = ("source_file", "source_row")
_LANGUAGE_COLUMNS = ("source_lang", "target_lang")
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
    shown = ", ".join(quote(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"

