"""Models the plugin knows by name: ProxyLM's targets and proxies, with their hub ids, sizes and families."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KNOWN_MODELS", "KnownModel", "hub_id", "model_key"]


@dataclass(frozen=True)
class KnownModel:
    """A model named in ProxyLM's records (``name``), the hub id it is, its size (billions) and its family."""

    name: str
    hub_id: str
    params_b: float
    family: str


KNOWN_MODELS = {m.name: m for m in (
    KnownModel("m2m100", "facebook/m2m100_1.2B", 1.2, "m2m100"),
    KnownModel("nllb", "facebook/nllb-200-1.3B", 1.3, "nllb"),
    KnownModel("small100", "alirezamsh/small100", 0.33, "m2m100"),
    KnownModel("trfm", "proxylm/transformer-from-scratch", 0.1, "transformer"),
    KnownModel("aya", "CohereForAI/aya-23-8B", 8.0, "aya"),
    KnownModel("llama3", "meta-llama/Meta-Llama-3-8B-Instruct", 8.0, "llama"),
    KnownModel("smollm_135m", "HuggingFaceTB/SmolLM-135M", 0.135, "smollm"),
    KnownModel("smollm_360m", "HuggingFaceTB/SmolLM-360M", 0.36, "smollm"),
    KnownModel("bloomz_560m", "bigscience/bloomz-560m", 0.56, "bloom"),
)}


def hub_id(name: str) -> str:
    """The hub id of a records name (``m2m100`` -> ``facebook/m2m100_1.2B``); other names as they are."""
    known = KNOWN_MODELS.get(name)
    return known.hub_id if known else name


def model_key(name: str, revision: str) -> str:
    """A model as the records store's views name it: ``name``, with ``@revision`` unless that is ``main`` or empty."""
    return name if revision in ("", "main") else f"{name}@{revision}"
