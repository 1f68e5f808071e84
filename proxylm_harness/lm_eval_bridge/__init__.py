"""Everything that touches lm-eval: task metadata, task data loaders and metrics, the seq2seq model, the proxy
registry, running models through lm-eval, and the key of a run (the runs are kept in the records store).

Nothing here imports lm-eval until it is used. To add a proxy, ``PROXIES.register(name, ModelSpec(...))`` in
``proxies`` (or pass ``--proxies NAME=PATH``); to add a task family's loader or metric, write it in ``task_data``
or ``task_metrics`` and name it from the family's YAMLs through their ``utils.py``.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "task_metadata": ["METADATA_KEY", "TASKS_DIR", "TaskLanguages", "TaskMetadataError", "leaf_task_names",
                      "metadata_block", "metadata_config", "shipped_task_manager", "task_languages"],
    "task_files": ["generated_yaml", "run_generator", "translation_family", "write_generated"],
    "task_data": ["SOURCES", "LocalSource", "TaskDataError", "load_flores", "load_massive", "load_nusatranslation",
                  "local_dir"],
    "task_metrics": ["MissingTokenizerModelError", "agg_chrf_pp", "agg_slot_f1", "agg_spbleu", "chrf_pp", "slot_f1",
                     "spbleu"],
    "seq2seq_model": ["LanguageTokenError", "SEQ2SEQ_MODEL", "language_token", "register"],
    "proxies": ["PROXIES", "TARGETS", "ModelSpec", "ProxyError", "default_proxies", "parse_proxies",
                "target_record_name"],
    "model_runs": ["ModelRunError", "RunContext", "RunSettings", "TaskRun", "lm_eval_model", "model_revision",
                   "run_model", "store_name", "task_fingerprint"],
    "run_cache": ["CacheKey", "config_hash"],
})
