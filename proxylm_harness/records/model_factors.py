"""Model identity and design factors (CPP's): a model is its hub id (or a local folder's digest) plus revision; its
factors are its size in billions of parameters, its family, and whatever further columns a user gives."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .._io import folder_digest
from .layouts import RecordsError

__all__ = ["ModelRef", "family_from_name", "model_ref", "params_from_name", "read_factors_csv"]

#: Where a parameter count came from, most trusted first.
PARAMS_SOURCES = ("results", "factors", "known", "config", "parsed")

_SIZE = re.compile(r"(?<![a-z0-9])(\d+(?:[._]\d+)?)([bm])(\d+)?(?![a-z])", re.IGNORECASE)


@dataclass(frozen=True)
class ModelRef:
    """A model as the store knows it: ``name`` (hub id, or ``local:<digest>`` of a folder) and ``revision``."""

    name: str
    revision: str = ""


def model_ref(model_args, *, name_override: str | None = None) -> ModelRef:
    """The model of a results file's ``model_args`` (``"pretrained=org/name,revision=abc"`` or a dict).

    A local folder that exists is named by a digest of its files (names, sizes, times), as the run cache names it,
    so two copies of one model are one model; ``name_override`` (``--model-name``) replaces the name.
    """
    args = _parse_args(model_args)
    pretrained = str(args.get("pretrained") or args.get("model") or args.get("path") or "").strip()
    revision = str(args.get("revision") or "").strip()
    if name_override:
        return ModelRef(name_override, revision)
    if not pretrained:
        raise ValueError("model_args names no model (no pretrained=...)")
    folder = Path(pretrained)
    if folder.is_dir():
        return ModelRef(folder_digest(folder), revision)
    return ModelRef(pretrained.rstrip("/"), revision)


def _parse_args(model_args) -> dict:
    if isinstance(model_args, dict):
        return model_args
    text = str(model_args or "").strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    out = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key.strip():
            out[key.strip()] = value.strip()
    return out


def params_from_name(name: str) -> float | None:
    """Billions of parameters read from a model name: ``bloom-7b1`` 7.1, ``xglm-564M`` 0.564, ``llama-30B`` 30.

    >>> params_from_name("bigscience/bloom-560m"), params_from_name("facebook/xglm-2.9B"), params_from_name("gpt2")
    (0.56, 2.9, None)
    """
    base = name.rsplit("/", 1)[-1]
    found = None
    for match in _SIZE.finditer(base):
        number, unit, tail = match.groups()
        value = float(number.replace("_", "."))
        if tail:  # 7b1 = 7.1 B
            value = float(f"{number}.{tail}")
        found = value if unit.lower() == "b" else value / 1000
    return None if found is None else round(found, 6)


def family_from_name(name: str) -> str | None:
    """The family a model name says: the words of its base name before the first word holding a digit (None when
    the name starts with a number, as a folder named ``7B`` does).

    >>> family_from_name("bigscience/bloom-7b1"), family_from_name("Qwen/Qwen2.5-7B"), family_from_name("mpt-7b")
    ('bloom', 'qwen', 'mpt')
    """
    base = name.rsplit("/", 1)[-1].lower()
    first, *rest = re.split(r"[-_.]", base)
    if not first or first[0].isdigit():  # a folder named by its size (.../LLaMA/7B): no family to read
        return None
    words = [re.sub(r"\d+$", "", first) or first]  # qwen2 -> qwen, m2m100 -> m2m
    for word in rest:
        if any(ch.isdigit() for ch in word):
            break
        words.append(word)
    return "-".join(words)


def read_factors_csv(path) -> list[dict]:
    """Rows of a factors file: columns ``model,params_b,family`` and any further ones (numeric or categorical)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RecordsError(f"cannot read the factors file ({error})", path=path,
                           hint="a UTF-8 CSV with columns model,params_b,family[,...]") from None
    columns = list(rows[0]) if rows else []
    missing = [c for c in ("model", "params_b", "family") if c not in columns]
    if missing:
        raise RecordsError(f"the factors file lacks column(s) {missing}", path=path, line=1, column=missing[0],
                           hint="the header is model,params_b,family, then any further factor columns")
    out = []
    for line, row in enumerate(rows, start=2):
        if not (row.get("model") or "").strip():
            raise RecordsError("the model cell is empty", path=path, line=line, column="model",
                               hint="name the model by its hub id, e.g. bigscience/bloom-7b1")
        try:
            params = float(row["params_b"]) if (row["params_b"] or "").strip() else None
        except ValueError:
            raise RecordsError(f"params_b {row['params_b']!r} is not a number", path=path, line=line,
                               column="params_b", hint="billions of parameters, e.g. 7.1") from None
        if params is not None and not params > 0:
            raise RecordsError(f"params_b {params} is not positive", path=path, line=line, column="params_b",
                               hint="billions of parameters, e.g. 0.56")
        out.append({**{k: (v or "").strip() for k, v in row.items()}, "model": row["model"].strip(),
                    "params_b": params})
    return out
