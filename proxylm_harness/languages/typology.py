"""URIEL+ typological distances between languages (the six ProxyLM uses), computed offline and cached.

See ``Typology`` for exactly what is computed and how it differs from lang2vec.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import warnings
from importlib import metadata
from pathlib import Path

from .. import _paths
from .._io import write_text
from . import codes as languages

__all__ = ["DISTANCE_KINDS", "Typology", "UnknownTypologyError", "distances", "agreement"]

DISTANCE_KINDS = ("genetic", "geographic", "syntactic", "inventory", "phonological", "featural")

# Bump when the computation changes, so that old cache files are not reused.
_METHOD_VERSION = 1
_METHOD = "original_uriel;aggregation=U;metric=cosine;code=most-data-of-macro-or-member;btk=bbc"

# Collective or otherwise absent codes and the URIEL+ language that stands in for them.
_STAND_INS = {"btk": "bbc"}

# URIEL+ file index and feature-name prefix per kind (None: every feature of that file).
_KIND_SOURCE = {
    "genetic": (0, None),
    "geographic": (2, None),
    "syntactic": (1, "S_"),
    "inventory": (1, "INV_"),
    "phonological": (1, "P_"),
    "featural": (1, None),
}
_URIEL_FILES = ("family_features.npz", "features.npz", "geocoord_features.npz", "script_features.npz")


class UnknownTypologyError(ValueError):
    """A language that URIEL+ has no data for."""


def _urielplus_version() -> str:
    return metadata.version("urielplus")


def _import_urielplus():
    # urielplus calls logging.basicConfig(level=INFO) at import; undo that for the host program.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from urielplus import urielplus as module
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return module


@functools.lru_cache(maxsize=1)
def _load_urielplus():
    """URIEL+ over the original URIEL data (aggregation "U", cosine metric), wrapped in a _UrielIndex."""
    import numpy as np

    module = _import_urielplus()
    from urielplus.base_uriel import BaseURIEL

    package_dir = os.path.dirname(os.path.abspath(module.__file__))
    uriel = module.URIELPlus.__new__(module.URIELPlus)
    uriel.files = list(_URIEL_FILES)
    uriel.cur_dir = package_dir
    uriel.loaded_features = []
    for name in _URIEL_FILES:
        with np.load(os.path.join(package_dir, "database", "original_uriel", name), allow_pickle=False) as z:
            uriel.loaded_features.append({key: z[key] for key in z.files})
    uriel.feats = [f["feats"] for f in uriel.loaded_features]
    uriel.langs = [f["langs"] for f in uriel.loaded_features]
    uriel.data = [f["data"] for f in uriel.loaded_features]
    uriel.sources = [f["sources"] for f in uriel.loaded_features]
    BaseURIEL.__init__(uriel, uriel.feats, uriel.langs, uriel.data, uriel.sources)
    uriel.databases = uriel.imputation = uriel.querying = uriel
    uriel._refresh_indexes()
    uriel.set_aggregation("U")
    uriel.set_distance_metric("cosine")
    return _UrielIndex(uriel)


class _UrielIndex:
    """Per-language vectors from a URIELPlus instance; distances via URIEL+'s own distance function.

    Vectors are built once per language and kind, vectorised; the result equals ``new_distance``
    (a test checks this), which rebuilds them for every call (about 0.2 s per genetic distance).
    """

    def __init__(self, uriel):
        import numpy as np

        self.uriel = uriel
        self._positions = [{str(code): i for i, code in enumerate(langs)} for langs in uriel.langs]
        self._kind_masks = {}
        for kind, (file_index, prefix) in _KIND_SOURCE.items():
            feats = uriel.feats[file_index]
            self._kind_masks[kind] = np.array(
                [prefix is None or str(f).startswith(prefix) for f in feats], dtype=bool
            )
        self._vectors = {}

    def has_language(self, code: str) -> bool:
        return all(code in positions for positions in self._positions[:3])

    def vector(self, kind: str, code: str):
        """(values, known mask) of ``code`` for ``kind``, as URIEL+ aggregates them."""
        key = (kind, code)
        if key not in self._vectors:
            import numpy as np

            file_index, _ = _KIND_SOURCE[kind]
            rows = np.asarray(self.uriel.data[file_index][self._positions[file_index][code]], dtype=float)
            known = (rows != -1.0) & np.isfinite(rows)
            if rows.shape[1] == 1:
                values = rows[:, 0]
            elif kind == "geographic" or self.uriel.aggregation == "A":
                counts = known.sum(axis=1)
                values = np.where(counts > 0, np.where(known, rows, 0.0).sum(axis=1) / np.maximum(counts, 1), -1.0)
            else:
                values = np.where(known.any(axis=1), np.where(known, rows, -np.inf).max(axis=1), -1.0)
            mask = (rows != -1.0).any(axis=1) & self._kind_masks[kind]
            if kind == "genetic" and not (values[mask] > 0).any():
                mask = np.zeros_like(mask)  # no family-tree node at all: no genetic data
            self._vectors[key] = (values, mask)
        return self._vectors[key]

    def coverage(self, kind: str, code: str) -> int:
        values, mask = self.vector(kind, code)
        return int((values[mask] > 0).sum()) if kind == "genetic" else int(mask.sum())

    def distance(self, kind: str, a: str, b: str) -> float:
        values_a, mask_a = self.vector(kind, a)
        values_b, mask_b = self.vector(kind, b)
        shared = mask_a & mask_b
        if not shared.any():
            return math.nan
        return float(self.uriel._angular_distance(values_a[shared], values_b[shared]))


class Typology:
    """URIEL+ distances between languages, cached in memory and on disk.

    What is computed (urielplus 1.3.2, no network). ProxyLM took its distances from lang2vec, i.e. URIEL;
    URIEL+ ships that same URIEL knowledge base (``database/original_uriel``) and computes distances as
    ``new_distance`` does: for a pair, keep the features *both* languages have a value for, take the
    union (max) over URIEL's sources (geography: the mean), and compare the two vectors. Per kind:

    - genetic: the Glottolog family-tree membership vectors (3,718 ``F_`` nodes);
    - geographic: the 299 ``GC_`` features (one per reference point on the globe, from the language's
      distance to it), averaged over sources;
    - syntactic / phonological / inventory: the ``S_`` / ``P_`` / ``INV_`` typological features;
    - featural: all 289 typological features together.

    The metric is cosine distance (URIEL+'s ``distance_metric="cosine"``; lang2vec's definition), rounded to
    4 decimals by URIEL+. URIEL+'s default "angular" metric is a monotone transform of it. Differences
    from lang2vec: lang2vec used k-NN-imputed feature vectors and a great-circle geographic distance, so
    values differ in scale (geographic in particular is much smaller here); rank agreement is measured by
    ``agreement``. A kind is NaN when a language has no data of that kind (or the pair shares no feature).

    A language is looked up under its canonical ISO 639-3 code (``languages.normalize``) or its principal
    member (``zho``/``cmn``, ``mlg``/``plt``): per kind, whichever URIEL+ code has more data.
    NusaTranslation's collective ``btk`` (Batak) is looked up as Toba Batak (``bbc``), the largest Batak
    language. The URIEL+ data files are read in place, without pickle; URIEL+'s own constructor is
    bypassed because it copies them into the installed package and later runs may modify those copies.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Folder of the on-disk cache. Default: ``$PROXYLM_HARNESS_CACHE/typology`` if that variable is
        set, else ``~/.cache/proxylm-harness/typology``. URIEL+ is loaded on first use, not here.

    Examples
    --------
    >>> Typology().distances("de", "en")  # doctest: +SKIP
    {'genetic': 0.4557, 'geographic': 0.0024, 'syntactic': 0.1542, 'inventory': 0.2259, 'phonological': 0.1638, 'featural': 0.194}
    """

    def __init__(self, cache_dir=None):
        self.cache_dir = cache_dir
        self._memory = {}
        self._disk_loaded = False
        self._uriel = None

    # -- public -----------------------------------------------------------------------------------
    def distances(self, source: str, target: str) -> dict:
        """The six distances between two languages (any code ``languages.normalize`` accepts)."""
        return dict(self._lookup([(source, target)], errors="raise")[0])

    def distance_frame(self, pairs, errors: str = "raise"):
        """One row per (source, target) pair, columns ``DISTANCE_KINDS``, indexed by the pair.

        ``errors="nan"`` gives a row of NaN for a language URIEL+ has no data for instead of raising.
        """
        import pandas as pd

        if errors not in ("raise", "nan"):
            raise ValueError(f"errors must be 'raise' or 'nan'. Got {errors!r} instead.")
        pairs = [tuple(pair) for pair in pairs]
        rows = self._lookup(pairs, errors=errors)
        index = pd.MultiIndex.from_tuples(pairs, names=["source_lang", "target_lang"]) if pairs else None
        return pd.DataFrame(rows, index=index, columns=list(DISTANCE_KINDS), dtype=float)

    # -- internals --------------------------------------------------------------------------------
    def _cache_path(self) -> Path:
        folder = Path(self.cache_dir) if self.cache_dir is not None else _paths.typology_cache_dir()
        return folder / f"urielplus-{_urielplus_version()}-method{_METHOD_VERSION}.json"

    def _header(self) -> dict:
        return {"format": 1, "urielplus": _urielplus_version(), "method": _METHOD}

    def _read_disk(self, quiet: bool = False) -> dict:
        path = self._cache_path()
        if not path.exists():
            return {}
        try:
            with open(path, encoding="utf-8") as f:
                content = json.load(f)
            header = content["header"]
            if not isinstance(header, dict):
                raise ValueError("no header")
            if header != self._header():
                if not quiet:
                    warnings.warn(f"Ignoring typology cache {path} written by {header}; it will be rebuilt.", stacklevel=3)
                return {}
            return {
                key: {kind: (math.nan if value is None else float(value)) for kind, value in row.items()}
                for key, row in content["pairs"].items()
                if set(row) == set(DISTANCE_KINDS)
            }
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as err:
            if not quiet:
                warnings.warn(f"Ignoring unreadable typology cache {path} ({err}); it will be rebuilt.", stacklevel=3)
            return {}

    def _write_disk(self) -> None:
        path = self._cache_path()
        merged = self._read_disk(quiet=True)  # keep what another process may have added meanwhile
        merged.update(self._memory)
        content = {
            "header": self._header(),
            "pairs": {
                key: {kind: (None if math.isnan(v) else v) for kind, v in row.items()}
                for key, row in sorted(merged.items())
            },
        }
        try:
            write_text(path, json.dumps(content, indent=0, allow_nan=False))
        except OSError as err:
            warnings.warn(f"Could not write typology cache {path} ({err}); distances are kept in memory only.", stacklevel=3)

    def _index(self) -> _UrielIndex:
        if self._uriel is None:
            self._uriel = _load_urielplus()
        return self._uriel

    def _uriel_codes(self, canonical: str, given: str) -> dict:
        """URIEL+ code to use for each kind: the canonical code or its principal member, whichever has more data."""
        index = self._index()
        candidates = [_STAND_INS.get(c, c) for c in languages.equivalent_codes(canonical)]
        candidates = [c for c in candidates if index.has_language(c)]
        if not candidates:
            raise UnknownTypologyError(
                f"URIEL+ has no data for language {given!r} (ISO 639-3 {canonical!r}). Hint: check the "
                "code with proxylm_harness.languages.normalize, or leave this language's typology features out."
            )
        return {
            kind: max(candidates, key=lambda c: (index.coverage(kind, c), c == candidates[0]))
            for kind in DISTANCE_KINDS
        }

    def _compute(self, a: str, b: str, given: tuple) -> dict:
        index = self._index()
        codes_a = self._uriel_codes(a, given[0])
        codes_b = self._uriel_codes(b, given[1])
        return {kind: index.distance(kind, codes_a[kind], codes_b[kind]) for kind in DISTANCE_KINDS}

    def _lookup(self, pairs, errors: str) -> list:
        keyed = []
        for source, target in pairs:
            given = {languages.normalize(source): source, languages.normalize(target): target}
            a, b = sorted((languages.normalize(source), languages.normalize(target)))
            keyed.append((f"{a}|{b}", a, b, (given[a], given[b])))
        if not self._disk_loaded and any(key not in self._memory for key, *_ in keyed):
            self._memory = {**self._read_disk(), **self._memory}
            self._disk_loaded = True
        missing_row = {kind: math.nan for kind in DISTANCE_KINDS}
        rows, added = [], False
        for key, a, b, given in keyed:
            if key not in self._memory:
                try:
                    self._memory[key] = self._compute(a, b, given)
                    added = True
                except UnknownTypologyError:
                    if errors == "raise":
                        if added:
                            self._write_disk()
                        raise
                    rows.append(dict(missing_row))
                    continue
            rows.append(dict(self._memory[key]))
        if added:
            self._write_disk()
        return rows


_default_typology = None


def distances(source: str, target: str) -> dict:
    """The six URIEL+ distances between two languages, using a shared default ``Typology``."""
    global _default_typology
    if _default_typology is None:
        _default_typology = Typology()
    return _default_typology.distances(source, target)


def agreement(frame, typology: Typology | None = None) -> dict:
    """How well URIEL+'s distances agree with the lang2vec distances in a ProxyLM record frame.

    ``frame`` needs ``source_lang``, ``target_lang`` and the ``DISTANCE_KINDS`` columns. Pairs are
    deduplicated as unordered pairs of ``languages.normalize`` codes (the distances are symmetric) and
    same-language pairs are left out (0 on both sides). Returns, per kind: ``pearson``, ``spearman``,
    ``n`` (pairs compared) and ``n_skipped`` (pairs without a URIEL+ value: a language URIEL+ does not
    know, or no data of that kind).
    """
    import numpy as np
    from scipy import stats

    missing = [c for c in ("source_lang", "target_lang", *DISTANCE_KINDS) if c not in frame.columns]
    if missing:
        raise ValueError(f"agreement needs columns {missing} in the frame. Got columns {list(frame.columns)}.")
    typology = typology if typology is not None else Typology()
    reference = {}
    for row in frame[["source_lang", "target_lang", *DISTANCE_KINDS]].itertuples(index=False):
        a, b = sorted((languages.normalize(row[0]), languages.normalize(row[1])))
        if a != b and (a, b) not in reference:
            reference[(a, b)] = row[2:]
    pairs = list(reference)
    ours = typology.distance_frame(pairs, errors="nan")
    theirs = np.array([reference[p] for p in pairs], dtype=float).reshape(len(pairs), len(DISTANCE_KINDS))
    result = {}
    for j, kind in enumerate(DISTANCE_KINDS):
        x = theirs[:, j]
        y = ours[kind].to_numpy(dtype=float)
        ok = ~np.isnan(x) & ~np.isnan(y)
        enough = ok.sum() >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0
        result[kind] = {
            "pearson": float(stats.pearsonr(x[ok], y[ok])[0]) if enough else math.nan,
            "spearman": float(stats.spearmanr(x[ok], y[ok])[0]) if enough else math.nan,
            "n": int(ok.sum()),
            "n_skipped": int((~ok).sum()),
        }
    return result
