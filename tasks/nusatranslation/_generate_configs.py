"""Write the NusaTranslation task YAMLs: Indonesian to and from each local language, and the group.

Usage: python tasks/nusatranslation/_generate_configs.py [--output-dir DIR] [--overwrite]
"""

from proxylm_harness.lm_eval_bridge.task_files import run_generator, translation_family

PIVOT = ("ind", "Indonesian")
# The local languages of ProxyLM's NusaTranslation records; NusaTranslation has all seven (and abs, bhp, mui, rej).
LANGUAGES = {
    "bew": "Betawi", "btk": "Batak", "jav": "Javanese", "mad": "Madurese", "mak": "Makassarese",
    "min": "Minangkabau", "sun": "Sundanese",
}
GROUP = "nusatranslation"
VERSION = 1.0


def configs() -> dict:
    """{file name: YAML text} of every NusaTranslation task and the group."""
    return translation_family(GROUP, PIVOT, LANGUAGES, VERSION)


if __name__ == "__main__":
    run_generator(configs(), script=__file__)
