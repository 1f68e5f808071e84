"""Tests for proxylm_harness.languages.codes: every code the shipped tasks and record files use normalises."""

import csv
from pathlib import Path

import pytest
from conftest import RECORDS_DIR

from proxylm_harness.languages import codes as languages
from proxylm_harness.languages import (
    UnknownLanguageError,
    equivalent_codes,
    is_known,
    iso639_3,
    known_codes,
    language_key,
    normalize,
)

# MASSIVE's locales (zh-CN and zh-TW are both Chinese); the intent records use all but ca-ES.
MASSIVE = {
    "af-ZA": "afr", "am-ET": "amh", "ar-SA": "ara", "az-AZ": "aze", "bn-BD": "ben", "ca-ES": "cat",
    "cy-GB": "cym", "da-DK": "dan", "de-DE": "deu", "el-GR": "ell", "en-US": "eng", "es-ES": "spa",
    "fa-IR": "fas", "fi-FI": "fin", "fr-FR": "fra", "he-IL": "heb", "hi-IN": "hin", "hu-HU": "hun",
    "hy-AM": "hye", "id-ID": "ind", "is-IS": "isl", "it-IT": "ita", "ja-JP": "jpn", "jv-ID": "jav",
    "ka-GE": "kat", "km-KH": "khm", "kn-IN": "kan", "ko-KR": "kor", "lv-LV": "lav", "ml-IN": "mal",
    "mn-MN": "mon", "ms-MY": "msa", "my-MM": "mya", "nb-NO": "nor", "nl-NL": "nld", "pl-PL": "pol",
    "pt-PT": "por", "ro-RO": "ron", "ru-RU": "rus", "sl-SL": "slv", "sq-AL": "sqi", "sv-SE": "swe",
    "sw-KE": "swa", "ta-IN": "tam", "te-IN": "tel", "th-TH": "tha", "tl-PH": "tgl", "tr-TR": "tur",
    "ur-PK": "urd", "vi-VN": "vie", "zh-CN": "zho", "zh-TW": "zho",
}

# FLORES-200 codes of the 50 MT560 languages (plus English) and the ISO 639-3 code the records use.
FLORES_MT560 = {
    "afr_Latn": "afr", "amh_Ethi": "amh", "arz_Arab": "arz", "bak_Cyrl": "bak", "bel_Cyrl": "bel",
    "ceb_Latn": "ceb", "cym_Latn": "cym", "deu_Latn": "deu", "dik_Latn": "dik", "eng_Latn": "eng",
    "ewe_Latn": "ewe", "fao_Latn": "fao", "fra_Latn": "fra", "guj_Gujr": "guj", "hau_Latn": "hau",
    "hne_Deva": "hne", "hye_Armn": "hye", "ibo_Latn": "ibo", "ind_Latn": "ind", "jav_Latn": "jav",
    "kan_Knda": "kan", "kat_Geor": "kat", "kaz_Cyrl": "kaz", "khm_Khmr": "khm", "kin_Latn": "kin",
    "kir_Cyrl": "kir", "kor_Hang": "kor", "lmo_Latn": "lmo", "ltz_Latn": "ltz", "mar_Deva": "mar",
    "mri_Latn": "mri", "mya_Mymr": "mya", "oci_Latn": "oci", "pan_Guru": "pan", "plt_Latn": "plt",
    "rus_Cyrl": "rus", "sin_Sinh": "sin", "sna_Latn": "sna", "snd_Arab": "snd", "som_Latn": "som",
    "ssw_Latn": "ssw", "tam_Taml": "tam", "tat_Cyrl": "tat", "tgl_Latn": "tgl", "tuk_Latn": "tuk",
    "vie_Latn": "vie", "wol_Latn": "wol", "xho_Latn": "xho", "yor_Latn": "yor", "zho_Hans": "zho",
    "zul_Latn": "zul",
}


