"""Write the MASSIVE task YAMLs: intent classification and slot filling for each locale, and their groups.

Usage: python tasks/massive/_generate_configs.py [--output-dir DIR] [--overwrite]
"""

from proxylm_harness.lm_eval_bridge.task_files import generated_yaml, run_generator
from proxylm_harness.lm_eval_bridge.task_metadata import metadata_config

# The 51 locales of MASSIVE 1.0 (those of ProxyLM's intent records). MASSIVE 1.1 adds ca-ES: append it here
# to ship it too.
LOCALES = (
    "af-ZA", "am-ET", "ar-SA", "az-AZ", "bn-BD", "cy-GB", "da-DK", "de-DE", "el-GR", "en-US", "es-ES",
    "fa-IR", "fi-FI", "fr-FR", "he-IL", "hi-IN", "hu-HU", "hy-AM", "id-ID", "is-IS", "it-IT", "ja-JP",
    "jv-ID", "ka-GE", "km-KH", "kn-IN", "ko-KR", "lv-LV", "ml-IN", "mn-MN", "ms-MY", "my-MM", "nb-NO",
    "nl-NL", "pl-PL", "pt-PT", "ro-RO", "ru-RU", "sl-SL", "sq-AL", "sv-SE", "sw-KE", "ta-IN", "te-IN",
    "th-TH", "tl-PH", "tr-TR", "ur-PK", "vi-VN", "zh-CN", "zh-TW",
)
# family -> (task name prefix, template, metric the group averages)
FAMILIES = {
    "intent": ("massive_intent", "_intent_template_yaml", "acc"),
    "slot": ("massive_slot", "_slot_template_yaml", "slot_f1"),
}
VERSION = 1.0


def configs() -> dict:
    """{file name: YAML text} of every MASSIVE task and group."""
    files = {}
    for family, (prefix, template, metric) in FAMILIES.items():
        tasks = []
        for locale in LOCALES:
            task = f"{prefix}_{locale}"
            tasks.append(task)
            files[f"{task}.yaml"] = generated_yaml({
                "include": template,
                "task": task,
                "dataset_kwargs": {"locale": locale},
                "metadata": metadata_config(family, locale, locale, "massive", VERSION),
            })
        files[f"_{prefix}.yaml"] = generated_yaml({
            "group": prefix,
            "task": tasks,
            "aggregate_metric_list": [{"metric": metric, "aggregation": "mean", "weight_by_size": True}],
            "metadata": {"version": VERSION},
        })
    return files


if __name__ == "__main__":
    run_generator(configs(), script=__file__)
