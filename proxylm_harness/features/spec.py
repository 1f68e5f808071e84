"""The feature spec: the ordered inputs of a predictor (proxies, URIEL distances, dataset features, keys), saved in its manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..languages.typology import DISTANCE_KINDS

#: Collaborative keys: each is a tuple of identifier columns joined into one category.
KEY_COLUMNS = {
    "run": ("source_lang", "target_lang", "train_dataset", "dataset_size"),
    "pair": ("source_lang", "target_lang"),
    "source_lang": ("source_lang",),
    "target_lang": ("target_lang",),
    "train_dataset": ("train_dataset",),
    "test_dataset": ("test_dataset",),
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
        from .builders import FEATURE_KINDS  # the kinds register themselves there

        for kind in self.kinds:
            FEATURE_KINDS.get(kind)

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
