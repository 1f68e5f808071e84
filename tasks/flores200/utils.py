"""Functions the FLORES-200 task YAMLs name with ``!function``; they live in the proxylm_harness package."""

from proxylm_harness.lm_eval_bridge.task_data import load_flores
from proxylm_harness.lm_eval_bridge.task_metrics import agg_chrf_pp, agg_spbleu, chrf_pp, spbleu

__all__ = ["agg_chrf_pp", "agg_spbleu", "chrf_pp", "load_flores", "spbleu"]