@pytest.fixture(scope="module")
def record_codes():
    path = RECORDS_DIR
    files = ["mt560_experiments.csv", "nusa_experiments.csv", "intent_experiments.csv"]
    if not all((path / name).exists() for name in files):
        pytest.skip(f"ProxyLM record files not found in {path} (set PROXYLM_RECORDS)")
    codes = {}
    for name in files:
        with open(path / name, newline="", encoding="utf-8") as handle:
            rows = csv.DictReader(handle)
            codes[name] = {code for row in rows for code in (row["source_lang"], row["target_lang"])}
    return codes


@pytest.mark.parametrize("locale", sorted(MASSIVE))
def test_every_massive_locale_normalises(locale):
    assert normalize(locale) == MASSIVE[locale]
    assert normalize(locale.replace("-", "_")) == MASSIVE[locale]
    assert normalize(locale.split("-")[0]) == MASSIVE[locale]


def test_massive_locales_give_distinct_keys():
    keys = [language_key(locale) for locale in MASSIVE]
    assert len(set(keys)) == len(MASSIVE)


def test_every_record_file_code_normalises(record_codes):
    for name, codes in record_codes.items():
        unknown = sorted(code for code in codes if not is_known(code))
        assert unknown == [], f"{name}: {unknown}"


def test_record_file_codes_keep_their_identity(record_codes):
    # Distinct codes in a record file must stay distinct languages (plus zh-CN/zh-TW as keys).
    for name, codes in record_codes.items():
        assert len({language_key(code) for code in codes}) == len(codes), name


def test_nusa_codes_are_not_merged():
    nusa = ["bew", "btk", "ind", "jav", "mad", "mak", "min", "sun"]
    assert [normalize(code) for code in nusa] == nusa


@pytest.mark.parametrize("flores", sorted(FLORES_MT560))
def test_flores_codes_of_mt560_languages_normalise(flores):
    assert normalize(flores) == normalize(FLORES_MT560[flores])
    assert language_key(flores) == normalize(flores)  # default scripts carry no suffix


@pytest.mark.parametrize(
    "codes",
    [
        ["zh", "zho", "cmn", "zh-CN", "zh-TW", "zho_Hans", "zho_Hant", "cmn_Hani", "chi", "ZH-tw"],
        ["ms", "msa", "zsm", "zsm_Latn", "ms-MY", "may"],
        ["sw", "swa", "swh", "swh_Latn", "sw-KE"],
        ["ar", "ara", "arb", "arb_Arab", "ar-SA"],
        ["fa", "fas", "pes", "pes_Arab", "fa-IR", "per"],
        ["mg", "mlg", "plt", "plt_Latn"],
        ["et", "est", "ekk", "est_Latn"],
        ["lv", "lav", "lvs", "lvs_Latn", "lv-LV"],
        ["ne", "nep", "npi", "npi_Deva"],
        ["or", "ori", "ory", "ory_Orya"],
        ["uz", "uzb", "uzn", "uzn_Latn"],
        ["mn", "mon", "khk", "khk_Cyrl", "mn-MN"],
        ["az", "aze", "azj", "azj_Latn", "az-AZ"],
        ["om", "orm", "gaz", "gaz_Latn"],
        ["sq", "sqi", "als", "als_Latn", "sq-AL"],
        ["yi", "yid", "ydd", "ydd_Hebr"],
        ["gn", "grn", "gug", "grn_Latn"],
        ["ku", "kur", "kmr", "kmr_Latn"],
        ["ps", "pus", "pbt", "pbt_Arab"],
        ["no", "nor", "nb", "nob", "nb-NO", "nob_Latn"],
        ["kr", "kau", "knc", "knc_Latn"],
        ["din", "dik", "dik_Latn"],
        ["tl", "tgl", "fil", "tl-PH", "tgl_Latn"],
        ["he", "heb", "iw", "he-IL"],
    ],
    ids=lambda codes: codes[0],
)
def test_macrolanguage_and_principal_member_are_one_language(codes):
    assert {normalize(code) for code in codes} == {normalize(codes[0])}


