"""How ``Records`` holds its table: one row per unit, a compact scores table, and the long table made on demand.

The long table repeats every unit column (codes, features, provenance) on each of a unit's scores (42 of them for
an MT560 unit); holding units and scores apart keeps a loaded file within a few times its size in memory. The
fingerprint is computed from the two tables, byte for byte as it would be from the long one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .layouts import UNIT_KEY, RecordsError

__all__ = ["SCORE_COLUMNS", "SYSTEM_COLUMNS", "Scores", "combine", "fingerprint", "long_frame", "split_long", "used_columns"]

SYSTEM_COLUMNS = ("model", "setting", "metric")
#: The long table's columns that vary within a unit; every other column belongs to the unit.
SCORE_COLUMNS = SYSTEM_COLUMNS + ("score", "score_se")


@dataclass(frozen=True)
class Scores:
    """The scores table: entry ``i`` is unit ``unit[i]``'s ``score[i]`` (and ``score_se[i]``) from system
    ``systems.iloc[system[i]]`` (a ``model``, ``setting``, ``metric`` row)."""

    unit: np.ndarray
    system: np.ndarray
    systems: pd.DataFrame
    score: np.ndarray
    score_se: np.ndarray

    def __len__(self) -> int:
        return len(self.score)


def long_frame(units: pd.DataFrame, scores: Scores, columns: list) -> pd.DataFrame:
    """The long table (one row per score, ``columns`` in order) of ``units`` and ``scores``."""
    data = {}
    for name in columns:
        if name in SYSTEM_COLUMNS:
            data[name] = scores.systems[name].array.take(scores.system)
        elif name in SCORE_COLUMNS:
            data[name] = getattr(scores, name)
        else:
            data[name] = units[name].array.take(scores.unit)
    return pd.DataFrame(data, columns=columns)


def split_long(frame: pd.DataFrame) -> tuple[pd.DataFrame, Scores]:
    """Units (in order of first appearance, by ``UNIT_KEY``) and scores of a long table (its rows in order)."""
    unit = frame.groupby(list(UNIT_KEY), sort=False, dropna=False).ngroup().to_numpy()
    system = frame.groupby(list(SYSTEM_COLUMNS), sort=False, dropna=False).ngroup().to_numpy()
    unit_columns = [c for c in frame.columns if c not in SCORE_COLUMNS]
    units = frame.iloc[_first_positions(unit)][unit_columns].reset_index(drop=True)
    _check_constant(frame, units, unit)
    systems = frame.iloc[_first_positions(system)][list(SYSTEM_COLUMNS)].reset_index(drop=True)
    scores = Scores(unit.astype(np.int32), system.astype(np.int32), systems,
                    frame["score"].to_numpy(), frame["score_se"].to_numpy())
    return units, scores


def _first_positions(group: np.ndarray) -> np.ndarray:
    return np.unique(group, return_index=True)[1] if len(group) else np.zeros(0, dtype=np.intp)


def _check_constant(frame, units, unit) -> None:
    for name in units.columns:
        left, right = frame[name].reset_index(drop=True), units[name].take(unit).reset_index(drop=True)
        same = left.eq(right).fillna(False).to_numpy(dtype=bool) | (left.isna() & right.isna()).to_numpy()
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            raise RecordsError(f"row {row} has another {name!r} than the unit's first row",
                               column=name, hint="every column but model, setting, metric, score and score_se "
                               "must be the same on all rows of a unit (UNIT_KEY)")


def combine(parts: list, unit_columns: list) -> tuple[pd.DataFrame, Scores]:
    """Units and scores of several ``(units, scores)`` parts, one after the other (units must be disjoint)."""
    if len(parts) == 1 and list(parts[0][0].columns) == unit_columns:
        return parts[0]
    units = pd.concat([u for u, _ in parts], ignore_index=True).reindex(columns=unit_columns)
    systems = pd.concat([s.systems for _, s in parts], ignore_index=True)
    code = systems.groupby(list(SYSTEM_COLUMNS), sort=False, dropna=False).ngroup().to_numpy().astype(np.int32)
    unit, system, offset, start = [], [], 0, 0
    for part_units, part in parts:
        unit.append(part.unit + np.int32(offset))
        system.append(code[start:start + len(part.systems)][part.system])
        offset, start = offset + len(part_units), start + len(part.systems)
    scores = Scores(np.concatenate(unit), np.concatenate(system),
                    systems.iloc[_first_positions(code)].reset_index(drop=True),
                    np.concatenate([s.score for _, s in parts]), np.concatenate([s.score_se for _, s in parts]))
    return units, scores


def fingerprint(units: pd.DataFrame, scores: Scores, names: list) -> str:
    """SHA-256 (hex) over the columns ``names`` of the long table, its rows sorted by their key.

    Each column contributes its name, then its values in row-key order: float64 bytes for a numeric column
    (one NaN, no -0.0), else its sorted distinct values and each row's code among them.
    """
    used_units = np.bincount(scores.unit, minlength=len(units)) > 0
    used_systems = np.bincount(scores.system, minlength=len(scores.systems)) > 0
    order = _row_order(units, scores)
    unit_of_row, system_of_row = scores.unit[order], scores.system[order]
    digest = hashlib.sha256()
    for name in names:
        digest.update(f"\x1e{name}\x1f".encode())
        if name in SYSTEM_COLUMNS:
            _hash_column(digest, scores.systems[name], used_systems, system_of_row)
        elif name in SCORE_COLUMNS:
            values = pd.Series(getattr(scores, name))
            _hash_column(digest, values, np.ones(len(values), dtype=bool), order)
        else:
            _hash_column(digest, units[name], used_units, unit_of_row)
    return digest.hexdigest()


def used_columns(units: pd.DataFrame, scores: Scores, names: list) -> list:
    """The unit columns among ``names`` with a value on at least one row of the long table."""
    used = np.bincount(scores.unit, minlength=len(units)) > 0
    return [c for c in names if units.loc[used, c].notna().any()]


def _row_order(units: pd.DataFrame, scores: Scores) -> np.ndarray:
    """Positions of the scores sorted by the long table's row key (``UNIT_KEY`` + model, setting, metric).

    Sorting units by their key and systems by theirs gives the same order as sorting the long rows by both,
    because a unit's key is unique; ties (one system twice in a unit) keep their order.
    """
    unit_rank = _ranks([_factorize(units[c])[0] for c in reversed(UNIT_KEY)], len(units))
    system_rank = _ranks([_factorize(scores.systems[c])[0] for c in reversed(SYSTEM_COLUMNS)], len(scores.systems))
    key = unit_rank[scores.unit] * max(len(scores.systems), 1) + system_rank[scores.system]
    return np.argsort(key, kind="stable")


def _ranks(keys: list, n: int) -> np.ndarray:
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.lexsort(keys) if n else np.zeros(0, dtype=np.intp)] = np.arange(n)
    return ranks


def _factorize(series: pd.Series):
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), uniques


def _hash_column(digest, series: pd.Series, used: np.ndarray, take: np.ndarray) -> None:
    """Feed ``digest`` the bytes of a long column whose row ``i`` holds ``series[take[i]]`` (``used``: the entries
    some row takes)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)[take] + 0.0  # + 0.0 turns -0.0 into 0.0
        values[np.isnan(values)] = np.nan  # one NaN bit pattern
        digest.update(np.ascontiguousarray(values, dtype="<f8"))
        return
    # distinct values among the rows only, as factorizing the long column would find them
    codes = np.full(len(series), -1, dtype=np.int64)
    used_codes, uniques = _factorize(series[used])
    codes[used] = used_codes
    digest.update("\x1f".join(map(str, uniques)).encode("utf-8") + b"\x1e")
    digest.update(np.ascontiguousarray(codes[take], dtype="<i8"))
