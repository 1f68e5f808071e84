"""The records table: one row per (experiment unit x model x setting x metric), its wide view and its fingerprint."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .layouts import _CORE, _DROPPED, _PROVENANCE, _ROW_KEY, UNIT_KEY, RecordsError, _canonical_feature_order

__all__ = ["Records"]

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

