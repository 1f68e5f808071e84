"""A local SQLite cache of proxy-model results, so a second identical run loads no model and a broken sweep resumes.

One row per (model, revision, backend arguments, task, task version, task config hash, n-shot, limit, seed,
lm-eval version), holding the task's lm-eval result dict as JSON. Every write is its own transaction in WAL
mode, so two processes can share a cache and an interrupted run keeps everything it finished.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import _paths
from .._sqlite import SqliteFile

__all__ = ["CacheError", "CacheKey", "CacheWarning", "ResultCache", "config_hash"]

SCHEMA_VERSION = 1
FILE_NAME = "proxy-results.sqlite3"


class CacheWarning(UserWarning):
    """The cache could not be used as it was (a corrupted file was set aside)."""


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


class CacheError(ValueError):
    """The cache cannot do what was asked (clear a read-only cache)."""


class ResultCache:
    """Proxy results stored in ``<cache_dir>/proxy-results.sqlite3``.

    ``get(key)`` returns the stored result dict or None; ``put(key, result)`` stores one (replacing an
    older one); ``clear()`` empties the cache. A file that is not a readable cache of this schema (or whose
    pages are damaged) is renamed to ``*.corrupt-<time>`` with a ``CacheWarning`` and a new cache is started, so
    that a broken file never stops a run (its results are recomputed). A read-only cache is read, never discarded;
    new results are then not kept (a ``CacheWarning`` says so).
    """

    def __init__(self, cache_dir=None):
        self.cache_dir = cache_dir
        self._db = SqliteFile(self.path, _create_schema, what="proxy-result cache", warning=CacheWarning)

    @property
    def path(self) -> Path:
        return Path(self.cache_dir if self.cache_dir is not None else _paths.results_cache_dir()) / FILE_NAME

    @property
    def read_only(self) -> bool:
        self._db.connection()
        return self._db.read_only

    def get(self, key: CacheKey) -> dict | None:
        row = self._db.execute("SELECT result FROM results WHERE digest = ?", (key.digest(),)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: CacheKey, result: dict) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
            (key.digest(), json.dumps(asdict(key), sort_keys=True), json.dumps(result, sort_keys=True, default=str),
             time.time()), write=True)

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM results").fetchone()[0]

    def clear(self) -> int:
        """Delete every stored result; returns how many there were. A damaged cache is set aside (0 returned)."""
        if self.read_only:
            raise CacheError(f"The proxy-result cache {self.path} is read-only, so it cannot be cleared. Hint: make it "
                             "writable, or pass --proxy_cache_dir with another folder.")
        (count,) = self._db.execute("SELECT count(*) FROM results").fetchone()
        self._db.execute("DELETE FROM results", write=True)
        return count

    def close(self) -> None:
        self._db.close()


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS results (digest TEXT PRIMARY KEY, key TEXT NOT NULL, "
        "result TEXT NOT NULL, created REAL NOT NULL)")
    connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    (schema,) = connection.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    if schema != str(SCHEMA_VERSION):
        raise sqlite3.DatabaseError(f"schema version {schema}, expected {SCHEMA_VERSION}")
