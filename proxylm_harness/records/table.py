"""The records table: one row per (experiment unit x model x setting x metric), its wide view and its fingerprint."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._io import quote
from .layouts import _CORE, _DROPPED, _PROVENANCE, UNIT_KEY, RecordsError, _canonical_feature_order
from .storage import SCORE_COLUMNS, Scores, combine, fingerprint, long_frame, split_long, used_columns

__all__ = ["Records"]


class Records:
    """A tidy table of experimental records: one row per (unit x model x setting x metric).

    A *unit* is one experiment, keyed by ``UNIT_KEY`` (dataset, source_lang, target_lang,
    train_dataset, dataset_size, test_dataset). Build one with ``load_records``;
    ``Records(frame)`` wraps a frame that already has the long table's columns.

    ``frame`` (long format; built on each call from a units table and a scores table, see ``storage``; safe to
    modify) has the columns
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
        units, scores = split_long(frame.reset_index(drop=True))
        self._setup(units, scores, list(frame.columns), dropped)

    @classmethod
    def _from_parts(cls, units: pd.DataFrame, scores: Scores, columns: list, dropped=None) -> "Records":
        """Records over a units table and a scores table (see ``storage``); ``columns``: the long table's."""
        records = cls.__new__(cls)
        records._setup(units, scores, columns, dropped)
        return records

    def _setup(self, units, scores, columns, dropped) -> None:
        self._units, self._scores, self._columns = units, scores, columns
        self.dropped = dropped if dropped is not None else pd.DataFrame(columns=list(_DROPPED))
        self._wide_cache = {}
        self._fingerprint = None

    @property
    def frame(self) -> pd.DataFrame:
        """The long table (built on each call; safe to modify)."""
        return long_frame(self._units, self._scores, self._columns)

    def __len__(self) -> int:
        return len(self._scores)

    def __repr__(self) -> str:
        counts = ", ".join(f"{d}: {self._unit_count(d)} units" for d in self.datasets())
        return f"Records({len(self)} rows; {counts or 'empty'})"

    @property
    def feature_columns(self) -> list:
        """Non-score columns carried from the files (URIEL distances, dataset features, indicators)."""
        return [c for c in self._columns if c not in _CORE and c not in _PROVENANCE]

    def datasets(self) -> list:
        """Dataset names in order of first appearance."""
        return list(pd.unique(self._units["dataset"]))

    def metrics(self, dataset: str) -> list:
        """Canonical metric names recorded for ``dataset``, in file order."""
        return list(dict.fromkeys(self._systems_of(self._mask(dataset))["metric"]))

    def models(self, dataset: str, metric: str) -> list:
        """``(model, setting)`` pairs scored in ``metric`` on ``dataset``, in file order."""
        systems = self._systems_of(self._mask(dataset, metric))
        return list(dict.fromkeys(zip(systems["model"], systems["setting"])))

    def _unit_count(self, dataset) -> int:
        return int((self._units["dataset"] == dataset).sum())

    def _first_rows(self) -> pd.DataFrame:
        """Unit key and provenance of each unit."""
        return self._units[list(UNIT_KEY) + list(_PROVENANCE)]

    def _systems_of(self, mask: np.ndarray) -> pd.DataFrame:
        """The systems (model, setting, metric) of the scores in ``mask``, in order of first appearance."""
        return self._scores.systems.iloc[pd.unique(self._scores.system[mask])]

    def _mask(self, dataset, metric=None) -> np.ndarray:
        """Which scores belong to ``dataset`` (and ``metric``); refuse an unknown one."""
        scores = self._scores
        mask = (self._units["dataset"] == dataset).to_numpy(dtype=bool, na_value=False)[scores.unit]
        if metric is not None:
            mask &= (scores.systems["metric"] == metric).to_numpy(dtype=bool, na_value=False)[scores.system]
        if not mask.any():
            if dataset not in self.datasets():
                raise RecordsError(f"no records for dataset {dataset!r}", hint=f"known datasets: {self.datasets()}")
            raise RecordsError(f"no records for metric {metric!r} of dataset {dataset!r}",
                               hint=f"known metrics for it: {self.metrics(dataset)}")
        return mask

    def wide(self, dataset: str, metric: str) -> pd.DataFrame:
        """One row per unit of ``dataset`` (file order): unit key, codes, the dataset's features,
        and ``{model}_{setting}`` / ``{model}_{setting}_se`` columns for ``metric``. Cached."""
        return self._wide(dataset, metric)[0].copy(deep=False)

    def wide_sources(self, dataset: str, metric: str) -> pd.DataFrame:
        """``source_file`` and ``source_row`` (the unit's first physical line, header = 1) of each row of
        ``wide(dataset, metric)``, in the same order."""
        units = self._wide(dataset, metric)[1]
        return self._units.iloc[units][list(_PROVENANCE)].reset_index(drop=True)

    def _wide(self, dataset, metric) -> tuple[pd.DataFrame, np.ndarray]:
        key = (dataset, metric)
        if key not in self._wide_cache:
            self._wide_cache[key] = self._build_wide(dataset, metric)
        return self._wide_cache[key]

    def _build_wide(self, dataset, metric) -> tuple[pd.DataFrame, np.ndarray]:
        """The wide frame and the units of its rows."""
        mask = self._mask(dataset, metric)
        unit, system = self._scores.unit[mask], self._scores.system[mask]
        units = pd.unique(unit)  # file order
        row = np.full(len(self._units), -1)
        row[units] = np.arange(len(units))
        systems = self._scores.systems
        name_code, names = pd.factorize((systems["model"] + "_" + systems["setting"]).to_numpy(dtype=object))
        present = pd.unique(name_code[system])  # file order
        column = np.full(len(names), -1)
        column[present] = np.arange(len(present))
        names = [names[c] for c in present]
        score = np.full((len(units), len(names)), np.nan)
        score_se = score.copy()
        score[row[unit], column[name_code[system]]] = self._scores.score[mask]
        score_se[row[unit], column[name_code[system]]] = self._scores.score_se[mask]
        rows = self._units.iloc[units]
        features = [c for c in self.feature_columns if rows[c].notna().any()]
        base = rows[list(UNIT_KEY) + ["source_code", "target_code"] + features].reset_index(drop=True)
        scores = pd.DataFrame(np.hstack([score, score_se]), columns=names + [f"{n}_se" for n in names])
        return pd.concat([base, scores], axis=1), units

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the table's content.

        Independent of row order, of column order, of provenance (``source_file``/``source_row``)
        and of feature columns that are entirely NaN; stable across runs and machines. Two
        Records with the same rows and values have the same fingerprint.
        """
        if self._fingerprint is None:
            features = sorted(used_columns(self._units, self._scores, self.feature_columns))
            self._fingerprint = fingerprint(self._units, self._scores, list(_CORE) + features)
        return self._fingerprint

    @staticmethod
    def concat(*parts: "Records") -> "Records":
        """Combine records; refuse a unit that appears in more than one part."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return Records(pd.DataFrame({c: [] for c in _CORE + _PROVENANCE}))
        if len(parts) > 1:
            _check_disjoint(parts)
        columns = list(_CORE) + _feature_order([p._columns for p in parts]) + list(_PROVENANCE)
        units, scores = combine([(p._units, p._scores) for p in parts], unit_columns(columns))
        dropped = pd.concat([p.dropped for p in parts], ignore_index=True)
        return Records._from_parts(units, scores, columns, dropped)

    def __add__(self, other: "Records") -> "Records":
        if not isinstance(other, Records):
            return NotImplemented
        return Records.concat(self, other)

    def __radd__(self, other):
        # lets sum(list_of_records) start from 0
        return self if other == 0 else NotImplemented


