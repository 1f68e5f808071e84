"""Write the NusaTranslation task YAMLs: Indonesian to and from each local language, and the group.

Usage: python tasks/nusatranslation/_generate_configs.py [--output-dir DIR] [--overwrite]
"""

from proxylm_harness.task_metadata import generated_yaml, metadata_config, run_generator

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
    files, tasks = {}, []
    for language in LANGUAGES.items():
        for (source, source_name), (target, target_name) in ((PIVOT, language), (language, PIVOT)):
            task = f"{GROUP}_{source}-{target}"
            tasks.append(task)
            files[f"{task}.yaml"] = generated_yaml({
                "include": "_default_template_yaml",
                "task": task,
                "dataset_kwargs": {"source": source, "target": target},
                "doc_to_text": f"{source_name}: {{{{source}}}}\n{target_name}:",
                "metadata": metadata_config("translation", source, target, GROUP, VERSION),
            })
    files[f"_{GROUP}.yaml"] = generated_yaml({
        "group": GROUP,
        "task": tasks,
        "aggregate_metric_list": [
            {"metric": metric, "aggregation": "mean", "weight_by_size": True} for metric in ("spbleu", "chrf_pp")
        ],
        "metadata": {"version": VERSION},
    })
    return files


if __name__ == "__main__":
    run_generator(configs(), script=__file__)
