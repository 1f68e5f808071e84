"""Static language map for lm-eval 0.4.13's multilingual task families: leaf task name -> family, languages, dataset.

Standard library only at import; ``resolve`` normalises codes lazily with ``languages.codes.language_key``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = [
    "TaskLanguageEntry",
    "resolve",
    "modern_task_name",
    "FAMILIES",
    "CODE_OVERRIDES",
    "INCLUDE_LANGUAGE_NAMES",
    "EXPLICIT_ENTRIES",
    "OLD_TASK_PREFIXES",
    "TRANSLATE_TEST_TARGET",
]


@dataclass(frozen=True)
class TaskLanguageEntry:
    """Languages of one lm-eval leaf task.

    ``source_lang``: the language the evaluated text (context / passage / premise / question set) was written in.
    ``target_lang``: the language of the question and answer the model reads and produces.
    Both equal the task's language for a monolingual task. MLQA: source = context, target = question.
    Translate-test variants: source = the original language, target = English (what the model sees).
    The language of an instruction template or few-shot exemplars is not a data language: it is in ``variant``.
    ``dataset``: the Hugging Face dataset lm-eval loads (``dataset_path``). ``variant``: prompt/setting, or "".
    """

    task: str
    family: str
    source_lang: str
    target_lang: str
    dataset: str
    variant: str = ""


# Family -> the lm-eval group/tag names whose leaves (walked recursively) make up the family, the dataset(s)
# and the language convention. Several families have no aggregate group of their own in 0.4.13 (global_mmlu,
# include, mgsm, afrimmlu, afrimgsm): their roots are the per-language groups / tags lm-eval does define.
FAMILIES = {
    "xnli": {"roots": ("xnli",), "convention": "monolingual"},
    "xcopa": {"roots": ("xcopa",), "convention": "monolingual"},
    "xstorycloze": {"roots": ("xstorycloze",), "convention": "monolingual"},
    "xwinograd": {"roots": ("xwinograd",), "convention": "monolingual"},
    "pawsx": {"roots": ("pawsx",), "convention": "monolingual"},
    "belebele": {"roots": ("belebele",), "convention": "monolingual (passage, question and answers share a language)"},
    "global_mmlu": {
        "roots": tuple(f"global_mmlu_{c}" for c in "ar bn de en es fr hi id it ja ko pt sw yo zh".split())
        + tuple(
            f"global_mmlu_full_{c}"
            for c in (
                "am ar bn cs de el en es fa fil fr ha he hi id ig it ja ko ky lt mg ms ne nl ny pl pt ro ru si sn "
                "so sr sv sw te tr uk vi yo zh"
            ).split()
        ),
        "convention": "monolingual; variant 'lite' (Global-MMLU-Lite, 6 category leaves) or 'full' (57 subjects)",
    },
    "mgsm": {
        "roots": ("mgsm_direct", "mgsm_cot_native"),
        "convention": "monolingual: the question language; en_cot = English chain-of-thought exemplars (variant)",
    },
    "afrixnli": {
        "roots": ("afrixnli", "afrixnli-irokobench", "afrixnli_tt-irokobench"),
        "convention": "monolingual; translate-test variants: source = original language, target = eng",
    },
    "afrimmlu": {
        "roots": ("afrimmlu-irokobench", "afrimmlu_tt-irokobench"),
        "convention": "monolingual; translate-test variants: source = original language, target = eng",
    },
    "afrimgsm": {
        "roots": (
            "afrimgsm-irokobench",
            "afrimgsm_cot-irokobench",
            "afrimgsm_tt-irokobench",
            "afrimgsm_tt_cot-irokobench",
        ),
        "convention": "monolingual; translate-test variants: source = original language, target = eng",
    },
    "arc_multilingual": {"roots": ("arc_multilingual",), "convention": "monolingual (okapi, machine-translated)"},
    "hellaswag_multilingual": {"roots": ("hellaswag_multilingual",), "convention": "monolingual (okapi)"},
    "m_mmlu": {"roots": ("m_mmlu",), "convention": "monolingual (okapi)"},
    "truthfulqa_multilingual": {"roots": ("truthfulqa_multilingual",), "convention": "monolingual (okapi)"},
    "include": {
        "roots": tuple(
            f"include_base_44_{name}{suffix}"
            for name in (
                "albanian arabic armenian azerbaijani basque belarusian bengali bulgarian chinese croatian dutch "
                "estonian finnish french georgian german greek hebrew hindi hungarian indonesian italian japanese "
                "kazakh korean lithuanian malay malayalam nepali north_macedonian persian polish portuguese "
                "russian serbian spanish tagalog tamil telugu turkish ukrainian urdu uzbek vietnamese"
            ).split()
            for suffix in ("", "_few_shot_en", "_few_shot_og")
        ),
        "convention": "monolingual; variant default / few_shot_en (English instructions) / few_shot_og",
    },
    "xquad": {"roots": ("xquad",), "convention": "monolingual (context and question share a language)"},
    "mlqa": {
        "roots": ("mlqa",),
        "convention": "cross-lingual: mlqa_<context>_<question>; source = context, target = question "
        "(the answer is a span of the context, so it is in the source language)",
    },
    "lambada_multilingual": {"roots": ("lambada_multilingual",), "convention": "monolingual (machine-translated)"},
    "lambada_multilingual_stablelm": {"roots": ("lambada_multilingual_stablelm",), "convention": "monolingual"},
    "truthfulqa-multi": {
        "roots": ("truthfulqa-multi", "truthfulqa_multi"),
        "convention": "monolingual; mc1/mc2 are tagged 'truthfulqa-multi', gen is tagged 'truthfulqa_multi'",
    },
    "mmmlu": {"roots": ("mmmlu",), "convention": "monolingual; task names carry a locale (ar_xy, pt_br, zh_cn)"},
    "indicxnli": {"roots": ("indicxnli_gu",), "convention": "monolingual; only Gujarati ships (no group)"},
    "arc_challenge_mt": {"roots": ("arc_challenge_mt",), "convention": "monolingual (machine-translated)"},
    "xnli_eu": {
        "roots": ("xnli_eu", "xnli_eu_mt_native"),
        "convention": "monolingual Basque; variant translated / mt / native",
    },
}

# Codes in lm-eval task names that the normaliser does not know, mapped to a code it does know.
CODE_OVERRIDES = {
    "jp": "ja",  # xwinograd_jp: "jp" is the country code, Japanese is ISO 639-1 "ja"
    "va": "ca",  # xnli_va (catalan_bench): Valencian, the Valencian Community's name for Catalan (no own code)
}

# INCLUDE names its tasks by English language name (the dataset's config name, lower-cased, spaces -> "_").
INCLUDE_LANGUAGE_NAMES = {
    "albanian": "sq", "arabic": "ar", "armenian": "hy", "azerbaijani": "az", "basque": "eu", "belarusian": "be",
    "bengali": "bn", "bulgarian": "bg", "chinese": "zh", "croatian": "hr", "dutch": "nl", "estonian": "et",
    "finnish": "fi", "french": "fr", "georgian": "ka", "german": "de", "greek": "el", "hebrew": "he",
    "hindi": "hi", "hungarian": "hu", "indonesian": "id", "italian": "it", "japanese": "ja", "kazakh": "kk",
    "korean": "ko", "lithuanian": "lt", "malay": "ms", "malayalam": "ml", "nepali": "ne",
    "north_macedonian": "mk", "persian": "fa", "polish": "pl", "portuguese": "pt", "russian": "ru",
    "serbian": "sr", "spanish": "es", "tagalog": "tl", "tamil": "ta", "telugu": "te", "turkish": "tr",
    "ukrainian": "uk", "urdu": "ur", "uzbek": "uz", "vietnamese": "vi",
}

# Language the model sees in a translate-test variant (test set machine-translated into English).
TRANSLATE_TEST_TARGET = "eng"

# The 57 MMLU subjects (leaf suffixes of global_mmlu full and mmmlu; anything else there is a group or tag).
_MMLU_SUBJECTS = (
    "abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology college_chemistry "
    "college_computer_science college_mathematics college_medicine college_physics computer_security "
    "conceptual_physics econometrics electrical_engineering elementary_mathematics formal_logic global_facts "
    "high_school_biology high_school_chemistry high_school_computer_science high_school_european_history "
    "high_school_geography high_school_government_and_politics high_school_macroeconomics "
    "high_school_mathematics high_school_microeconomics high_school_physics high_school_psychology "
    "high_school_statistics high_school_us_history high_school_world_history human_aging human_sexuality "
    "international_law jurisprudence logical_fallacies machine_learning management marketing medical_genetics "
    "miscellaneous moral_disputes moral_scenarios nutrition philosophy prehistory professional_accounting "
    "professional_law professional_medicine professional_psychology public_relations security_studies "
    "sociology us_foreign_policy virology world_religions"
).split()
# Global-MMLU-Lite leaves are per category; INCLUDE leaves are per domain.
_LITE_CATEGORIES = ("business", "humanities", "medical", "other", "social_sciences", "stem")
_INCLUDE_DOMAINS = (
    "applied_science", "arts_humanities", "business_commerce", "driving_license", "general_knowledge",
    "health_oriented_education", "marine_license", "medical_license", "professional_certification",
    "social_science", "stem",
)


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_C2 = r"(?P<lang>[a-z]{2})"  # ISO 639-1
_C3 = r"(?P<lang>[a-z]{3})"  # ISO 639-3
_SUBJ = f"(?:{_alt(_MMLU_SUBJECTS)})"

# (family, full-match pattern, dataset, variant, mode). mode: "mono" (source = target = lang),
# "tt" (translate-test: source = lang, target = English), "xling" (groups src / tgt), "name" (INCLUDE name).
# The variant may name regex groups as {group}. First match wins.
_RULES = (
    ("xnli", rf"xnli_{_C2}", "facebook/xnli", "", "mono"),
    ("xcopa", rf"xcopa_{_C2}", "cambridgeltl/xcopa", "", "mono"),
    ("xstorycloze", rf"xstorycloze_{_C2}", "juletxara/xstory_cloze", "", "mono"),
    ("xwinograd", rf"xwinograd_{_C2}", "Muennighoff/xwinograd", "", "mono"),
    ("pawsx", rf"paws_{_C2}", "google-research-datasets/paws-x", "", "mono"),
    ("belebele", r"belebele_(?P<lang>[a-z]{3}_[A-Z][a-z]{3})", "facebook/belebele", "", "mono"),
    ("global_mmlu", rf"global_mmlu_full_(?P<lang>[a-z]{{2,3}})_{_SUBJ}", "CohereForAI/Global-MMLU", "full", "mono"),
    (
        "global_mmlu",
        rf"global_mmlu_(?P<lang>[a-z]{{2,3}})_(?:{_alt(_LITE_CATEGORIES)})",
        "CohereForAI/Global-MMLU-Lite",
        "lite",
        "mono",
    ),
    ("mgsm", rf"mgsm_(?P<v>direct|en_cot|native_cot)_{_C2}", "juletxara/mgsm", "{v}", "mono"),
    # AfriXNLI, original anli / Lai prompts (tag "afrixnli").
    ("afrixnli", rf"afrixnli_(?P<v>en_direct|native_direct|manual_direct)_{_C3}", "masakhane/afrixnli", "{v}", "mono"),
    (
        "afrixnli",
        rf"afrixnli_(?P<v>translate|manual_translate)_{_C3}",
        "masakhane/afrixnli-translate-test",
        "{v}",
        "tt",
    ),
    # AfriXNLI / AfriMMLU / AfriMGSM IrokoBench per-prompt variants.
    ("afrixnli", rf"afrixnli_{_C3}_prompt_(?P<p>\d+)", "masakhane/afrixnli", "prompt_{p}", "mono"),
    (
        "afrixnli",
        rf"afrixnli_translate_{_C3}_prompt_(?P<p>\d+)",
        "masakhane/afrixnli-translate-test",
        "translate_prompt_{p}",
        "tt",
    ),
    ("afrimmlu", rf"afrimmlu_direct_{_C3}_prompt_(?P<p>\d+)", "masakhane/afrimmlu", "direct_prompt_{p}", "mono"),
    (
        "afrimmlu",
        rf"afrimmlu_translate_{_C3}_prompt_(?P<p>\d+)",
        "masakhane/afrimmlu-translate-test",
        "translate_prompt_{p}",
        "tt",
    ),
    ("afrimgsm", rf"afrimgsm_{_C3}_prompt_(?P<p>\d+)", "masakhane/afrimgsm", "prompt_{p}", "mono"),
    ("afrimgsm", rf"afrimgsm_cot_{_C3}_prompt_(?P<p>\d+)", "masakhane/afrimgsm", "cot_prompt_{p}", "mono"),
    (
        "afrimgsm",
        rf"afrimgsm_translate_{_C3}_prompt_(?P<p>\d+)",
        "masakhane/afrimgsm-translate-test",
        "translate_prompt_{p}",
        "tt",
    ),
    (
        "afrimgsm",
        rf"afrimgsm_cot_translate_{_C3}_prompt_(?P<p>\d+)",
        "masakhane/afrimgsm-translate-test",
        "cot_translate_prompt_{p}",
        "tt",
    ),
    # okapi (alexandrainst machine translations).
    ("arc_multilingual", rf"arc_{_C2}", "alexandrainst/m_arc", "", "mono"),
    ("hellaswag_multilingual", rf"hellaswag_{_C2}", "alexandrainst/m_hellaswag", "", "mono"),
    ("m_mmlu", rf"m_mmlu_{_C2}", "alexandrainst/m_mmlu", "", "mono"),
    ("truthfulqa_multilingual", rf"truthfulqa_{_C2}_(?P<v>mc1|mc2)", "alexandrainst/m_truthfulqa", "{v}", "mono"),
    (
        "include",
        rf"include_base_44_(?P<name>{_alt(INCLUDE_LANGUAGE_NAMES)})(?:_(?P<v>few_shot_en|few_shot_og))?"
        rf"_(?:{_alt(_INCLUDE_DOMAINS)})",
        "CohereForAI/include-base-44",
        "{v}",
        "name",
    ),
    ("xquad", rf"xquad_{_C2}", "google/xquad", "", "mono"),
    ("mlqa", r"mlqa_(?P<src>[a-z]{2})_(?P<tgt>[a-z]{2})", "facebook/mlqa", "", "xling"),
    ("lambada_multilingual", rf"lambada_openai_mt_{_C2}", "EleutherAI/lambada_openai", "", "mono"),
    (
        "lambada_multilingual_stablelm",
        rf"lambada_openai_mt_stablelm_{_C2}",
        "EleutherAI/lambada_multilingual_stablelm",
        "",
        "mono",
    ),
    ("truthfulqa-multi", rf"truthfulqa-multi_(?P<v>gen|mc1|mc2)_{_C2}", "HiTZ/truthfulqa-multi", "{v}", "mono"),
    ("mmmlu", rf"mmmlu_(?P<lang>[a-z]{{2}}_[a-z]{{2}})_{_SUBJ}", "openai/MMMLU", "", "mono"),
    ("indicxnli", rf"indicxnli_{_C2}", "Divyanshu/indicxnli", "", "mono"),
    ("arc_challenge_mt", rf"arc_challenge_mt_{_C2}", "LumiOpen/arc_challenge_mt", "", "mono"),
)
_COMPILED = tuple((fam, re.compile(pat), ds, var, mode) for fam, pat, ds, var, mode in _RULES)

# Leaves whose name the rules cannot read (or would read wrongly): task -> (family, source code, target code,
# dataset, variant). Codes are normalised like the parsed ones. Checked before the rules.
EXPLICIT_ENTRIES = {
    # spanish_bench's copy of mgsm_direct_es, also tagged mgsm_direct: same data, another prompt.
    "mgsm_direct_es_spanish_bench": ("mgsm", "es", "es", "juletxara/mgsm", "direct_spanish_bench"),
    # Icelandic ARC comes from a different dataset than the other arc_challenge_mt languages.
    "arc_challenge_mt_is": ("arc_challenge_mt", "is", "is", "mideind/icelandic-arc-challenge", ""),
    # HiTZ Basque XNLI (not in the xnli group): professionally translated, machine-translated, native test sets.
    "xnli_eu": ("xnli_eu", "eu", "eu", "HiTZ/xnli-eu", "translated"),
    "xnli_eu_mt": ("xnli_eu", "eu", "eu", "HiTZ/xnli-eu", "mt"),
    "xnli_eu_native": ("xnli_eu", "eu", "eu", "HiTZ/xnli-eu", "native"),
    # Regional benchmarks re-use family-shaped names for their own translations. They are not leaves of
    # xnli / pawsx / xcopa / ...: the family is the lm-eval group (or tag) that holds them.
    "xnli_ca": ("catalan_bench", "ca", "ca", "projecte-aina/xnli-ca", ""),
    "xnli_va": ("catalan_bench", "va", "va", "gplsi/xnli_va", "valencian"),
    "paws_ca": ("catalan_bench", "ca", "ca", "projecte-aina/PAWS-ca", ""),
    "xquad_ca": ("catalan_bench", "ca", "ca", "projecte-aina/xquad-ca", ""),
    "xstorycloze_ca": ("catalan_bench", "ca", "ca", "projecte-aina/xstorycloze_ca", ""),
    "mgsm_direct_ca": ("catalan_bench", "ca", "ca", "projecte-aina/mgsm_ca", "direct"),
    "xcopa_eu": ("basque_bench", "eu", "eu", "HiTZ/XCOPA-eu", ""),
    "paws_eu": ("basque_bench", "eu", "eu", "HiTZ/PAWS-eu", ""),
    "mgsm_direct_eu": ("basque_bench", "eu", "eu", "HiTZ/MGSM-eu", "direct"),
    "mgsm_native_cot_eu": ("basque_bench", "eu", "eu", "HiTZ/MGSM-eu", "native_cot"),
    "xnli_gl": ("galician_bench", "gl", "gl", "proxectonos/xnli_gl", ""),
    "paws_gl": ("galician_bench", "gl", "gl", "proxectonos/PAWS-gl", ""),
    "xstorycloze_gl": ("galician_bench", "gl", "gl", "proxectonos/xstorycloze_gl", ""),
    "belebele_glg_Latn": ("galician_bench", "glg_Latn", "glg_Latn", "proxectonos/belebele_gl", ""),
    "mgsm_direct_gl": ("galician_bench", "gl", "gl", "proxectonos/mgsm_gl", "direct"),
    "truthfulqa_gl_mc1": ("truthfulqa_gl", "gl", "gl", "proxectonos/truthfulqa_gl", "mc1"),
    "truthfulqa_gl_mc2": ("truthfulqa_gl", "gl", "gl", "proxectonos/truthfulqa_gl", "mc2"),
}

# lm-eval 0.3-era task-name prefixes -> today's (xnli_, xcopa_, xwinograd_ are unchanged).
OLD_TASK_PREFIXES = {
    "xstory_cloze_": "xstorycloze_",
    "pawsx_": "paws_",
}


def _language_key(code: str) -> str:
    from .codes import language_key  # deferred: the map itself is plain data

    return language_key(CODE_OVERRIDES.get(code, code))


@functools.lru_cache(maxsize=8192)
def resolve(task_name: str) -> TaskLanguageEntry | None:
    """The family, languages and dataset of lm-eval leaf task ``task_name``; None for any other name.

    Group and tag names (``xnli``, ``belebele``, ``global_mmlu_full_sw``, ``mmmlu_ar_xy_stem``) are not leaves
    and give None. A name that has a family's shape but a language code the normaliser rejects raises
    ``UnknownLanguageError`` (add the code to ``CODE_OVERRIDES``).
    """
    if not isinstance(task_name, str):
        raise TypeError(f"task_name must be a str, got {type(task_name).__name__}")
    explicit = EXPLICIT_ENTRIES.get(task_name)
    if explicit is not None:
        family, source, target, dataset, variant = explicit
        return TaskLanguageEntry(
            task_name, family, _language_key(source), _language_key(target), dataset, variant
        )
    for family, pattern, dataset, variant, mode in _COMPILED:
        match = pattern.fullmatch(task_name)
        if match is None:
            continue
        groups = {k: (v or "") for k, v in match.groupdict().items()}
        if mode == "xling":
            source, target = _language_key(groups["src"]), _language_key(groups["tgt"])
        elif mode == "name":
            source = target = _language_key(INCLUDE_LANGUAGE_NAMES[groups["name"]])
        else:
            source = target = _language_key(groups["lang"])
            if mode == "tt":
                target = TRANSLATE_TEST_TARGET
        variant = variant.format(**groups)
        if family == "include" and not variant:
            variant = "default"
        return TaskLanguageEntry(task_name, family, source, target, dataset, variant)
    return None


def modern_task_name(old_name: str) -> str:
    """Today's lm-eval name of a 0.3-era task name (``xstory_cloze_sw`` -> ``xstorycloze_sw``,
    ``pawsx_de`` -> ``paws_de``); names that did not change (``xnli_sw``, ``xcopa_et``, ``xwinograd_jp``)
    come back as they are."""
    if not isinstance(old_name, str):
        raise TypeError(f"old_name must be a str, got {type(old_name).__name__}")
    for old, new in OLD_TASK_PREFIXES.items():
        if old_name.startswith(old):
            return new + old_name[len(old):]
    return old_name
