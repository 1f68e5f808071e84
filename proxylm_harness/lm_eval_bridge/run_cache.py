"""The key of a model run: everything that decides a model's score on a task. The runs themselves are kept in the
records store (``proxylm_harness.records.RecordsStore``), which is the run cache: ``get(key)`` / ``put(key, result)``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

__all__ = ["CacheKey", "config_hash"]

def config_hash(config: dict) -> str:
    """SHA-256 of a task's (or model's) configuration, independent of key order."""
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """Everything that decides a proxy's score on a task."""

    model: str
    revision: str
    model_args: str
    task: str
    task_version: str
    task_hash: str
    num_fewshot: int | None
    limit: float | None
    seed: str
    lm_eval_version: str

    def digest(self) -> str:
        return config_hash(asdict(self))
