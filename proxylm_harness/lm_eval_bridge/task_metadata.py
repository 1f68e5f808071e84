"""The ``metadata.proxylm`` block of an lm-eval task YAML: which languages a task tests, read once, checked once.

Every task the plugin estimates carries, in its YAML::

    metadata:
      version: 1.0
      proxylm:
        family: translation        # translation | intent | slot
        source_lang: eng_Latn      # translation: source side; intent/slot: language of the training / few-shot examples
        target_lang: swh_Latn      # translation: target side; intent/slot: language of the test utterances
        dataset: flores200         # name of the benchmark (massive, flores200, nusatranslation, ...)

Codes may be in any form ``proxylm_harness.languages`` reads (ISO 639-1/3, a MASSIVE locale, a FLORES-200 code).
``task_languages`` reads the block from a task object, a task config or a task name; a task without it raises
``TaskMetadataError`` with the block to paste. To add a task family, see the README's "Adding a task".
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _paths
from ..languages.codes import UnknownLanguageError, language_key
from ..languages.task_map import resolve

__all__ = [
    "METADATA_KEY",
    "TASKS_DIR",
    "TaskLanguages",
    "TaskMetadataError",
    "leaf_task_names",
    "metadata_block",
    "metadata_config",
    "shipped_task_manager",
    "task_languages",
]

METADATA_KEY = "proxylm"
_FIELDS = ("family", "source_lang", "target_lang", "dataset")

# The shipped task YAMLs: ``tasks/`` beside the package in a checkout or an editable install.
TASKS_DIR = _paths.TASKS_DIR


class TaskMetadataError(ValueError):
    """A task whose ``metadata.proxylm`` block is missing or wrong; the message names the task and the fix."""


@dataclass(frozen=True)
class TaskLanguages:
    """The languages of one task, read from its ``metadata.proxylm`` block.

    ``source_lang`` and ``target_lang`` are ``languages.language_key`` values (``swa``, ``zho_Hant``);
    ``raw_source_lang`` and ``raw_target_lang`` are the codes as the YAML wrote them.
    """

    task: str
    family: str
    source_lang: str
    target_lang: str
    dataset: str
    raw_source_lang: str
    raw_target_lang: str


def metadata_block(
    task: str,
    *,
    family: str = "translation",
    source_lang: str = "eng_Latn",
    target_lang: str = "swh_Latn",
    dataset: str | None = None,
    version: Any = 1.0,
) -> str:
    """The YAML ``metadata`` block for ``task``, with a comment on every ``proxylm`` key.

    >>> print(metadata_block("my_task", family="intent", source_lang="en-US", target_lang="sw-KE", dataset="massive"))
    metadata:
      version: 1.0
      proxylm:
        family: intent             # translation | intent | slot
        source_lang: en-US         # translation: source side; intent/slot: language of the training / few-shot examples
        target_lang: sw-KE         # translation: target side; intent/slot: language of the test utterances
        dataset: massive           # name of the benchmark (massive, flores200, nusatranslation, ...)
    """
    comments = {
        "family": "translation | intent | slot",
        "source_lang": "translation: source side; intent/slot: language of the training / few-shot examples",
        "target_lang": "translation: target side; intent/slot: language of the test utterances",
        "dataset": "name of the benchmark (massive, flores200, nusatranslation, ...)",
    }
    values = {"family": family, "source_lang": source_lang, "target_lang": target_lang, "dataset": dataset or task}
    lines = ["metadata:", f"  version: {version}", f"  {METADATA_KEY}:"]
    for key in _FIELDS:
        lines.append(f"    {f'{key}: {values[key]}':<26} # {comments[key]}")
    return "\n".join(lines)


def metadata_config(family: str, source_lang: str, target_lang: str, dataset: str, version: Any = 1.0) -> dict:
    """The ``metadata`` mapping of a task (what ``metadata_block`` shows as YAML), for generators."""
    values = {"family": family, "source_lang": source_lang, "target_lang": target_lang, "dataset": dataset}
    return {"version": version, METADATA_KEY: {key: values[key] for key in _FIELDS}}


def _block_hint(task: str, metadata: Mapping | None) -> str:
    version = metadata.get("version", 1.0) if isinstance(metadata, Mapping) else 1.0
    block = metadata_block(task, version=version)
    return (
        f"Add this block to the YAML of task {task!r} (replace the example languages; codes may be ISO 639-1/3, "
        f"a MASSIVE locale or a FLORES-200 code):\n\n{textwrap.indent(block, '    ')}\n"
    )


def task_languages(task: Any, task_manager: Any = None) -> TaskLanguages:
    """The languages of ``task``: an lm-eval task object, a task config mapping, or a task name.

    In order of precedence: the task's own ``metadata.proxylm`` block (ours and users'), then the shipped map of
    lm-eval's multilingual families (``languages.task_map``), then a ``TaskMetadataError`` with the block to paste.
    A name is looked up in ``task_manager`` (an ``lm_eval.tasks.TaskManager``; default: the shipped ``tasks/``
    folder only) without loading the task's data; the manager's runtime metadata is merged as lm-eval merges it.
    """
    name, metadata = _name_and_metadata(task, task_manager)
    block = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    if block is None:
        entry = _from_task_map(name)
        if entry is not None:
            return entry
        raise TaskMetadataError(
            f"Task {name!r} has no language metadata (metadata.{METADATA_KEY}) and is not in the shipped map of "
            f"lm-eval's multilingual tasks, so proxylm-harness cannot tell which languages it tests. "
            f"{_block_hint(name, metadata)}"
        )
    if not isinstance(block, Mapping):
        raise TaskMetadataError(
            f"metadata.{METADATA_KEY} of task {name!r} must be a mapping. Got {type(block).__name__} instead. "
            f"{_block_hint(name, metadata)}"
        )
    missing = [key for key in _FIELDS if not isinstance(block.get(key), str) or not block.get(key).strip()]
    if missing:
        raise TaskMetadataError(
            f"metadata.{METADATA_KEY} of task {name!r} lacks {', '.join(missing)} (each a non-empty string). "
            f"{_block_hint(name, metadata)}"
        )
    keys = {}
    for side in ("source_lang", "target_lang"):
        try:
            keys[side] = language_key(block[side])
        except UnknownLanguageError as err:
            raise TaskMetadataError(f"metadata.{METADATA_KEY}.{side} of task {name!r}: {err}") from err
    return TaskLanguages(
        task=name,
        family=block["family"].strip(),
        source_lang=keys["source_lang"],
        target_lang=keys["target_lang"],
        dataset=block["dataset"].strip(),
        raw_source_lang=block["source_lang"],
        raw_target_lang=block["target_lang"],
    )


def _from_task_map(name: str) -> TaskLanguages | None:
    try:
        entry = resolve(name)
    except UnknownLanguageError as err:
        raise TaskMetadataError(f"Task {name!r}, in the shipped map of lm-eval's multilingual tasks: {err}") from err
    if entry is None:
        return None
    return TaskLanguages(task=name, family=entry.family, source_lang=entry.source_lang, target_lang=entry.target_lang,
                         dataset=entry.dataset, raw_source_lang=entry.source_lang, raw_target_lang=entry.target_lang)


def _name_and_metadata(task: Any, task_manager: Any) -> tuple[str, Any]:
    if isinstance(task, str):
        manager = task_manager if task_manager is not None else shipped_task_manager()
        entry = manager.task_index.get(task)
        if entry is None:
            raise TaskMetadataError(
                f"Unknown task {task!r}: it is in none of the task folders of the TaskManager "
                f"(include_path={manager.include_path!r}). Hint: pass the folder of its YAML as include_path."
            )
        if entry.cfg is None or "task" not in entry.cfg or "group" in entry.cfg:
            raise TaskMetadataError(
                f"{task!r} is a group or tag, not a task; languages belong to its tasks: "
                f"{', '.join(leaf_task_names(task, manager))}."
            )
        metadata = entry.cfg.get("metadata")
        runtime = getattr(manager, "metadata", None) or {}
        if runtime:  # lm-eval merges --metadata / TaskManager(metadata=...) over the YAML's block, key by key
            metadata = (metadata if isinstance(metadata, Mapping) else {}) | dict(runtime)
        return task, metadata
    if isinstance(task, Mapping):
        return str(task.get("task", "<unnamed task>")), task.get("metadata")
    config = getattr(task, "config", None)
    if config is None:
        raise TypeError(
            f"task must be an lm-eval task, a task config mapping or a task name. Got {type(task).__name__} instead."
        )
    name = getattr(config, "task", None) or getattr(task, "task_name", "<unnamed task>")
    return str(name), getattr(config, "metadata", None)


def leaf_task_names(name: str, task_manager: Any = None) -> list[str]:
    """The task names a task, group or tag ``name`` stands for, in the group's order (groups expanded)."""
    manager = task_manager if task_manager is not None else shipped_task_manager()
    index = manager.task_index
    out: list[str] = []

    def visit(item: Any) -> None:
        if isinstance(item, Mapping):
            if "group" in item and item["group"] not in index:  # an inline group
                for child in _as_list(item.get("task")):
                    visit(child)
                return
            item = item.get("group") or item.get("task")
        entry = index.get(item)
        if entry is None:
            raise TaskMetadataError(f"Unknown task, group or tag {item!r} (include_path={manager.include_path!r}).")
        if entry.cfg is not None and "group" in entry.cfg:
            for child in _as_list(entry.cfg.get("task")):
                visit(child)
        elif entry.cfg is None and entry.tags:  # a tag
            for child in sorted(entry.tags):
                visit(child)
        elif item not in out:
            out.append(item)

    visit(name)
    return out


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def shipped_task_manager(metadata: Mapping | None = None) -> Any:
    """An ``lm_eval.tasks.TaskManager`` over the shipped ``tasks/`` folder only (lm-eval's own tasks left out)."""
    from lm_eval.tasks import TaskManager  # deferred: lm-eval is an optional dependency

    if not TASKS_DIR.is_dir():
        raise FileNotFoundError(
            f"The shipped task folder {TASKS_DIR} is missing; proxylm-harness must be installed from a checkout "
            "(pip install -e .) for its tasks/ to be found."
        )
    return TaskManager(include_path=str(TASKS_DIR), include_defaults=False, metadata=dict(metadata or {}))
