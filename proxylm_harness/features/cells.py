"""Features of the cells of a records matrix (a cell: one task x metric x n-shot x setting, with its languages), the
one function every completion estimator reads them through, at fitting and estimating time alike.

Columns, each named for the factor group it belongs to (``cell_feature_group``):

- ``task=<family>``: the cell's task family, one-hot, when the cells span more than one family (group ``task``);
- the cell's own ``features`` (ProxyLM's dataset features and lang2vec distances; ``doc_*`` document features of
  runs): group ``typology`` for a distance, ``document`` for the rest;
- ``uriel_<kind>``: the six URIEL+ distances between the cell's languages (group ``typology``). A family whose
  cells pair different languages (translation, cross-lingual transfer) uses (source, target); a family whose
  cells each test one language (xnli_sw) uses (language, English), as a monolingual cell's distance to itself
  would say nothing. A language URIEL+ does not know gives NaN (the estimators impute the column mean).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..languages.typology import DISTANCE_KINDS

__all__ = ["CELL_FEATURE_GROUPS", "REFERENCE_LANGUAGE", "cell_feature_frame", "cell_feature_group",
           "unknown_languages"]

CELL_FEATURE_GROUPS = ("task", "typology", "document")
REFERENCE_LANGUAGE = "eng"
URIEL_PREFIX = "uriel_"


def cell_feature_group(name: str) -> str:
    """``task``, ``typology`` or ``document``: the factor group of a cell-feature column."""
    if name.startswith("task="):
        return "task"
    if name in DISTANCE_KINDS or name.startswith(URIEL_PREFIX):
        return "typology"
    return "document"


def _language_pairs(cells: pd.DataFrame, reference: str) -> list:
    family = cells["family"].fillna("").astype(str) if "family" in cells else pd.Series("", index=cells.index)
    source, target = cells["source_lang"], cells["target_lang"]
    crosslingual = {f for f, s, t in zip(family, source, target) if s != t and pd.notna(s) and pd.notna(t)}
    pairs = []
    for f, s, t in zip(family, source, target):
        language = t if pd.notna(t) else s
        pairs.append((s, t) if f in crosslingual else (language, reference))
    return pairs


def _uriel_frame(cells: pd.DataFrame, typology, reference: str) -> pd.DataFrame:
    from ..languages.codes import normalize

    pairs = _language_pairs(cells, reference)
    known, index = [], []
    for i, (a, b) in enumerate(pairs):
        try:
            known.append((normalize(str(a)), normalize(str(b))))
            index.append(i)
        except ValueError:  # an unknown or missing code: no distance
            continue
    out = np.full((len(pairs), len(DISTANCE_KINDS)), math.nan)
    if known:
        if typology is None:
            from ..languages.typology import Typology

            typology = Typology()
        out[index] = typology.distance_frame(known, errors="nan").to_numpy(dtype=float)
    return pd.DataFrame(out, index=cells.index, columns=[URIEL_PREFIX + k for k in DISTANCE_KINDS])


def cell_feature_frame(cells: pd.DataFrame, *, typology=None, reference: str = REFERENCE_LANGUAGE,
                       uriel: bool = True) -> pd.DataFrame:
    """Numeric features of ``cells`` (a ``RecordsMatrix.cells`` frame: ``family``, ``source_lang``,
    ``target_lang``, ``features`` dicts), one row per cell, same index; NaN where a value is unknown.

    ``typology``: a ``languages.Typology`` (default: a new one, with its disk cache); ``uriel=False`` leaves the
    URIEL+ distances out.
    """
    parts = []
    if "family" in cells and cells["family"].nunique(dropna=True) > 1:
        family = cells["family"].fillna("?").astype(str)
        parts.append(pd.get_dummies(family, prefix="task", prefix_sep="=", dtype=float))
    if "features" in cells:
        own = pd.DataFrame([f if isinstance(f, dict) else {} for f in cells["features"]], index=cells.index)
        own = own.apply(pd.to_numeric, errors="coerce").astype(float)
        parts.append(own.loc[:, sorted(own.columns)])
    if uriel and {"source_lang", "target_lang"} <= set(cells.columns) and len(cells):
        parts.append(_uriel_frame(cells, typology, reference))
    if not parts:
        return pd.DataFrame(index=cells.index)
    return pd.concat(parts, axis=1)


def unknown_languages(cells: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """Per cell, the languages URIEL+ gave no distance for (every ``uriel_*`` column NaN), as text ("" if none)."""
    columns = [c for c in frame.columns if c.startswith(URIEL_PREFIX)]
    if not columns:
        return pd.Series("", index=cells.index)
    missing = frame[columns].isna().all(axis=1)
    text = [", ".join(sorted({str(x) for x in (s, t) if pd.notna(x)})) if miss else ""
            for miss, s, t in zip(missing, cells.get("source_lang", [None] * len(cells)),
                                  cells.get("target_lang", [None] * len(cells)))]
    return pd.Series(text, index=cells.index)
