"""Writing to the records store: lm-eval results files and ProxyLM's record files imported (each file in one
transaction, a file imported twice adding nothing), model factors set, records removed."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from .._io import sha256_file
from ..known_models import KNOWN_MODELS
from .layouts import LAYOUTS, RecordsError
from .model_factors import family_from_name, params_from_name, read_factors_csv
from .results_files import find_results_files, read_file, read_results_file

__all__ = ["ImportReport", "add_paths", "remove", "set_factors"]


@dataclass
class ImportReport:
    """What an import did: files added (with their record counts), files skipped as already imported, bad files."""

    added: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    bad: list = field(default_factory=list)  # (path, one-line message)

    @property
    def records(self) -> int:
        return sum(self.added.values())


def add_paths(store, paths, *, model_name: str | None = None, progress=None) -> ImportReport:
    """Import every results file and ProxyLM record file among ``paths`` (files, or folders searched recursively).

    A bad file is listed in the report (the others are imported); ``progress(n)`` is called after each file.
    """
    report = ImportReport()
    files = _files(paths)
    if not files:
        raise RecordsError(f"no lm-eval results files or ProxyLM record files in {', '.join(map(str, paths))}",
                           hint="results files are results_<date>.json (or any JSON with a 'results' section); "
                                "ProxyLM's record files are *_experiments.csv")
    for path in files:
        try:
            added = _add_proxylm(store, path) if path.suffix == ".csv" else _add_results(store, path, model_name)
        except RecordsError as error:
            report.bad.append((path, str(error)))
        else:
            if added is None:
                report.skipped.append(path)
            else:
                report.added[path] = added
        if progress is not None:
            progress(1)
    return report


def _files(paths) -> list[Path]:
    out = []
    for path in map(Path, [paths] if isinstance(paths, (str, Path)) else paths):
        if path.is_dir():
            out += find_results_files(path) + sorted(p for p in path.rglob("*.csv") if p.is_file())
        elif path.exists():
            out.append(path)
        else:
            raise RecordsError("no such file or folder", path=path, hint="pass results files, folders or record files")
    return out


def _add_results(store, path: Path, model_name: str | None) -> int | None:
    raw = read_file(path)
    if _imported(store, hashlib.sha256(raw).hexdigest()):
        return None
    parsed = read_results_file(path, model_name=model_name, raw=raw)
    partial = int(parsed.limit is not None)

    def write(connection):
        source = store._source_id(connection, parsed.digest, str(path), "lm-eval results")
        if source is None:
            return None
        model = store._model_id(connection, parsed.model.name, parsed.model.revision)
        date = parsed.date if parsed.date is not None else time.time()  # an undated file counts from its import
        _parsed_factors(store, connection, parsed.model.name, parsed.params_b)
        rows = []
        for record in parsed.records:
            cell = store._cell_id(connection, record.task, record.metric, record.n_shot, "", record.family,
                                  record.dataset, record.source_lang, record.target_lang)
            rows.append((model, cell, record.score, record.stderr, partial, parsed.limit, record.task_version,
                         parsed.lm_eval_version, date, source))
        added = _insert_records(connection, rows)
        store._refresh_summary(connection, [model])
        return added
    return store._write(write)


def _insert_records(connection, rows: list) -> int:
    """Insert ``rows``; returns how many are new (a zero-shot score repeated on every training row of a ProxyLM file
    is one record)."""
    return connection.executemany(
        "INSERT OR IGNORE INTO records (model, cell, score, stderr, partial, lim, task_version, lm_eval_version, "
        "date, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows).rowcount


def _imported(store, digest: str) -> bool:
    """Whether a file of this digest was imported already (checked again, inside the write, against a race)."""
    return bool(store.query("SELECT 1 FROM sources WHERE digest = ?", (digest,)))


def _parsed_factors(store, connection, name: str, params_b: float | None) -> None:
    if params_b is not None:
        store._set_factor(connection, name, "params_b", params_b, "results")
    else:
        parsed = params_from_name(name)
        if parsed is not None:
            store._set_factor(connection, name, "params_b", parsed, "parsed")
    family = family_from_name(name)
    if family is not None:
        store._set_factor(connection, name, "family", family, "parsed")


def _add_proxylm(store, path: Path) -> int | None:
    """A ProxyLM record file: one cell per (dataset, test set, languages, setting with its training run, metric)."""
    from .reader import load_records

    digest = sha256_file(path)
    if _imported(store, digest):
        return None
    records = load_records(path)
    frame = records.frame
    layout = LAYOUTS[frame["dataset"].iloc[0]]
    features = [c for c in records.feature_columns if frame[c].notna().any()]

    def write(connection):
        source = store._source_id(connection, digest, str(path), "proxylm records")
        if source is None:
            return None
        models, cells, rows, now = {}, {}, [], time.time()
        for row in frame.itertuples(index=False):
            if row.model not in models:
                known = KNOWN_MODELS.get(row.model)
                models[row.model] = store._model_id(connection, known.hub_id if known else row.model, "")
                if known is not None:
                    store._set_factor(connection, known.hub_id, "params_b", known.params_b, "known")
                    store._set_factor(connection, known.hub_id, "family", known.family, "known")
            key = _proxylm_cell(row, layout)
            if key not in cells:
                cells[key] = store._cell_id(connection, *key, layout.task_family, layout.dataset, row.source_lang,
                                            row.target_lang, {c: _json_number(getattr(row, c)) for c in features})
            rows.append((models[row.model], cells[key], float(row.score), _json_number(row.score_se), 0, None, None,
                         None, now, source))
        added = _insert_records(connection, rows)
        store._refresh_summary(connection, models.values())
        return added
    return store._write(write)


def _proxylm_cell(row, layout) -> tuple:
    """(task, metric, n-shot, setting) of a ProxyLM record: the setting names the fine-tuning run where there is one."""
    task = f"{layout.dataset}:{row.source_code}-{row.target_code}:{row.test_dataset}"
    if row.setting == "noft":
        setting = "zero-shot"
    else:
        size = "" if _json_number(row.dataset_size) is None else f":{int(row.dataset_size)}"
        setting = f"{'fine-tuned' if row.setting == 'ft' else 'from-scratch'}:{row.train_dataset}{size}"
    return task, row.metric, 0, setting


def _json_number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):  # pandas' NA refuses float() with a TypeError too
        return None
    return value if math.isfinite(value) else None


def set_factors(store, path) -> int:
    rows = read_factors_csv(path)

    def write(connection):
        for row in rows:
            for name, value in row.items():
                if name == "model" or value in (None, ""):
                    continue
                number = _json_number(value) if name != "family" else None
                store._set_factor(connection, row["model"], name, number if number is not None else value, "factors",
                                  keep_better=False)
        return len(rows)
    return store._write(write)


def remove(store, model: str | None = None, *, source=None) -> int:
    if (model is None) == (source is None):
        raise RecordsError("say what to remove: a model, or --source FILE", hint="e.g. records remove gpt2")

    def write(connection):
        if model is not None:
            ids = [r[0] for r in connection.execute("SELECT id FROM models WHERE name = ?", (model,))]
            if not ids:
                raise RecordsError(f"no model {model!r} in the store {store.path}",
                                   hint="`proxylm-harness records list` shows the models it holds")
            marks = ",".join("?" * len(ids))
            removed = connection.execute(f"DELETE FROM records WHERE model IN ({marks})", ids).rowcount
            store._refresh_summary(connection, ids)
            return removed
        digest = sha256_file(source) if Path(source).is_file() else None
        found = connection.execute("SELECT id FROM sources WHERE digest = ? OR path = ?", (digest, str(source))).fetchall()
        if not found:
            raise RecordsError(f"no records came from {source}", hint="name a file `records add` imported")
        removed = 0
        for (source_id,) in found:
            touched = [m for (m,) in connection.execute("SELECT DISTINCT model FROM records WHERE source = ?",
                                                        (source_id,))]
            removed += connection.execute("DELETE FROM records WHERE source = ?", (source_id,)).rowcount
            connection.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            store._refresh_summary(connection, touched)
        return removed
    return store._write(write)
