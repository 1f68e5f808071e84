"""Write the FLORES-200 task YAMLs: English to and from each MT560 language, and the group.

Usage: python tasks/flores200/_generate_configs.py [--output-dir DIR] [--overwrite]
"""

from proxylm_harness.lm_eval_bridge.task_files import run_generator, translation_family

PIVOT = ("eng_Latn", "English")
# FLORES-200 code -> English name of the 50 MT560 languages of ProxyLM's records (their ISO 639-3 code is the
# code's first part). All 50 are in FLORES-200; FLORES+ on the hub calls tgl_Latn fil_Latn and zho_Hans cmn_Hans.
LANGUAGES = {
    "afr_Latn": "Afrikaans", "amh_Ethi": "Amharic", "arz_Arab": "Egyptian Arabic", "bak_Cyrl": "Bashkir",
    "bel_Cyrl": "Belarusian", "ceb_Latn": "Cebuano", "cym_Latn": "Welsh", "deu_Latn": "German",
    "dik_Latn": "Southwestern Dinka", "ewe_Latn": "Ewe", "fao_Latn": "Faroese", "fra_Latn": "French",
    "guj_Gujr": "Gujarati", "hau_Latn": "Hausa", "hne_Deva": "Chhattisgarhi", "hye_Armn": "Armenian",
    "ibo_Latn": "Igbo", "ind_Latn": "Indonesian", "jav_Latn": "Javanese", "kan_Knda": "Kannada",
    "kat_Geor": "Georgian", "kaz_Cyrl": "Kazakh", "khm_Khmr": "Khmer", "kin_Latn": "Kinyarwanda",
    "kir_Cyrl": "Kyrgyz", "kor_Hang": "Korean", "lmo_Latn": "Lombard", "ltz_Latn": "Luxembourgish",
    "mar_Deva": "Marathi", "mri_Latn": "Maori", "mya_Mymr": "Burmese", "oci_Latn": "Occitan",
    "pan_Guru": "Eastern Panjabi", "plt_Latn": "Plateau Malagasy", "rus_Cyrl": "Russian", "sin_Sinh": "Sinhala",
    "sna_Latn": "Shona", "snd_Arab": "Sindhi", "som_Latn": "Somali", "ssw_Latn": "Swati", "tam_Taml": "Tamil",
    "tat_Cyrl": "Tatar", "tgl_Latn": "Tagalog", "tuk_Latn": "Turkmen", "vie_Latn": "Vietnamese",
    "wol_Latn": "Wolof", "xho_Latn": "Xhosa", "yor_Latn": "Yoruba", "zho_Hans": "Chinese (Simplified)",
    "zul_Latn": "Zulu",
}
GROUP = "flores200"
VERSION = 1.0


def configs() -> dict:
    """{file name: YAML text} of every FLORES-200 task and the group."""
    return translation_family(GROUP, PIVOT, LANGUAGES, VERSION)


if __name__ == "__main__":
    run_generator(configs(), script=__file__)
