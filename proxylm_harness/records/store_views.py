"""Reading the records store: models x families, one model's scores, the tidy long table, and the models x cells matrix
with model factors and cell information that the completion estimators read."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass

import pandas as pd

from ..known_models import model_key
from .layouts import RecordsError

__all__ = ["RecordsMatrix", "cell_label", "list_models", "long_table", "matrix", "show_model"]

_SELECTED = "SELECT r.model, r.cell, r.score, r.date, r.id FROM records r JOIN cells c ON c.id = r.cell"


def _model_keys(names: pd.Series, revisions: pd.Series) -> pd.Series:
    plain = revisions.isin(("", "main"))
    return names.where(plain, names + "@" + revisions)


def list_models(store) -> pd.DataFrame:
    """One row per (model, family): cells known, records, and conflicts (cells with differing scores)."""
    rows = store.query("SELECT m.name, m.revision, s.family, s.cells, s.records, s.conflicts FROM summary s "
                       "JOIN models m ON m.id = s.model ORDER BY m.name, m.revision, s.family")
    out = pd.DataFrame(rows, columns=["name", "revision", "family", "cells", "records", "conflicts"])
    out.insert(0, "model", _model_keys(out["name"], out["revision"]))
    return out.drop(columns=["name", "revision"])


def show_model(store, model: str) -> pd.DataFrame:
    """A model's cells with the latest score in each (``conflict`` marks cells with differing scores)."""
    name, _, revision = model.partition("@")
    found = store.query("SELECT id FROM models WHERE name = ? AND revision IN (?, ?)", (name, revision, revision or "main"))
    if not found:
        known = [n for (n,) in store.query("SELECT DISTINCT name FROM models")]
        from .._registry import did_you_mean

        raise RecordsError(f"no model {model!r} in the store {store.path}.{did_you_mean(model, known)}",
                           hint="`proxylm-harness records list` shows the models it holds")
    frame = long_table(store, models=[i for (i,) in found])
    if frame.empty:
        return frame
    counts = frame.groupby(["task", "metric", "n_shot", "setting"])["score"].transform("nunique")
    frame["conflict"] = counts > 1
    frame = frame.sort_values(["task", "metric", "n_shot", "setting", "date"])
    return frame.drop_duplicates(["task", "metric", "n_shot", "setting"], keep="last").reset_index(drop=True)


def long_table(store, *, models=None) -> pd.DataFrame:
    """Every record as one tidy row: model, cell (task, metric, n-shot, setting, family, dataset, languages), score,
    stderr, partial, limit, versions, date, and the source it came from."""
    where = ""
    parameters = ()
    if models is not None:
        where = f" WHERE r.model IN ({','.join('?' * len(models))})"
        parameters = tuple(models)
    rows = store.query(
        "SELECT m.name, m.revision, c.task, c.metric, c.n_shot, c.setting, c.family, c.dataset, c.source_lang, "
        "c.target_lang, r.score, r.stderr, r.partial, r.lim, r.task_version, r.lm_eval_version, "
        "r.date, s.path FROM records r JOIN models m ON m.id = r.model "
        "JOIN cells c ON c.id = r.cell JOIN sources s ON s.id = r.source" + where + " ORDER BY r.id", parameters)
    columns = ["name", "revision", "task", "metric", "n_shot", "setting", "family", "dataset", "source_lang",
               "target_lang", "score", "stderr", "partial", "limit", "task_version", "lm_eval_version", "date",
               "source"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "model", _model_keys(frame["name"], frame["revision"]))
    frame["partial"] = frame["partial"].astype(bool)
    return frame.drop(columns=["name", "revision"])


@dataclass
class RecordsMatrix:
    """``scores``: models x cells (NaN unknown; the latest full record of each); ``cells``: per cell its task,
    metric, n-shot, setting, family, dataset, languages and features; ``factors``: per model its factors
    (``params_b``, ``family``, any user column; ``params_source`` says where the size came from)."""

    scores: pd.DataFrame
    cells: pd.DataFrame
    factors: pd.DataFrame


