"""The records store: one local SQLite file holding every score the plugin knows, imported or computed.

A *cell* is (task, metric, n-shot, setting) with its languages, family and dataset; a *record* is one model's score
in one cell, with its provenance (source file or run, lm-eval version, date, limit, stderr). The same file is the run
cache: a run's full lm-eval result is kept by its cache key, and its scores become records the moment it finishes.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path

from .. import _paths
from .._sqlite import SqliteFile
from .layouts import RecordsError

__all__ = ["STORE_FILE", "RecordsStore", "StoreWarning", "default_store_path"]

STORE_FILE = "records.sqlite3"
SCHEMA_VERSION = 1
STORE_ENV = "PROXYLM_RECORDS_DB"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, name TEXT NOT NULL, revision TEXT NOT NULL, "
    "UNIQUE(name, revision))",
    "CREATE TABLE IF NOT EXISTS factors (model TEXT NOT NULL, name TEXT NOT NULL, value TEXT, number REAL, "
    "source TEXT NOT NULL, PRIMARY KEY(model, name))",
    "CREATE TABLE IF NOT EXISTS cells (id INTEGER PRIMARY KEY, task TEXT NOT NULL, metric TEXT NOT NULL, "
    "n_shot INTEGER NOT NULL, setting TEXT NOT NULL, family TEXT, dataset TEXT, source_lang TEXT, target_lang TEXT, "
    "features TEXT, UNIQUE(task, metric, n_shot, setting))",
    "CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, path TEXT NOT NULL, "
    "kind TEXT NOT NULL, imported REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, model INTEGER NOT NULL, cell INTEGER NOT NULL, "
    "score REAL NOT NULL, stderr REAL, partial INTEGER NOT NULL, lim REAL, task_version TEXT, lm_eval_version TEXT, "
    "date REAL NOT NULL, source INTEGER NOT NULL, UNIQUE(model, cell, source))",
    "CREATE INDEX IF NOT EXISTS records_model_cell ON records(model, cell)",
    # covering: the matrix of a family reads (cell -> model, score, date) without touching the table
    "CREATE INDEX IF NOT EXISTS records_cell ON records(cell, partial, model, score, date)",
    "CREATE INDEX IF NOT EXISTS records_source ON records(source)",
    "CREATE INDEX IF NOT EXISTS cells_family ON cells(family)",
    "CREATE TABLE IF NOT EXISTS runs (digest TEXT PRIMARY KEY, key TEXT NOT NULL, result TEXT NOT NULL, "
    "created REAL NOT NULL)",
    # models x families, kept current by every write (records list reads it: fast on millions of records)
    "CREATE TABLE IF NOT EXISTS summary (model INTEGER NOT NULL, family TEXT NOT NULL, cells INTEGER NOT NULL, "
    "records INTEGER NOT NULL, conflicts INTEGER NOT NULL, PRIMARY KEY(model, family))",
)


class StoreWarning(UserWarning):
    """The store could not be used as it was (a damaged file set aside, a read-only file read only)."""


def default_store_path() -> Path:
    """``$PROXYLM_RECORDS_DB``, else ``<cache root>/records.sqlite3``."""
    import os

    configured = os.environ.get(STORE_ENV)
    return Path(configured) if configured else _paths.cache_root() / STORE_FILE


def _create(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit is atomic without an fsync of its own
    for statement in _SCHEMA:
        connection.execute(statement)
    connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    (schema,) = connection.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    if schema != str(SCHEMA_VERSION):
        raise sqlite3.DatabaseError(f"records store schema version {schema}, expected {SCHEMA_VERSION}")


class RecordsStore:
    """The store at ``path`` (default ``default_store_path()``), opened on first use.

    Writers: ``add_results`` (lm-eval results files), ``add_proxylm`` (ProxyLM's record files), ``put`` (a run, as
    the run cache), ``set_factors``, ``remove``. Readers: ``get`` (a run), ``models``, ``show``, ``long_table``,
    ``matrix``. Each file and each run is written in one transaction: a kill leaves the store as it was before it.
    """

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else default_store_path()
        self._db = SqliteFile(self.path, _create, what="records store", warning=StoreWarning)
        self._task_cells: dict = {}
        self._cells: dict = {}  # (task, metric, n-shot, setting) -> cell id

    # -- transactions --------------------------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        self._db.connection()
        return self._db.read_only

    def _write(self, fn):
        """Run ``fn(connection)`` in one immediate transaction (refused on a read-only store)."""
        if self.read_only:
            raise RecordsError(f"the records store {self.path} is read-only; nothing can be added or removed",
                               hint="make it writable, or pass --records with another store file")
        connection = self._db.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            out = fn(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            self._cells.clear()  # ids of cells made in this transaction are gone with it
            raise
        connection.execute("COMMIT")
        return out

    def query(self, sql: str, parameters=()) -> list:
        return self._db.execute(sql, parameters).fetchall()

    def close(self) -> None:
        self._db.close()

    # -- ids -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _model_id(connection, name: str, revision: str) -> int:
        connection.execute("INSERT OR IGNORE INTO models (name, revision) VALUES (?, ?)", (name, revision))
        return connection.execute("SELECT id FROM models WHERE name = ? AND revision = ?", (name, revision)).fetchone()[0]

    def _cell_id(self, connection, task, metric, n_shot, setting, family, dataset, source_lang, target_lang,
                 features=None) -> int:
        key = (task, metric, int(n_shot), setting)
        if key in self._cells:  # a cell, once made, never changes or goes
            return self._cells[key]
        connection.execute(
            "INSERT OR IGNORE INTO cells (task, metric, n_shot, setting, family, dataset, source_lang, target_lang, "
            "features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (task, metric, int(n_shot), setting, family, dataset, source_lang, target_lang,
             None if features is None else json.dumps(features, sort_keys=True)))
        self._cells[key] = connection.execute(
            "SELECT id FROM cells WHERE task = ? AND metric = ? AND n_shot = ? AND setting = ?", key).fetchone()[0]
        return self._cells[key]

    @staticmethod
    def _source_id(connection, digest: str, path: str, kind: str) -> int | None:
        """A new source's id, or None when that source (same digest) was imported already."""
        cursor = connection.execute("INSERT OR IGNORE INTO sources (digest, path, kind, imported) VALUES (?, ?, ?, ?)",
                                    (digest, path, kind, time.time()))
        if cursor.rowcount == 0:
            return None
        return connection.execute("SELECT id FROM sources WHERE digest = ?", (digest,)).fetchone()[0]

    @staticmethod
    def _set_factor(connection, model: str, name: str, value, source: str, *, keep_better: bool = True) -> None:
        """Set a factor; a parsed or counted value never replaces one from a results file or a factors file."""
        from .model_factors import PARAMS_SOURCES

        if keep_better:
            row = connection.execute("SELECT source FROM factors WHERE model = ? AND name = ?", (model, name)).fetchone()
            rank = {s: i for i, s in enumerate(PARAMS_SOURCES)}
            if row is not None and rank.get(row[0], 9) < rank.get(source, 9):
                return
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        connection.execute("INSERT OR REPLACE INTO factors VALUES (?, ?, ?, ?, ?)",
                           (model, name, None if value is None else str(value), number, source))

    @staticmethod
    def _refresh_summary(connection, models) -> None:
        """Recount the models x families summary of ``models`` (ids), inside the write that changed them."""
        models = sorted(set(models))
        for start in range(0, len(models), 500):
            chunk = models[start:start + 500]
            marks = ",".join("?" * len(chunk))
            connection.execute(f"DELETE FROM summary WHERE model IN ({marks})", chunk)
            connection.execute(
                "INSERT INTO summary SELECT model, family, count(*), sum(n), sum(k > 1) FROM (SELECT r.model AS model, "
                "COALESCE(c.family, '') AS family, count(*) AS n, count(DISTINCT r.score) AS k FROM records r "
                f"JOIN cells c ON c.id = r.cell WHERE r.model IN ({marks}) GROUP BY r.model, r.cell) "
                "GROUP BY model, family", chunk)

    # -- the run cache -------------------------------------------------------------------------------------------
    def describe_tasks(self, cells: dict) -> None:
        """Tell the store, before runs, each task's cell: ``{task: {"family", "dataset", "source_lang", ...}}``."""
        self._task_cells.update(cells)

    def get(self, key) -> dict | None:
        """The result stored for a run's cache ``key``; else one rebuilt from *imported* records of the same model,
        revision, task, task version, n-shot and limit (a results file), so that nothing is computed twice.

        The plugin's own runs are found by their whole key only (their config and documents included), so that a
        run on changed task data is never served from an older one."""
        rows = self.query("SELECT result FROM runs WHERE digest = ?", (key.digest(),))
        if rows:
            return json.loads(rows[0][0])
        name, revision = _run_model(key)
        found = self.query(
            "SELECT c.metric, r.score, r.stderr FROM records r JOIN models m ON m.id = r.model "
            "JOIN cells c ON c.id = r.cell JOIN sources s ON s.id = r.source WHERE s.kind != 'run' AND m.name = ? "
            "AND m.revision IN (?, ?) AND c.task = ? AND c.n_shot = ? AND c.setting = '' AND r.task_version IS ? AND r.lim IS ? "
            "ORDER BY r.date, r.id",
            (name, revision, "main" if revision == "" else revision, key.task, int(key.num_fewshot or 0),
             key.task_version, key.limit))
        if not found:
            return None
        metrics = {}
        for metric, score, stderr in found:  # the latest record of each metric wins
            metrics[f"{metric},none" if "," not in metric else metric] = score
            if stderr is not None:
                metrics[f"{metric}_stderr,none" if "," not in metric else metric.replace(",", "_stderr,", 1)] = stderr
        return {"metrics": metrics, "n_samples": None, "version": key.task_version}

    def run_count(self) -> int:
        """How many runs the store keeps as the run cache."""
        return self.query("SELECT count(*) FROM runs")[0][0]

    def put(self, key, result: dict) -> None:
        """Keep a run's result under its cache key and store each of its scores as a record, in one transaction."""
        if self.read_only:
            return  # the SqliteFile warned that nothing new is kept
        described = self._task_cells.get(key.task, {})

        def write(connection):
            connection.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
                               (key.digest(), json.dumps(asdict(key), sort_keys=True),
                                json.dumps(result, sort_keys=True, default=str), time.time()))
            source = self._source_id(connection, f"run:{key.digest()}", f"run {key.model} on {key.task}", "run")
            if source is None:
                return
            model = self._model_id(connection, *_run_model(key))
            for metric, score, stderr in _run_scores(result.get("metrics", {})):
                cell = self._cell_id(connection, key.task, metric, key.num_fewshot or 0, "", described.get("family"),
                                     described.get("dataset"), described.get("source_lang"),
                                     described.get("target_lang"))
                connection.execute(
                    "INSERT OR IGNORE INTO records (model, cell, score, stderr, partial, lim, task_version, "
                    "lm_eval_version, date, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (model, cell, score, stderr, int(key.limit is not None), key.limit, key.task_version,
                     key.lm_eval_version, time.time(), source))
            self._refresh_summary(connection, [model])
        self._write(write)

    def __len__(self) -> int:
        return self.query("SELECT count(*) FROM records")[0][0]

    def clear(self) -> int:
        """Forget every run (the run cache) and the records they made; imported records stay. Returns the runs."""
        count = self.run_count()

        def write(connection):
            touched = [m for (m,) in connection.execute(
                "SELECT DISTINCT model FROM records WHERE source IN (SELECT id FROM sources WHERE kind = 'run')")]
            connection.execute("DELETE FROM records WHERE source IN (SELECT id FROM sources WHERE kind = 'run')")
            self._refresh_summary(connection, touched)
            connection.execute("DELETE FROM sources WHERE kind = 'run'")
            connection.execute("DELETE FROM runs")
        self._write(write)
        return count

    def has_factor(self, model: str, name: str) -> bool:
        return bool(self.query("SELECT 1 FROM factors WHERE model = ? AND name = ?", (model, name)))

    def note_factor(self, model: str, name: str, value, source: str) -> None:
        """Record one factor of ``model`` (e.g. its size counted from its config) unless a better source gave it."""
        if value is None or self.read_only:
            return
        self._write(lambda connection: self._set_factor(connection, model, name, value, source))

    # -- the verbs (see store_import and store_views) -------------------------------------------------------------
    def add(self, paths, *, model_name: str | None = None):
        """Import lm-eval results files and ProxyLM record files (files or folders); returns an ``ImportReport``."""
        from .store_import import add_paths

        return add_paths(self, paths, model_name=model_name)

    def set_factors(self, path) -> int:
        """Model factors from a CSV (``model,params_b,family[,...]``); returns the number of models."""
        from .store_import import set_factors

        return set_factors(self, path)

    def remove(self, model: str | None = None, *, source=None) -> int:
        """Remove a model's records, or every record a source file gave; returns how many were removed."""
        from .store_import import remove

        return remove(self, model, source=source)

    def list(self):
        """Models x families: cells known, records, conflicts (a DataFrame)."""
        from .store_views import list_models

        return list_models(self)

    def show(self, model: str):
        """A model's cells and scores (a DataFrame)."""
        from .store_views import show_model

        return show_model(self, model)

    def export(self):
        """Every record as one tidy long table (a DataFrame)."""
        from .store_views import long_table

        return long_table(self)

    def matrix(self, **selection):
        """The models x cells matrix with model factors and cell information (see ``store_views.matrix``)."""
        from .store_views import matrix

        return matrix(self, **selection)


def _run_model(key) -> tuple[str, str]:
    """A run's model as the store names it: a local folder by its digest (as an import names it), else its hub id."""
    if str(key.revision).startswith("local:"):
        return key.revision, ""
    return key.model, "" if key.revision == "main" else key.revision


def _run_scores(metrics: dict):
    """(metric, score, stderr) of an lm-eval result's numeric metrics (``acc,none`` -> ``acc``)."""
    from .results_files import metric_keys

    for key, value in metrics.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or key == "alias":
            continue
        metric, stderr_key = metric_keys(key)
        if metric.split(",")[0].endswith("_stderr"):
            continue
        stderr = metrics.get(stderr_key)
        yield metric, float(value), float(stderr) if isinstance(stderr, (int, float)) else None
