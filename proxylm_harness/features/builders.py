"""The one code path that turns rows (records or proxy runs) into a feature matrix, at training and prediction time.

Changing how a feature family is computed: write ``fn(rows, spec, context) -> DataFrame`` returning the spec's
columns of that family, decorate it with ``@register_feature_kind("name")`` and list it under the spec's
``kinds``; ``build_features`` keeps exactly ``spec.columns``, in order. A feature that cannot be computed fails
here, naming which and why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..families import get_family
from .._registry import Registry, did_you_mean
from ..languages.typology import DISTANCE_KINDS
from .spec import IDENTIFIER_COLUMNS, KEY_COLUMNS, KEY_PREFIX, FeatureError, FeatureSpec

__all__ = ["FEATURE_KINDS", "build_features", "default_spec", "register_feature_kind", "target_values",
           "unknown_typology"]

#: Feature kinds by name: ``fn(rows, spec, context) -> DataFrame`` of the spec's columns of that kind.
FEATURE_KINDS = Registry("feature kind", error=FeatureError)


def register_feature_kind(name: str):
    """Decorator: register ``fn(rows, spec, context) -> DataFrame`` as a feature family."""
    return FEATURE_KINDS.register(name)


def _require(rows: pd.DataFrame, columns, what: str, hint: str) -> None:
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise FeatureError(f"Cannot compute {what} {missing}: the rows have no such column(s). {hint}")


def _numeric(rows: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    out = rows.loc[:, list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = out.isna() | np.isinf(out)
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        row = bad[col].to_numpy().nonzero()[0][0]
        label = rows.index[row]
        where = ""
        if "source_lang" in rows.columns and "target_lang" in rows.columns:
            where = f" ({rows['source_lang'].iloc[row]} -> {rows['target_lang'].iloc[row]})"
        value = out[col].iloc[row]
        problem = f"is {value} (not a finite number)" if np.isinf(value) else "is missing or not a number"
        raise FeatureError(
            f"{what} '{col}' {problem} in row {label}{where}. "
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
        from ..languages.typology import Typology

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
    parts = [FEATURE_KINDS.get(kind)(rows, spec, context) for kind in spec.kinds]
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=rows.index)
    return out.loc[:, spec.columns]


def unknown_typology(X: pd.DataFrame, spec: FeatureSpec) -> list[list[str]]:
    """Per row of a feature matrix, the spec's URIEL+ distances that are unknown (NaN) for the row's languages."""
    if not spec.typology:
        return [[] for _ in range(len(X))]
    missing = X.loc[:, list(spec.typology)].isna().to_numpy()
    return [[kind for kind, gap in zip(spec.typology, row) if gap] for row in missing]


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
        hint = did_you_mean(target_model, models)
        raise FeatureError(f"No {target_setting!r} scores of target model {target_model!r} in these records.{hint} "
                           f"Known: {models}.")
    if proxies is None:
        try:
            proxies = list(get_family(task_family).records_proxies)
        except ValueError as error:
            raise FeatureError(str(error)) from None
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
        keys = get_family(task_family).keys if collaborative else ()
    unknown = [k for k in keys if k not in KEY_COLUMNS]
    if unknown:
        raise FeatureError(f"Unknown collaborative key(s) {unknown}; known: {sorted(KEY_COLUMNS)}.")
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
