"""Tests for task_map: every leaf of lm-eval's multilingual families resolves, spot checks, light import, 0.3 names."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import LMEVAL_RESULTS_DIR

from proxylm_harness.languages import task_map
from proxylm_harness.languages.task_map import TaskLanguageEntry, modern_task_name, resolve

# Families the brief requires, by task_map family name (the lm-eval group/tag name where there is one).
REQUIRED_FAMILIES = (
    "xnli", "xcopa", "xstorycloze", "xwinograd", "pawsx", "belebele", "global_mmlu", "mgsm", "afrixnli",
    "afrimmlu", "afrimgsm", "arc_multilingual", "hellaswag_multilingual", "m_mmlu", "include", "xquad", "mlqa",
    "lambada_multilingual", "truthfulqa-multi", "mmmlu", "indicxnli",
)
# Leaves of one family and variant that the normaliser gives the same language key (none: romanised Bengali,
# Nepali and Sinhala keep their script since codes._DEFAULT_SCRIPT names their native one).
KNOWN_KEY_COLLISIONS: set = set()
# Hugging Face renamed the CohereForAI organisation to CohereLabs; lm-eval 0.4.13 spells both.
DATASET_ALIASES = {"CohereLabs/": "CohereForAI/"}
OLD_RESULTS_GLOB = str(LMEVAL_RESULTS_DIR / "*" / "*" / "*.json")


def _language_key(code):
    from proxylm_harness.languages import language_key

    return language_key(task_map.CODE_OVERRIDES.get(code, code))


# --------------------------------------------------------------------------------------------------------
# lm-eval's task index
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task_index():
    pytest.importorskip("lm_eval")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from lm_eval.tasks import TaskManager

    start = time.perf_counter()
    index = TaskManager().task_index
    print(f"\nTaskManager() indexed {len(index)} names in {time.perf_counter() - start:.1f} s")
    return index


def _kind(entry) -> str:
    return entry.kind.name  # TASK, PY_TASK, GROUP, TAG


def _leaves(index, name, _seen=None) -> set[str]:
    """Leaf task names under a group / tag / task name (groups: cfg["task"]; tags: entry.tags)."""
    seen = set() if _seen is None else _seen
    if name in seen:
        return set()
    seen.add(name)
    entry = index.get(name)
    if entry is None:
        raise KeyError(f"{name!r} is not in lm-eval's task index")
    kind = _kind(entry)
    if kind in ("TASK", "PY_TASK"):
        return {name}
    if kind == "TAG":
        members = list(entry.tags)  # a TAG entry's tags are its member tasks
    elif kind == "GROUP":
        members = list(entry.cfg.get("task", []))
    else:
        raise AssertionError(f"{name!r} has kind {kind}")
    out = set()
    for member in members:
        if isinstance(member, dict):  # inline group or inline / overridden task
            if "group" in member:
                for sub in member.get("task", []):
                    out |= _leaves(index, sub, seen) if isinstance(sub, str) else set()
                continue
            member = member.get("task")
            if not isinstance(member, str):
                continue
            if member not in index:
                out.add(member)
                continue
        out |= _leaves(index, member, seen)
    return out


def _family_roots(family):
    info = task_map.FAMILIES.get(family)
    return info["roots"] if info else (family,)


@pytest.fixture(scope="module")
def family_leaves(task_index):
    return {
        family: set().union(*(_leaves(task_index, root) for root in info["roots"]))
        for family, info in task_map.FAMILIES.items()
    }


def _same_dataset(a: str, b: str) -> bool:
    for old, new in DATASET_ALIASES.items():
        a, b = a.replace(old, new), b.replace(old, new)
    return a == b


def _config_languages(family, cfg):
    """(source, target) codes read from a leaf's dataset_name, or None where it names no language."""
    name = cfg.get("dataset_name")
    if not isinstance(name, str):
        return None
    if family == "mlqa":
        _, context, question = name.split(".")
        return context, question
    if family == "xquad":
        name = name.split(".", 1)[1]  # "xquad.ro"
    if family == "xnli_eu":
        name = name.split("_", 1)[0]  # "eu_mt", "eu_native"
    if family == "include":
        return (task_map.INCLUDE_LANGUAGE_NAMES[name.lower().replace(" ", "_")],) * 2
    return name, name


