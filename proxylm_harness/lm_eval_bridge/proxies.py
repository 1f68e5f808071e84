"""Named proxy and target models: Hugging Face id, lm-eval backend, language-code convention, and record names."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from .._registry import Registry
from ..families import get_family
from ..known_models import hub_id

__all__ = ["PROXIES", "TARGETS", "ModelSpec", "ProxyError", "default_proxies", "parse_proxies", "target_record_name"]


class ProxyError(ValueError):
    """A proxy named on the command line is unknown or unusable."""


@dataclass(frozen=True)
class ModelSpec:
    """One model proxylm-eval can run.

    ``pretrained`` is the HF id (or a local folder given as ``name=PATH``); ``architecture`` is
    ``causal`` or ``seq2seq`` (encoder-decoder, run through lm-eval's HF ``seq2seq`` backend);
    ``language_codes`` is how the model names languages (``m2m100``: ``__xx__`` tokens with
    M2M100's codes, None: it is not told). ``record_name`` is the model's name in ProxyLM's records,
    so a predictor's proxy column (``small100_noft``) can be matched to a run of this model.
    """

    name: str
    pretrained: str
    architecture: str = "causal"
    language_codes: str | None = None
    record_name: str | None = None
    revision: str = "main"

    @property
    def local(self) -> bool:
        return Path(self.pretrained).exists()


#: Proxy models by name; which a task family runs by default is the family's ``proxies`` (``families``).
PROXIES = Registry("proxy", error=ProxyError)
for _spec in (
    ModelSpec("small100", hub_id("small100"), "seq2seq", "small100", "small100"),
    ModelSpec("smollm_135m", hub_id("smollm_135m"), "causal", None, "smollm_135m"),
    ModelSpec("smollm_360m", hub_id("smollm_360m"), "causal", None, "smollm_360m"),
    ModelSpec("bloomz_560m", hub_id("bloomz_560m"), "causal", None, "bloomz_560m"),
):
    PROXIES.register(_spec.name, _spec)

#: Target models of ProxyLM's records: record name -> HF id.
TARGETS = {name: hub_id(name) for name in ("m2m100", "nllb", "aya", "llama3")}


def target_record_name(target: str) -> str | None:
    """The records' name of a target given as a record name, an HF id or a local folder named like one."""
    lowered = target.lower().rstrip("/")
    for name, hub in TARGETS.items():
        if lowered in (name, hub.lower()) or lowered.endswith("/" + hub.lower().split("/")[-1]):
            return name
    return None


def default_proxies(family) -> list[ModelSpec]:
    """The proxies a task family (a ``TaskFamily`` or a registered family's name) runs by default: SMaLL-100 for
    translation; SmolLM-135M/360M and BLOOMZ-560M otherwise."""
    family = get_family(family) if isinstance(family, str) else family
    return [PROXIES[name] for name in family.proxies]


def _architecture_of(folder: Path) -> str:
    config = folder / "config.json"
    if not config.is_file():
        raise ProxyError(f"Proxy folder {folder} has no config.json. Hint: point at a saved Hugging Face model folder.")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ProxyError(f"{config} is not readable JSON ({error}).") from None
    return "seq2seq" if data.get("is_encoder_decoder") else "causal"


def parse_proxies(text: str | None) -> list[ModelSpec] | None:
    """Proxies from ``--proxies``: comma-separated ``NAME`` (registry) or ``NAME=PATH_OR_HF_ID`` entries.

    ``NAME=PATH`` overrides where a registry proxy is loaded from (a local copy); an unregistered
    ``NAME=PATH`` adds a proxy whose architecture is read from the folder's ``config.json``.
    None when ``text`` is empty (the family defaults apply).
    """
    if not text:
        return None
    out = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, equals, location = item.partition("=")
        name, location = name.strip(), location.strip()
        if equals and not location:
            raise ProxyError(f"--proxies {item!r} gives no path after '='. Hint: NAME=PATH (a local model folder or "
                             "an HF id), or the registry name alone.")
        if not name:
            raise ProxyError(f"--proxies {item!r} gives no name before '='. Hint: NAME=PATH, e.g. small100=/models/small100.")
        if name in PROXIES:
            spec = PROXIES[name]
            if location:
                architecture = _architecture_of(Path(location)) if Path(location).exists() else spec.architecture
                spec = replace(spec, pretrained=location, architecture=architecture)
        elif location:
            folder = Path(location)
            architecture = _architecture_of(folder) if folder.exists() else "causal"
            spec = ModelSpec(name, location, architecture, record_name=name)
        else:
            raise PROXIES.unknown(name, hint="Or give NAME=PATH for a local model.")
        if any(existing.name == spec.name for existing in out):
            raise ProxyError(f"Proxy {spec.name!r} is named twice in --proxies.")
        out.append(spec)
    return out or None
