"""Data loaders of the shipped task families: the Hugging Face hub by default, a local folder when one is given.

A task YAML names a loader as its ``custom_dataset``. lm-eval 0.4.13 calls it with the task's ``metadata``
(the YAML block, merged key by key with ``--metadata`` and ``--model_args``) and its ``dataset_kwargs`` as
keyword arguments, so every loader takes ``**options`` and ignores keys it does not know.

A local folder, in the dataset's own release layout, comes from ``--metadata`` (e.g.
``--metadata '{"massive_dir": "/data/massive"}'``) or else from an environment variable (``PROXYLM_MASSIVE_DIR``);
``SOURCES`` lists both names for every benchmark. With a local folder nothing is downloaded.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FLORES_HUB",
    "FLORES_PLUS_NAMES",
    "MASSIVE_HUB",
    "NUSATRANSLATION_LANGUAGES",
    "NUSATRANSLATION_URL",
    "SOURCES",
    "LocalSource",
    "TaskDataError",
    "load_flores",
    "load_massive",
    "load_nusatranslation",
    "local_dir",
]


class TaskDataError(FileNotFoundError):
    """Task data that cannot be found or read; the message names the file and the setting that chose it."""


@dataclass(frozen=True)
class LocalSource:
    """How a user points a benchmark at a local folder: an lm-eval ``--metadata`` key or an environment variable."""

    benchmark: str
    metadata_key: str
    env_var: str
    layout: str


SOURCES = {
    "massive": LocalSource(
        "massive", "massive_dir", "PROXYLM_MASSIVE_DIR",
        "the MASSIVE JSONL release: <dir>/data/<locale>.jsonl (or <dir>/<locale>.jsonl), e.g. data/sw-KE.jsonl",
    ),
    "flores200": LocalSource(
        "flores200", "flores_dir", "PROXYLM_FLORES_DIR",
        "the FLORES-200 release: <dir>/dev/<code>.dev and <dir>/devtest/<code>.devtest, one sentence a line, "
        "e.g. devtest/eng_Latn.devtest",
    ),
    "nusatranslation": LocalSource(
        "nusatranslation", "nusatranslation_dir", "PROXYLM_NUSATRANSLATION_DIR",
        "the NusaTranslation files of IndoNLP/nusa-writes: <dir>/nusa_kalimat-mt-<lang>-{train,valid,test}.csv "
        "(or under <dir>/data/), columns id, ind_text, tgt_text",
    ),
}


def local_dir(benchmark: str, options: Mapping[str, Any]) -> tuple[Path, str] | None:
    """The local folder of ``benchmark`` and where it was set, or None (load from the hub)."""
    source = SOURCES[benchmark]
    if options.get(source.metadata_key):
        value, origin = options[source.metadata_key], f"--metadata {source.metadata_key}"
    elif os.environ.get(source.env_var):
        value, origin = os.environ[source.env_var], f"${source.env_var}"
    else:
        return None
    path = Path(str(value)).expanduser()
    if not path.is_dir():
        raise TaskDataError(
            f"{origin} = {str(value)!r} is not a folder. It must hold {source.layout}. "
            f"Hint: unset {source.env_var} and leave {source.metadata_key} out of --metadata to load from the hub."
        )
    return path, origin


def _missing(benchmark: str, origin: str, wanted: str) -> TaskDataError:
    source = SOURCES[benchmark]
    return TaskDataError(
        f"{wanted} (local folder from {origin}). The folder must hold {source.layout}. "
        f"Hint: set {source.env_var} or --metadata '{{\"{source.metadata_key}\": \"/path\"}}' to the right folder."
    )


def _dataset_dict(splits: Mapping[str, list[dict]], columns: tuple[str, ...]):
    from datasets import Dataset, DatasetDict, Features, Value

    features = Features({column: Value("string") for column in columns})
    return DatasetDict({
        name: Dataset.from_list([{c: row[c] for c in columns} for row in rows], features=features)
        for name, rows in splits.items()
    })


# ---------------------------------------------------------------------------------------------
# MASSIVE (intent classification and slot filling)
# ---------------------------------------------------------------------------------------------

MASSIVE_HUB = "AmazonScience/massive"
# The hub dataset is a loading script, which datasets >= 4 refuses; its parquet export is read instead.
MASSIVE_HUB_REVISION = "refs/convert/parquet"
MASSIVE_COLUMNS = ("id", "locale", "partition", "scenario", "intent", "utt", "annot_utt")
_MASSIVE_PARTITIONS = {"train": "train", "dev": "validation", "test": "test"}  # JSONL partition -> split


def load_massive(*, locale: str, fewshot_locale: str | None = None, **options: Any):
    """MASSIVE for one locale as train / validation / test; ``train`` comes from ``fewshot_locale`` when given.

    Rows hold ``MASSIVE_COLUMNS`` as strings (``intent`` is the label name, e.g. ``alarm_set``).
    """
    folder = local_dir("massive", options)
    splits = _massive_splits(locale, folder)
    if fewshot_locale and fewshot_locale != locale:
        splits["train"] = _massive_splits(fewshot_locale, folder)["train"]
    return _dataset_dict(splits, MASSIVE_COLUMNS)


def _massive_splits(locale: str, folder: tuple[Path, str] | None) -> dict[str, list[dict]]:
    if folder is None:
        return _massive_hub(locale)
    root, origin = folder
    candidates = [root / "data" / f"{locale}.jsonl", root / f"{locale}.jsonl"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise _missing("massive", origin, f"MASSIVE locale {locale!r}: neither {candidates[0]} nor {candidates[1]} exists")
    splits: dict[str, list[dict]] = {split: [] for split in _MASSIVE_PARTITIONS.values()}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise TaskDataError(f"{path}, line {number}: not a JSON object ({err.msg}).") from err
            missing = [c for c in MASSIVE_COLUMNS if c not in record]
            if missing:
                raise TaskDataError(f"{path}, line {number}: lacks field(s) {', '.join(missing)} of the MASSIVE schema.")
            split = _MASSIVE_PARTITIONS.get(record["partition"])
            if split is None:
                raise TaskDataError(
                    f"{path}, line {number}: partition must be one of {sorted(_MASSIVE_PARTITIONS)}. "
                    f"Got {record['partition']!r} instead."
                )
            splits[split].append({c: str(record[c]) for c in MASSIVE_COLUMNS})
    return splits


def _massive_hub(locale: str) -> dict[str, list[dict]]:
    from datasets import ClassLabel, load_dataset

    files = {split: f"{locale}/{split}/*.parquet" for split in _MASSIVE_PARTITIONS.values()}
    loaded = load_dataset(MASSIVE_HUB, revision=MASSIVE_HUB_REVISION, data_files=files)
    splits = {}
    for split, dataset in loaded.items():
        labels = {c: f.names for c, f in dataset.features.items() if isinstance(f, ClassLabel)}
        splits[split] = [
            {c: labels[c][row[c]] if c in labels else str(row[c]) for c in MASSIVE_COLUMNS}
            for row in dataset.select_columns(list(MASSIVE_COLUMNS))
        ]
    return splits


# ---------------------------------------------------------------------------------------------
# FLORES-200 (FLORES+ on the hub)
# ---------------------------------------------------------------------------------------------

FLORES_HUB = "openlanguagedata/flores_plus"
FLORES_SPLITS = ("dev", "devtest")
# FLORES+ relabelled some FLORES-200 languages (its changelog, release 2.0); the hub uses the new names.
FLORES_PLUS_NAMES = {
    "zho_Hans": "cmn_Hans", "zho_Hant": "cmn_Hant", "tgl_Latn": "fil_Latn", "est_Latn": "ekk_Latn",
    "grn_Latn": "gug_Latn", "kon_Latn": "ktu_Latn", "tzm_Tfng": "zgh_Tfng",
}
TRANSLATION_COLUMNS = ("id", "source", "target")


def load_flores(*, source: str, target: str, **options: Any):
    """FLORES-200 ``source`` -> ``target`` (FLORES-200 codes, e.g. ``eng_Latn``) as dev / devtest sentence pairs."""
    folder = local_dir("flores200", options)
    if folder is None:
        sides = [_flores_hub(code) for code in (source, target)]
    else:
        sides = [_flores_local(code, *folder) for code in (source, target)]
    splits = {}
    for split in FLORES_SPLITS:
        (src_where, src), (tgt_where, tgt) = sides[0][split], sides[1][split]
        if list(src) != list(tgt):
            raise TaskDataError(
                f"FLORES-200 {split}: {src_where} and {tgt_where} do not hold the same sentences "
                f"({len(src)} and {len(tgt)} of them); they must be line-aligned translations."
            )
        splits[split] = [{"id": key, "source": src[key], "target": tgt[key]} for key in src]
    return _dataset_dict(splits, TRANSLATION_COLUMNS)


def _flores_local(code: str, root: Path, origin: str) -> dict[str, tuple[str, dict[str, str]]]:
    out = {}
    for split in FLORES_SPLITS:
        names = dict.fromkeys([code, FLORES_PLUS_NAMES.get(code, code)])
        candidates = [root / split / f"{name}.{split}" for name in names]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise _missing("flores200", origin, f"FLORES-200 {code} {split}: {' nor '.join(map(str, candidates))} exists")
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out[split] = (str(path), {str(i): line for i, line in enumerate(lines)})
    return out


def _flores_hub(code: str) -> dict[str, tuple[str, dict[str, str]]]:
    from datasets import load_dataset

    name = FLORES_PLUS_NAMES.get(code, code)
    loaded = load_dataset(FLORES_HUB, name)
    out = {}
    for split in FLORES_SPLITS:
        rows = sorted(loaded[split].select_columns(["id", "text"]), key=lambda row: int(row["id"]))
        out[split] = (f"{FLORES_HUB}:{name}/{split}", {str(row["id"]): row["text"] for row in rows})
    return out


# ---------------------------------------------------------------------------------------------
# NusaTranslation (Indonesian <-> local languages)
# ---------------------------------------------------------------------------------------------

# The files the hub dataset indonlp/nusatranslation_mt reads (a loading script, which datasets >= 4 refuses).
NUSATRANSLATION_URL = "https://raw.githubusercontent.com/IndoNLP/nusa-writes/main/data/nusa_kalimat-mt-{lang}-{split}.csv"
NUSATRANSLATION_LANGUAGES = ("abs", "bew", "bhp", "btk", "jav", "mad", "mak", "min", "mui", "rej", "sun")
_NUSA_SPLITS = {"train": "train", "valid": "validation", "test": "test"}  # file name part -> split


def load_nusatranslation(*, source: str, target: str, **options: Any):
    """NusaTranslation ``source`` -> ``target`` (``ind`` and one local language) as train / validation / test pairs."""
    if (source == "ind") == (target == "ind"):
        raise ValueError(
            f"NusaTranslation pairs Indonesian with one local language: one of source and target must be 'ind'. "
            f"Got source={source!r}, target={target!r} instead."
        )
    local = target if source == "ind" else source
    if local not in NUSATRANSLATION_LANGUAGES:
        raise ValueError(
            f"NusaTranslation's local language must be one of {list(NUSATRANSLATION_LANGUAGES)}. Got {local!r} instead."
        )
    folder = local_dir("nusatranslation", options)
    splits = {}
    for part, split in _NUSA_SPLITS.items():
        path = _nusa_file(local, part, folder)
        rows = _read_nusa_csv(path)
        keys = ("ind_text", "tgt_text") if source == "ind" else ("tgt_text", "ind_text")
        splits[split] = [{"id": row["id"], "source": row[keys[0]], "target": row[keys[1]]} for row in rows]
    return _dataset_dict(splits, TRANSLATION_COLUMNS)


def _nusa_file(lang: str, part: str, folder: tuple[Path, str] | None) -> Path:
    name = f"nusa_kalimat-mt-{lang}-{part}.csv"
    if folder is None:
        from datasets import DownloadManager

        return Path(DownloadManager().download(NUSATRANSLATION_URL.format(lang=lang, split=part)))
    root, origin = folder
    candidates = [root / name, root / "data" / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise _missing("nusatranslation", origin, f"NusaTranslation {lang} {part}: neither {candidates[0]} nor {candidates[1]} exists")
    return path


def _read_nusa_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("id", "ind_text", "tgt_text") if c not in (reader.fieldnames or [])]
        if missing:
            raise TaskDataError(f"{path}: lacks column(s) {', '.join(missing)} (NusaTranslation has id, ind_text, tgt_text).")
        return [dict(row) for row in reader]