@pytest.mark.parametrize(
    "individual, macro",
    [("ind", "ms"), ("arz", "ar"), ("ary", "ar"), ("prs", "fa"), ("azb", "az"), ("nno", "no"), ("yue", "zh"),
     ("ckb", "ku"), ("hrv", "srp"), ("bos", "hrv"), ("cat", "spa")],
)
def test_distinct_individual_languages_are_not_merged(individual, macro):
    assert normalize(individual) != normalize(macro)
    assert normalize(individual) == individual


def test_canonical_side_is_the_macro_code():
    assert [normalize(code) for code in ("cmn", "zsm", "swh", "plt", "dik")] == ["zho", "msa", "swa", "mlg", "din"]
    assert equivalent_codes("cmn_Hans") == ("zho", "cmn")
    assert equivalent_codes("afr") == ("afr",)


def test_simplified_and_traditional_chinese_are_distinct_keys():
    simplified = {language_key(c) for c in ("zh", "zh-CN", "zh-SG", "zho_Hans", "cmn_Hani", "zh-Hans", "zho")}
    traditional = {language_key(c) for c in ("zh-TW", "zh-HK", "zh_TW", "zho_Hant", "zh-Hant", "ZH-tw", "zh-Hant-TW")}
    assert simplified == {"zho"}
    assert traditional == {"zho_Hant"}
    assert iso639_3("zho_Hant") == "zho"


def test_non_default_scripts_are_kept_in_the_key():
    assert language_key("sr-Latn") == "srp_Latn"
    assert language_key("srp_Cyrl") == "srp"
    assert language_key("arb_Latn") == "ara_Latn"
    assert language_key("ace_Arab") == "ace_Arab"
    assert language_key("knc_Latn") == "kau"
    assert language_key("eng_Latn") == "eng"


def test_case_and_whitespace_are_tolerated():
    assert normalize("  ZH-tw\n") == "zho"
    assert language_key("ZHO_HANT") == "zho_Hant"
    assert normalize("AF_za") == "afr"


def test_unknown_code_error_names_the_code_and_suggests_close_ones():
    with pytest.raises(UnknownLanguageError) as info:
        normalize("engl")
    message = str(info.value)
    assert "'engl'" in message
    assert "Closest known codes:" in message and "eng" in message
    assert "Hint:" in message


@pytest.mark.parametrize("bad", ["", "   ", "x", "zz", "qqqq", "en-US-x-foo", "zh/TW", "eng_Latn_Cyrl"])
def test_malformed_or_unknown_codes_raise(bad):
    with pytest.raises(UnknownLanguageError, match="Hint:"):
        normalize(bad)
    assert not is_known(bad)


def test_unknown_language_error_is_a_value_error():
    assert issubclass(UnknownLanguageError, ValueError)
    with pytest.raises(TypeError, match="must be a str"):
        normalize(None)


def test_known_codes_cover_iso_639_1_and_3():
    codes = known_codes()
    assert {"en", "zh", "eng", "zho", "cmn", "btk", "fil"} <= codes
    assert len(codes) > 7000
    assert all(is_known(code) for code in ("en", "eng", "btk"))


def test_bibliographic_aliases_never_shadow_iso_639_3_codes():
    universe = languages._iso639_3_universe()
    shadowed = {alias for alias in languages._ALIASES if alias in universe}
    assert shadowed == {"fil"}  # deliberate: Filipino is read as Tagalog


def test_every_iso_639_1_code_maps_into_the_universe():
    universe = languages._iso639_3_universe()
    assert {iso3 for iso3 in languages._ISO639_1.values()} <= universe


def test_macrolanguage_table_codes_are_all_known():
    universe = languages._iso639_3_universe()
    for macro, member in languages.MACROLANGUAGE_MEMBERS.items():
        assert macro in universe and member in universe


def test_importing_the_module_does_not_load_uriel_data():
    # The lookup table is built on first use, so a fresh interpreter can import it cheaply.
    import subprocess
    import sys

    code = "import proxylm_harness.languages.codes as l; print(l._iso639_3_universe.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["0"]
