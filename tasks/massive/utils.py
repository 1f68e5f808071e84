"""Functions the MASSIVE task YAMLs name with ``!function``; they live in the proxylm_harness package."""

from proxylm_harness.lm_eval_bridge.task_data import load_massive
from proxylm_harness.lm_eval_bridge.task_metrics import agg_slot_f1, slot_f1

__all__ = ["agg_slot_f1", "load_massive", "slot_f1"]