def test_required_families_are_mapped():
    missing = [f for f in REQUIRED_FAMILIES if f not in task_map.FAMILIES]
    assert not missing


def test_family_roots_exist(task_index):
    missing = [(f, r) for f, info in task_map.FAMILIES.items() for r in info["roots"] if r not in task_index]
    assert not missing, f"group/tag names gone from lm-eval: {missing}"


def test_every_family_leaf_resolves(task_index, family_leaves):
    problems = []
    for family, leaves in family_leaves.items():
        assert leaves, f"{family}: no leaves"
        for leaf in sorted(leaves):
            try:
                entry = resolve(leaf)
            except Exception as exc:  # an unknown code: add it to CODE_OVERRIDES
                problems.append(f"{leaf}: {exc!r}")
                continue
            if entry is None:
                problems.append(f"{leaf} ({family}): not resolved")
            elif entry.family != family:
                problems.append(f"{leaf}: family {entry.family!r}, expected {family!r}")
    assert not problems, "\n".join(problems[:50])


def test_datasets_and_languages_agree_with_lm_eval_configs(task_index, family_leaves):
    problems = []
    for family, leaves in family_leaves.items():
        for leaf in leaves:
            entry, cfg = resolve(leaf), task_index[leaf].cfg
            if not _same_dataset(entry.dataset, cfg.get("dataset_path", "")):
                problems.append(f"{leaf}: dataset {entry.dataset!r} vs lm-eval {cfg.get('dataset_path')!r}")
            codes = _config_languages(family, cfg)
            if codes is None:
                continue
            source = _language_key(codes[0])
            # translate-test data is English; dataset_name names the original language (= source_lang).
            target = _language_key(codes[1]) if entry.target_lang != task_map.TRANSLATE_TEST_TARGET else None
            if source != entry.source_lang or (target is not None and target != entry.target_lang):
                problems.append(f"{leaf}: dataset_name {cfg.get('dataset_name')!r} vs {entry}")
    assert not problems, "\n".join(problems[:50])


def test_no_false_positives_over_the_whole_index(task_index, family_leaves):
    """Every name that resolves is a leaf of the family it resolves to; groups and tags give None."""
    problems = []
    other_family_leaves = {}
    for name, entry in task_index.items():
        try:
            result = resolve(name)
        except Exception as exc:
            problems.append(f"{name}: {exc!r}")
            continue
        if result is None:
            continue
        if _kind(entry) not in ("TASK", "PY_TASK"):
            problems.append(f"{name} is a {_kind(entry)} but resolves to {result}")
            continue
        if result.family in family_leaves:
            leaves = family_leaves[result.family]
        else:  # explicit entries of another benchmark (catalan_bench, ...): the family is its group/tag
            if result.family not in other_family_leaves:
                other_family_leaves[result.family] = set().union(
                    *(_leaves(task_index, r) for r in _family_roots(result.family))
                )
            leaves = other_family_leaves[result.family]
            if not _same_dataset(result.dataset, entry.cfg.get("dataset_path", "")):
                problems.append(f"{name}: dataset {result.dataset!r} vs {entry.cfg.get('dataset_path')!r}")
        if name not in leaves:
            problems.append(f"{name} resolves to family {result.family!r} but is not one of its leaves")
    assert not problems, "\n".join(problems[:50])


def test_explicit_entries_are_real_leaves(task_index):
    missing = [name for name in task_map.EXPLICIT_ENTRIES if name not in task_index]
    assert not missing


def test_language_keys_distinct_within_a_family_variant(family_leaves):
    """Leaves of one family and variant differ in language, up to the documented normaliser collisions."""
    by_key = {}
    for family in ("xnli", "xcopa", "xstorycloze", "xwinograd", "pawsx", "belebele", "xquad", "mlqa", "mgsm",
                   "arc_multilingual", "hellaswag_multilingual", "m_mmlu", "lambada_multilingual", "afrixnli"):
        for leaf in family_leaves[family]:
            e = resolve(leaf)
            by_key.setdefault((e.family, e.variant, e.source_lang, e.target_lang, e.dataset), set()).add(leaf)
    collisions = {frozenset(v) for v in by_key.values() if len(v) > 1}
    assert collisions <= KNOWN_KEY_COLLISIONS, collisions - KNOWN_KEY_COLLISIONS