def matrix(store, *, family=None, tasks=None, metric=None, n_shot=None, setting="", partial=False,
           models=None) -> RecordsMatrix:
    """The models x cells matrix of the records selected: a ``family`` (or list), task name ``tasks`` patterns
    (``xnli_*``), a ``metric``, an ``n_shot``, a ``setting`` ("" for lm-eval runs; None: any); partial results
    (``--limit``) only with ``partial=True``, and never mixed with full ones."""
    clauses, parameters = ["r.partial = ?"], [int(bool(partial))]
    for column, value in (("c.family", family), ("c.metric", metric), ("c.n_shot", n_shot), ("c.setting", setting)):
        if value is None:
            continue
        values = [value] if isinstance(value, (str, int)) else list(value)
        clauses.append(f"{column} IN ({','.join('?' * len(values))})")
        parameters += values
    rows = store.query(_SELECTED + " WHERE " + " AND ".join(clauses), tuple(parameters))
    frame = pd.DataFrame(rows, columns=["model", "cell", "score", "t", "id"])
    names = {i: model_key(n, r) for i, n, r in store.query("SELECT id, name, revision FROM models")}
    frame["model"] = frame["model"].map(names)
    if models is not None:
        frame = frame[frame["model"].isin(models)]
    cells = _cells(store, frame["cell"].unique().tolist())
    if tasks:
        keep = cells.index[[any(fnmatch.fnmatchcase(t, p) for p in tasks) for t in cells["task"]]]
        cells = cells.loc[keep]
        frame = frame[frame["cell"].isin(cells["id"])]
    latest = frame.sort_values(["t", "id"]).drop_duplicates(["model", "cell"], keep="last")
    scores = latest.pivot(index="model", columns="cell", values="score")
    scores = scores.reindex(columns=cells["id"].tolist())
    scores.columns = cells.index
    scores = scores.sort_index()
    return RecordsMatrix(scores, cells, _factors(store, scores.index.tolist()))


def _cells(store, ids: list) -> pd.DataFrame:
    columns = ["id", "task", "metric", "n_shot", "setting", "family", "dataset", "source_lang", "target_lang",
               "features"]
    rows = []
    for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
        chunk = ids[start:start + 900]
        rows += store.query(f"SELECT {', '.join(columns)} FROM cells WHERE id IN ({','.join('?' * len(chunk))})",
                            tuple(chunk))
    frame = pd.DataFrame(rows, columns=columns).sort_values(["family", "task", "metric", "n_shot", "setting"],
                                                             na_position="last")
    frame["features"] = [json.loads(f) if f else {} for f in frame["features"]]
    frame.index = [_cell_label(r) for r in frame.itertuples()]
    frame.index.name = "cell"
    return frame


def _cell_label(row) -> str:
    return cell_label(row.task, row.metric, row.n_shot, row.setting)


def cell_label(task: str, metric: str, n_shot=0, setting="") -> str:
    """A cell's name in ``RecordsMatrix``: ``xnli_sw:acc``, ``xnli_sw:acc@5shot``, ``en-de:spBLEU[zero-shot]``."""
    label = f"{task}:{metric}"
    if n_shot:
        label += f"@{n_shot}shot"
    return label + (f"[{setting}]" if setting else "")


def _factors(store, models: list) -> pd.DataFrame:
    rows = store.query("SELECT model, name, value, number, source FROM factors")
    found = pd.DataFrame(rows, columns=["model", "name", "value", "number", "source"])
    found["factor"] = found["number"].astype(object).where(found["number"].notna(), found["value"])
    table = found.pivot(index="model", columns="name", values="factor")
    table["params_source"] = found[found["name"] == "params_b"].set_index("model")["source"]
    frame = table.reindex([m.partition("@")[0] for m in models])
    frame.index = pd.Index(models, name="model")
    frame.columns.name = None
    for column in ("params_b", "family", "params_source"):
        if column not in frame.columns:
            frame[column] = None
    frame["params_b"] = pd.to_numeric(frame["params_b"], errors="coerce")
    return frame
