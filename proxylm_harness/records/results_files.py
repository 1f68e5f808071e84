"""lm-eval results files, today's format and the 0.3-era one, read into records: one score per (model, task, metric).

A file is refused, with one line naming it and the key at fault, when it is not a results file, is truncated, or
holds a score that is not a number. Group aggregate rows are left out (their leaves are cells), and so are the
*estimates* of a proxylm-eval file (only what it measured is a record).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .._io import quote
from ..languages.codes import UnknownLanguageError, language_key
from ..languages.task_map import modern_task_name, resolve
from .layouts import RecordsError
from .model_factors import ModelRef, model_ref

__all__ = ["ParsedRecord", "ResultsFile", "find_results_files", "metric_keys", "read_file", "read_results_file"]

_SKIPPED_SUFFIXES = ("_stderr", "_lower", "_upper")


@dataclass(frozen=True)
class ParsedRecord:
    """One score of a results file, with what its cell and provenance need."""

    task: str
    metric: str
    n_shot: int
    score: float
    stderr: float | None
    task_version: str | None
    family: str | None
    dataset: str | None
    source_lang: str | None
    target_lang: str | None


@dataclass
class ResultsFile:
    """A parsed results file: its model, format, date, limit, lm-eval version and records."""

    path: Path
    digest: str
    model: ModelRef
    format: str  # "0.4" (today's) or "0.3"
    records: list = field(default_factory=list)
    params_b: float | None = None
    date: float | None = None
    limit: float | None = None
    lm_eval_version: str | None = None


def find_results_files(paths) -> list[Path]:
    """The results files among ``paths`` (files or folders, searched recursively): ``results_*.json`` and any
    other JSON that holds a ``results`` section; ``samples_*.jsonl`` and other files are left out."""
    found = []
    for path in map(Path, [paths] if isinstance(paths, (str, Path)) else paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            found.append(path)
    return found


def read_results_file(path, *, model_name: str | None = None, raw: bytes | None = None) -> ResultsFile:
    """Parse one results file (either format; ``raw``: its bytes, where the caller read them already); raises
    ``RecordsError`` naming the file and the key at fault."""
    path = Path(path)
    raw = read_file(path) if raw is None else raw
    data = _load_json(path, raw)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict) or not results or not all(isinstance(v, dict) for v in results.values()):
        raise RecordsError("not an lm-eval results file: no 'results' section mapping tasks to their scores",
                           path=path, hint="pass the results_<date>.json files lm-eval writes (or their folders)")
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    try:
        model = model_ref(config.get("model_args") or data.get("model_name"), name_override=model_name)
    except ValueError as error:
        raise RecordsError(f"the key 'config.model_args' names no model ({error})", path=path,
                           hint="pass --model-name NAME to say which model the file is of") from None
    today = isinstance(data.get("configs"), dict) or any("," in key for scores in results.values() for key in scores)
    parsed = ResultsFile(path, hashlib.sha256(raw).hexdigest(), model, "0.4" if today else "0.3",
                         params_b=_params(data), date=_number(data.get("date")), limit=_number(config.get("limit")),
                         lm_eval_version=data.get("lm_eval_version") or ("0.4" if today else "0.3"))
    groups = _group_names(data)
    measured_only = _proxylm_measured(data)
    for task, scores in results.items():
        if task in groups or (measured_only is not None and task not in measured_only):
            continue
        name = task if today else modern_task_name(task)
        parsed.records += _task_records(path, data, task, name, scores, today, config)
    if not parsed.records:
        raise RecordsError("the results file holds no scores of any task (only group aggregates or estimates)",
                           path=path, hint="import the results files of lm-eval runs")
    return parsed


def read_file(path: Path) -> bytes:
    """A file's bytes; ``RecordsError`` naming it when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise RecordsError(f"cannot read the file ({error.strerror or error})", path=path) from None


def _load_json(path: Path, raw: bytes):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordsError(f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start})",
                           path=path, hint="pass the JSON results files lm-eval writes") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        what = "truncated" if error.pos >= len(text.rstrip()) else "not valid JSON"
        raise RecordsError(f"the file is {what} ({error.msg} at line {error.lineno}, column {error.colno})",
                           path=path, line=error.lineno, hint="a complete lm-eval results file is valid JSON") from None


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _params(data: dict) -> float | None:
    count = _number(data.get("model_num_parameters"))
    return round(count / 1e9, 6) if count else None


def _group_names(data: dict) -> set:
    subtasks = data.get("group_subtasks") if isinstance(data.get("group_subtasks"), dict) else {}
    groups = set(data.get("groups") or {}) if isinstance(data.get("groups"), dict) else set()
    return groups | {name for name, members in subtasks.items() if members}


def _proxylm_measured(data: dict):
    """For a proxylm-eval results file, the tasks whose number was measured (the rest are estimates); else None."""
    section = data.get("proxylm")
    if not isinstance(section, dict) or not isinstance(section.get("tasks"), dict):
        return None
    return {task for task, item in section["tasks"].items() if isinstance(item, dict) and item.get("source") == "measured"}


def _task_records(path, data, task, name, scores, today, config) -> list[ParsedRecord]:
    task_config = (data.get("configs") or {}).get(task) or {}
    n_shot = (data.get("n-shot") or {}).get(task) if today else config.get("num_fewshot")
    version = (data.get("versions") or {}).get(task)
    languages = _languages(path, name, task_config.get("metadata") if isinstance(task_config, dict) else None)
    out = []
    for key, value in scores.items():
        metric, stderr_key = metric_keys(key)
        if today and "," not in key:  # today a metric is "name,filter"; "alias", "name", "sample_len" are not
            continue
        if key == "alias" or metric.split(",")[0].endswith(_SKIPPED_SUFFIXES):
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise RecordsError(f"the score at key 'results.{task}.{key}' is {quote(value, 60)}, not a finite number",
                               path=path, hint="a results file holds numbers; fix or leave out that file")
        stderr = scores.get(stderr_key)
        out.append(ParsedRecord(name, metric, int(n_shot or 0), float(value), _number(stderr),
                                None if version is None else str(version), *languages))
    return out


def metric_keys(key: str) -> tuple[str, str]:
    """(metric, the key of its stderr) of a key of lm-eval's results: ``acc,none`` -> (``acc``, ``acc_stderr,none``),
    ``bleu,flexible`` -> (``bleu,flexible``, ``bleu_stderr,flexible``), ``acc`` (0.3-era) -> (``acc``, ``acc_stderr``)."""
    metric = key[: -len(",none")] if key.endswith(",none") else key
    return metric, key.replace(",", "_stderr,", 1) if "," in key else f"{key}_stderr"


def _languages(path, task: str, metadata) -> tuple:
    """(family, dataset, source, target): the task config's ``metadata.proxylm`` block, else the language map."""
    block = metadata.get("proxylm") if isinstance(metadata, dict) else None
    if isinstance(block, dict) and block.get("source_lang") and block.get("target_lang"):
        try:
            return (block.get("family"), block.get("dataset"), language_key(str(block["source_lang"])),
                    language_key(str(block["target_lang"])))
        except UnknownLanguageError as error:
            raise RecordsError(f"the key 'configs.{task}.metadata.proxylm': {error}", path=path) from None
    entry = resolve(task)
    if entry is None:
        return None, None, None, None
    return entry.family, entry.dataset, entry.source_lang, entry.target_lang