# --------------------------------------------------------------------------------------------------------
# Spot checks
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task, family, source, target, dataset, variant",
    [
        ("xnli_sw", "xnli", "swa", "swa", "facebook/xnli", ""),
        ("belebele_swh_Latn", "belebele", "swa", "swa", "facebook/belebele", ""),
        ("belebele_zho_Hant", "belebele", "zho_Hant", "zho_Hant", "facebook/belebele", ""),
        ("belebele_arb_Latn", "belebele", "ara_Latn", "ara_Latn", "facebook/belebele", ""),
        ("global_mmlu_full_sw_abstract_algebra", "global_mmlu", "swa", "swa", "CohereForAI/Global-MMLU", "full"),
        ("global_mmlu_full_fil_anatomy", "global_mmlu", "tgl", "tgl", "CohereForAI/Global-MMLU", "full"),
        ("global_mmlu_yo_medical", "global_mmlu", "yor", "yor", "CohereForAI/Global-MMLU-Lite", "lite"),
        ("mgsm_native_cot_sw", "mgsm", "swa", "swa", "juletxara/mgsm", "native_cot"),
        ("mgsm_en_cot_sw", "mgsm", "swa", "swa", "juletxara/mgsm", "en_cot"),
        ("mgsm_direct_es_spanish_bench", "mgsm", "spa", "spa", "juletxara/mgsm", "direct_spanish_bench"),
        ("include_base_44_north_macedonian_few_shot_og_stem", "include", "mkd", "mkd",
         "CohereForAI/include-base-44", "few_shot_og"),
        ("include_base_44_persian_driving_license", "include", "fas", "fas", "CohereForAI/include-base-44",
         "default"),
        ("mlqa_de_hi", "mlqa", "deu", "hin", "facebook/mlqa", ""),
        ("mlqa_zh_en", "mlqa", "zho", "eng", "facebook/mlqa", ""),
        ("paws_de", "pawsx", "deu", "deu", "google-research-datasets/paws-x", ""),
        ("xstorycloze_my", "xstorycloze", "mya", "mya", "juletxara/xstory_cloze", ""),
        ("xwinograd_jp", "xwinograd", "jpn", "jpn", "Muennighoff/xwinograd", ""),
        ("afrixnli_en_direct_amh", "afrixnli", "amh", "amh", "masakhane/afrixnli", "en_direct"),
        ("afrixnli_translate_swa_prompt_3", "afrixnli", "swa", "eng", "masakhane/afrixnli-translate-test",
         "translate_prompt_3"),
        ("afrimmlu_direct_zul_prompt_1", "afrimmlu", "zul", "zul", "masakhane/afrimmlu", "direct_prompt_1"),
        ("afrimgsm_cot_translate_vai_prompt_2", "afrimgsm", "vai", "eng", "masakhane/afrimgsm-translate-test",
         "cot_translate_prompt_2"),
        ("arc_sr", "arc_multilingual", "srp", "srp", "alexandrainst/m_arc", ""),
        ("hellaswag_hy", "hellaswag_multilingual", "hye", "hye", "alexandrainst/m_hellaswag", ""),
        ("m_mmlu_nb", "m_mmlu", "nor", "nor", "alexandrainst/m_mmlu", ""),
        ("xquad_ro", "xquad", "ron", "ron", "google/xquad", ""),
        ("lambada_openai_mt_it", "lambada_multilingual", "ita", "ita", "EleutherAI/lambada_openai", ""),
        ("truthfulqa-multi_gen_eu", "truthfulqa-multi", "eus", "eus", "HiTZ/truthfulqa-multi", "gen"),
        ("mmmlu_pt_br_virology", "mmmlu", "por", "por", "openai/MMMLU", ""),
        ("indicxnli_gu", "indicxnli", "guj", "guj", "Divyanshu/indicxnli", ""),
        ("xnli_va", "catalan_bench", "cat", "cat", "gplsi/xnli_va", "valencian"),
    ],
)
def test_spot_checks(task, family, source, target, dataset, variant):
    assert resolve(task) == TaskLanguageEntry(task, family, source, target, dataset, variant)


