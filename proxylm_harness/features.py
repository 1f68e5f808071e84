"""Feature specs and the one code path that turns rows (records or proxy runs) into a feature matrix.

A :class:`FeatureSpec` names, in order, every input a predictor uses: proxy scores, URIEL
distances, dataset features and the *collaborative keys* (identifiers such as the source language
whose training-set scores are target-encoded inside the predictor). :func:`build_features` is used
at training time and at prediction time alike; it refuses rows that lack a feature, naming it.

Changing how a feature family is computed: write ``fn(rows, spec, context) -> DataFrame`` returning
the spec's columns of that family, decorate it with ``@register_feature_kind("name")`` and list it
under the spec's ``kinds``; ``build_features`` keeps exactly ``spec.columns``, in order.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

import numpy as np
import pandas as pd

from .typology import DISTANCE_KINDS

#: Proxy models ProxyLM used per task family; the target's own zero-shot score is added for MT.
PROXIES_BY_FAMILY = {
    "translation": ("trfm_scratch", "small100_ft", "small100_noft"),
    "intent": ("smollm_135m_ft", "smollm_360m_ft", "bloomz_560m_ft"),
    "slot": ("smollm_135m_ft", "smollm_360m_ft", "bloomz_560m_ft"),
}

#: Collaborative keys: each is a tuple of identifier columns joined into one category.
KEY_COLUMNS = {
    "run": ("source_lang", "target_lang", "train_dataset", "dataset_size"),
    "pair": ("source_lang", "target_lang"),
    "source_lang": ("source_lang",),
    "target_lang": ("target_lang",),
    "train_dataset": ("train_dataset",),
    "test_dataset": ("test_dataset",),
}

#: Collaborative keys used by default, per task family (those the records can vary).
DEFAULT_KEYS = {
    "translation": ("run", "pair", "source_lang", "target_lang", "train_dataset", "test_dataset"),
    "intent": ("source_lang", "target_lang"),
    "slot": ("source_lang", "target_lang"),
}

IDENTIFIER_COLUMNS = ("source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset")
KEY_PREFIX = "key:"


class FeatureError(ValueError):
    """A feature the predictor needs cannot be computed for the given rows."""


@dataclass(frozen=True)
class FeatureSpec:
    """The ordered inputs of a predictor, saved in its manifest.

    Parameters
    ----------
    task_family : ``translation``, ``intent`` or ``slot``.
    target : the score column estimated, e.g. ``m2m100_ft`` (model ``m2m100``, fine-tuned).
    metric : the metric of every score column, e.g. ``spBLEU``.
    proxies : proxy score columns, e.g. ``("small100_ft", "small100_noft")``.
    typology : URIEL distance kinds used.
    typology_source : ``records`` (the distances stored in the rows, as ProxyLM did) or
        ``urielplus`` (computed from the language codes with URIEL+).
    dataset_features : dataset feature columns (sizes, vocabulary, overlaps...).
    keys : collaborative keys (names in ``KEY_COLUMNS``).
    contrasts : pairs ``(a, b)`` of proxies whose difference ``a-b`` is a feature (trees cannot
        form differences of two inputs themselves; the gain of a proxy from fine-tuning is one).
    """

    task_family: str
    target: str
    metric: str
    proxies: tuple[str, ...]
    typology: tuple[str, ...] = DISTANCE_KINDS
    typology_source: str = "records"
    dataset_features: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    contrasts: tuple[tuple[str, str], ...] = ()
    kinds: tuple[str, ...] = field(default=("dataset", "typology", "proxy", "contrast", "key"))

    def __post_init__(self):
        for name in ("proxies", "typology", "dataset_features", "keys", "kinds"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "contrasts", tuple(tuple(pair) for pair in self.contrasts))
        bad = [pair for pair in self.contrasts if len(pair) != 2 or not set(pair) <= set(self.proxies)]
        if bad:
            raise FeatureError(f"Contrasts must be pairs of the spec's proxies {list(self.proxies)}. Got {bad} instead.")
        if self.typology_source not in ("records", "urielplus"):
            raise FeatureError(
                f"The 'typology_source' of a FeatureSpec must be 'records' or 'urielplus'. "
                f"Got {self.typology_source!r} instead."
            )
        unknown = [k for k in self.typology if k not in DISTANCE_KINDS]
        if unknown:
            raise FeatureError(f"Unknown typology distance(s) {unknown}; known: {list(DISTANCE_KINDS)}.")
        unknown = [k for k in self.keys if k not in KEY_COLUMNS]
        if unknown:
            raise FeatureError(f"Unknown collaborative key(s) {unknown}; known: {sorted(KEY_COLUMNS)}.")
        for kind in self.kinds:
            _feature_kind(kind)

    @property
    def contrast_columns(self) -> list[str]:
        return [f"{a}-{b}" for a, b in self.contrasts]

    @property
    def numeric_columns(self) -> list[str]:
        """Numeric feature columns in matrix order (dataset, typology, proxies, contrasts)."""
        return [*self.dataset_features, *self.typology, *self.proxies, *self.contrast_columns]

    @property
    def key_columns(self) -> list[str]:
        return [KEY_PREFIX + k for k in self.keys]

    @property
    def columns(self) -> list[str]:
        return self.numeric_columns + self.key_columns

    def without(self, *names: str) -> "FeatureSpec":
        """A copy with the named features (any kind) removed."""
        drop = set(names)
        return FeatureSpec(
            **{
                **asdict(self),
                "proxies": tuple(c for c in self.proxies if c not in drop),
                "typology": tuple(c for c in self.typology if c not in drop),
                "dataset_features": tuple(c for c in self.dataset_features if c not in drop),
                "keys": tuple(c for c in self.keys if c not in drop),
                "contrasts": tuple(p for p in self.contrasts if not set(p) & drop and f"{p[0]}-{p[1]}" not in drop),
            }
        )

    def to_dict(self) -> dict:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        out["contrasts"] = [list(pair) for pair in self.contrasts]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSpec":
        names = {f.name for f in fields(cls)}
        extra = set(data) - names
        if extra:
            raise FeatureError(f"Feature spec has unknown field(s) {sorted(extra)}; known: {sorted(names)}.")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


_KINDS: dict[str, Callable] = {}


def register_feature_kind(name: str):
    """Decorator: register ``fn(rows, spec, context) -> DataFrame`` as a feature family."""

    def decorate(fn):
        _KINDS[name] = fn
        return fn

    return decorate


def _feature_kind(name: str) -> Callable:
    try:
        return _KINDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_KINDS), n=3)
        hint = f" Did you mean: {', '.join(map(repr, close))}?" if close else ""
        raise FeatureError(f"Unknown feature kind {name!r}.{hint} Known: {sorted(_KINDS)}.") from None


def _require(rows: pd.DataFrame, columns, what: str, hint: str) -> None:
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise FeatureError(f"Cannot compute {what} {missing}: the rows have no such column(s). {hint}")


def _numeric(rows: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    out = rows.loc[:, list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = out.isna()
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        row = bad[col].to_numpy().nonzero()[0][0]
        label = rows.index[row]
        where = ""
        if "source_lang" in rows.columns and "target_lang" in rows.columns:
            where = f" ({rows['source_lang'].iloc[row]} -> {rows['target_lang'].iloc[row]})"
        raise FeatureError(
            f"{what} '{col}' is missing or not a number in row {label}{where}. "
            f"A predictor cannot fill in its inputs; give a value for every row or use a spec without '{col}'."
        )
    return out


@register_feature_kind("dataset")
def _dataset_features(rows, spec, context):
    _require(rows, spec.dataset_features, "dataset feature(s)", "Compute them from the task documents first.")
    return _numeric(rows, spec.dataset_features, "Dataset feature")


@register_feature_kind("typology")
def _typology_features(rows, spec, context):
    if not spec.typology:
        return pd.DataFrame(index=rows.index)
    if spec.typology_source == "records":
        _require(rows, spec.typology, "URIEL distance(s)", "Use typology_source='urielplus' to compute them.")
        return _numeric(rows, spec.typology, "URIEL distance")
    _require(rows, ("source_lang", "target_lang"), "URIEL+ distances", "Rows need source_lang and target_lang.")
    typology = context.get("typology")
    if typology is None:
        from .typology import Typology

        typology = Typology()
    pairs = list(zip(rows["source_lang"], rows["target_lang"]))
    table = typology.distance_frame(sorted(set(pairs)), errors="nan")
    values = table.loc[pairs, list(spec.typology)].to_numpy(dtype=float)
    # URIEL+ lacks some kinds for some languages; the predictor's trees take NaN as "unknown".
    return pd.DataFrame(values, index=rows.index, columns=list(spec.typology))


@register_feature_kind("proxy")
def _proxy_features(rows, spec, context):
    _require(
        rows,
        spec.proxies,
        "proxy score(s)",
        "Run those proxy models on the task first (proxylm-eval does), or train a predictor without them.",
    )
    return _numeric(rows, spec.proxies, "Proxy score")


@register_feature_kind("contrast")
def _contrast_features(rows, spec, context):
    if not spec.contrasts:
        return pd.DataFrame(index=rows.index)
    proxies = _proxy_features(rows, spec, context)
    return pd.DataFrame({f"{a}-{b}": proxies[a] - proxies[b] for a, b in spec.contrasts}, index=rows.index)


@register_feature_kind("key")
def _key_features(rows, spec, context):
    out = {}
    for key in spec.keys:
        parts = KEY_COLUMNS[key]
        _require(rows, parts, f"collaborative key '{key}' from column(s)", "Rows need their identifier columns.")
        joined = rows[parts[0]].astype(str)
        for part in parts[1:]:
            joined = joined + "|" + rows[part].astype(str)
        out[KEY_PREFIX + key] = joined
    return pd.DataFrame(out, index=rows.index)


def build_features(rows: pd.DataFrame, spec: FeatureSpec, *, typology=None) -> pd.DataFrame:
    """The feature matrix for ``rows`` under ``spec``: numeric columns, then key columns (strings).

    The same function serves training (rows from the records store) and prediction (rows built
    from proxy runs), so a feature can never be computed two ways.
    """
    context = {"typology": typology}
    parts = [_feature_kind(kind)(rows, spec, context) for kind in spec.kinds]
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=rows.index)
    return out.loc[:, spec.columns]


def target_values(rows: pd.DataFrame, spec: FeatureSpec) -> np.ndarray:
    """The target column as floats, refusing missing values (named by row)."""
    _require(rows, [spec.target], "the target score", "The records hold no such model/setting for this metric.")
    return _numeric(rows, [spec.target], "Target score")[spec.target].to_numpy()


def _varies(wide: pd.DataFrame, columns) -> bool:
    """Whether the identifier columns exist, are filled and take more than one value together."""
    if not all(c in wide.columns and wide[c].notna().all() for c in columns):
        return False
    return len(wide.loc[:, list(columns)].drop_duplicates()) > 1


def default_spec(
    wide: pd.DataFrame,
    task_family: str,
    target_model: str,
    metric: str,
    *,
    typology_source: str = "records",
    collaborative: bool = True,
    contrasts: bool = True,
    proxies: tuple[str, ...] | None = None,
    target_setting: str = "ft",
    dataset_features: bool = True,
    keys: tuple[str, ...] | None = None,
) -> FeatureSpec:
    """ProxyLM's "all features" input set for ``target_model`` on a records table from ``Records.wide``.

    Proxies are ProxyLM's per family (plus the target's own zero-shot score where the records hold
    it); dataset features are every non-score, non-identifier column that varies; no other score of
    the target model is ever a feature. ``proxies``, ``target_setting`` (``ft`` or ``noft``: the
    target's fine-tuned or zero-shot score), ``dataset_features=False`` and ``keys`` narrow it, e.g. to
    a zero-shot predictor whose inputs an lm-eval run of pretrained proxies can supply.
    """
    target = f"{target_model}_{target_setting}"
    if target not in wide.columns:
        models = sorted(c[: -len("_ft")] for c in wide.columns if c.endswith("_ft"))
        close = difflib.get_close_matches(target_model, models, n=3)
        hint = f" Did you mean: {', '.join(map(repr, close))}?" if close else ""
        raise FeatureError(f"No {target_setting!r} scores of target model {target_model!r} in these records.{hint} "
                           f"Known: {models}.")
    if proxies is None:
        try:
            proxies = list(PROXIES_BY_FAMILY[task_family])
        except KeyError:
            raise FeatureError(f"Unknown task family {task_family!r}; known: {sorted(PROXIES_BY_FAMILY)}.") from None
        if f"{target_model}_noft" in wide.columns:
            proxies.append(f"{target_model}_noft")
    else:
        unknown = [p for p in proxies if p not in wide.columns]
        if unknown:
            known = sorted(c for c in wide.columns if c.endswith(("_ft", "_noft", "_scratch")))
            raise FeatureError(f"No proxy score column(s) {unknown} in these records. Known: {known}.")
        if target in proxies or f"{target_model}_ft" in proxies:
            raise FeatureError(f"A score of the target model {target_model!r} cannot be one of its own proxies.")
    proxies = [p for p in proxies if p in wide.columns and p != target]
    score_like = {c for c in wide.columns if c.endswith(("_ft", "_noft", "_scratch", "_se"))}
    skip = set(IDENTIFIER_COLUMNS) | {"dataset", "source_code", "target_code"} | score_like | set(DISTANCE_KINDS)
    features = ["dataset_size"] if wide.get("dataset_size") is not None and wide["dataset_size"].notna().all() else []
    for col in wide.columns:
        if col in skip or col in features:
            continue
        values = wide[col]
        if values.notna().all() and values.nunique() > 1:
            features.append(col)
    if "dataset_size" in features and wide["dataset_size"].nunique() <= 1:
        features.remove("dataset_size")
    if not dataset_features:
        features = []
    if keys is None:
        keys = DEFAULT_KEYS[task_family] if collaborative else ()
    keys = tuple(k for k in keys if _varies(wide, KEY_COLUMNS[k]))
    pairs = tuple((a, b) for i, a in enumerate(proxies) for b in proxies[i + 1:]) if contrasts else ()
    return FeatureSpec(
        task_family=task_family,
        target=target,
        metric=metric,
        proxies=tuple(proxies),
        typology=DISTANCE_KINDS,
        typology_source=typology_source,
        dataset_features=tuple(features),
        keys=keys,
        contrasts=pairs,
    )