def unit_columns(columns: list) -> list:
    """The long table's ``columns`` that belong to a unit (all but model, setting, metric, score, score_se)."""
    return [c for c in columns if c not in SCORE_COLUMNS]


def _feature_order(column_lists) -> list:
    present = {c for columns in column_lists for c in columns if c not in _CORE and c not in _PROVENANCE}
    canonical = [c for c in _canonical_feature_order() if c in present]
    return canonical + sorted(present - set(canonical))


def _check_disjoint(parts) -> None:
    units = pd.concat([p._first_rows() for p in parts], ignore_index=True)
    unit_id = units.groupby(list(UNIT_KEY), sort=False, dropna=False).ngroup()
    clash = units[unit_id.duplicated(keep=False)]  # units are unique within a part, so across parts
    if clash.empty:
        return
    first, other = clash[unit_id[clash.index] == unit_id[clash.index[0]]].iloc[:2].itertuples()
    unit = ", ".join(quote(getattr(first, c)) for c in UNIT_KEY)
    raise RecordsError(
        f"duplicated unit ({unit}) when combining records: it is in {first.source_file} line "
        f"{first.source_row} and in {other.source_file} line {other.source_row}",
        path=other.source_file, line=int(other.source_row), column=",".join(UNIT_KEY),
        hint="load each record file once; a unit may come from one file only")