@pytest.mark.parametrize(
    "name",
    ["xnli", "belebele", "pawsx", "mlqa", "mmmlu", "mmmlu_ar_xy", "mmmlu_ar_xy_stem", "global_mmlu_full_sw",
     "global_mmlu_full_sw_stem", "global_mmlu_full_sw_stem_tasks", "global_mmlu_sw", "include_base_44_arabic",
     "include_base_44_arabic_few_shot_en", "afrixnli", "afrixnli-irokobench", "mgsm_direct", "m_mmlu",
     "lambada_openai_mt_stablelm", "xstory_cloze_sw", "hellaswag", "arc_easy", "mmlu_anatomy", ""],
)
def test_groups_and_other_names_give_none(name):
    assert resolve(name) is None


def test_family_shaped_name_with_unknown_code_raises():
    try:
        from proxylm_harness.languages import UnknownLanguageError
    except ImportError:
        from proxylm_harness.languages.codes import UnknownLanguageError

    with pytest.raises(UnknownLanguageError):
        resolve("xnli_qq")


def test_entry_is_frozen():
    entry = resolve("xnli_sw")
    with pytest.raises(Exception):
        entry.source_lang = "eng"


# --------------------------------------------------------------------------------------------------------
# Import weight
# --------------------------------------------------------------------------------------------------------


def test_import_is_plain_data():
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        import proxylm_harness.languages.task_map
        new = {m.split(".")[0] for m in set(sys.modules) - before} - {"proxylm_harness"}
        heavy = [m for m in ("lm_eval", "numpy", "pandas", "urielplus") if m in sys.modules]
        non_std = sorted(m for m in new if m not in sys.stdlib_module_names)
        print(heavy, non_std)
        assert not heavy and not non_std, (heavy, non_std)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------------------------------------
# 0.3-era names
# --------------------------------------------------------------------------------------------------------


def _old_task_names() -> set[str]:
    names = set()
    for path in glob.glob(OLD_RESULTS_GLOB):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        names |= set(data.get("results", {})) | set(data.get("versions", {}))
    return names


def test_modern_task_name_examples():
    assert modern_task_name("xstory_cloze_sw") == "xstorycloze_sw"
    assert modern_task_name("pawsx_de") == "paws_de"
    assert modern_task_name("xnli_sw") == "xnli_sw"
    assert modern_task_name("xcopa_qu") == "xcopa_qu"
    assert modern_task_name("xwinograd_jp") == "xwinograd_jp"
    assert modern_task_name("pawsx") == "pawsx"  # today's group name, not a 0.3 task
    assert modern_task_name("xstorycloze_sw") == "xstorycloze_sw"  # idempotent on today's names


def test_modern_task_name_on_all_old_results(task_index):
    old = _old_task_names()
    if not old:
        pytest.skip(f"no 0.3-era result files at {OLD_RESULTS_GLOB}")
    assert len(old) == 50
    prefixes = {name.rsplit("_", 1)[0] for name in old}
    assert prefixes == {"xnli", "xcopa", "xstory_cloze", "xwinograd", "pawsx"}
    problems = []
    for name in sorted(old):
        new = modern_task_name(name)
        family = {"xstory_cloze": "xstorycloze", "pawsx": "pawsx"}.get(name.rsplit("_", 1)[0], name.rsplit("_", 1)[0])
        if name.startswith(("xnli_", "xcopa_", "xwinograd_")) and new != name:
            problems.append(f"{name} -> {new}: should be unchanged")
        if new not in task_index or _kind(task_index[new]) not in ("TASK", "PY_TASK"):
            problems.append(f"{name} -> {new}: not a task in lm-eval 0.4.13")
            continue
        entry = resolve(new)
        if entry is None or entry.family != family:
            problems.append(f"{name} -> {new}: resolves to {entry}")
        elif entry.source_lang != _language_key(name.rsplit("_", 1)[1]):
            problems.append(f"{name} -> {new}: language {entry.source_lang}")
    assert not problems, "\n".join(problems)
