"""Task families as data: one entry per family says its metric, scale, range, proxies, keys and matching records.

A *task family* groups tasks whose scores one predictor can estimate (translation, intent classification, slot
filling, and any lm-eval group: xnli, belebele, ...). Adding or tuning a family is one
``register_family(TaskFamily(...))`` call; a family with no entry gets ``family_for``'s defaults (the task's own
metric, the decoder-only proxies). Nothing else in the code branches on a family's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ._registry import Registry

__all__ = ["DECODER_PROXIES", "FAMILIES", "METRIC_RANGES", "TaskFamily", "ZeroShotRecords", "family_for",
           "family_names", "get_family", "metric_range", "register_family"]


class FamilyError(ValueError):
    """An unknown task family."""


@dataclass(frozen=True)
class ZeroShotRecords:
    """Rows of ProxyLM's records produced as lm-eval runs produce them: zero-shot proxies and a zero-shot target."""

    dataset: str
    metric: str
    proxy_columns: tuple[str, ...]


@dataclass(frozen=True)
class TaskFamily:
    """One task family.

    Parameters
    ----------
    name : the family's name, as a task's ``metadata.proxylm.family`` says it.
    lm_eval_metric : the metric key of lm-eval's results (``spbleu``: ``results[task]["spbleu,none"]``).
    records_metric : the same metric's name in ProxyLM's records (``spBLEU``).
    scale : records value = lm-eval value * scale (accuracy is 0-1 in lm-eval, 0-100 in the records).
    metric_range : the range of the lm-eval metric; estimates and interval bounds are clipped to it.
    proxies : registry names of the proxy models run on the family's tasks by default.
    records_proxies : ProxyLM's proxy score columns in the records (fine-tuned proxies, as its predictors use).
    keys : collaborative keys a predictor of this family encodes by default.
    zero_shot_records : the records' rows that match an lm-eval run (zero-shot), or None where the records have none.
    """

    name: str
    lm_eval_metric: str
    records_metric: str
    scale: float = 1.0
    metric_range: tuple[float, float] = (-math.inf, math.inf)
    proxies: tuple[str, ...] = ()
    records_proxies: tuple[str, ...] = ()
    keys: tuple[str, ...] = ("source_lang", "target_lang")
    zero_shot_records: ZeroShotRecords | None = None


FAMILIES = Registry("task family", error=FamilyError)


def register_family(family: TaskFamily) -> TaskFamily:
    return FAMILIES.register(family.name, family)


def get_family(name: str) -> TaskFamily:
    return FAMILIES.get(name)


def family_names() -> list[str]:
    return FAMILIES.names()


#: The proxies a family runs when its entry names none: the decoder-only ones.
DECODER_PROXIES = ("smollm_135m", "smollm_360m", "bloomz_560m")
_DECODER_RECORDS_PROXIES = ("smollm_135m_ft", "smollm_360m_ft", "bloomz_560m_ft")

register_family(TaskFamily(
    "translation", lm_eval_metric="spbleu", records_metric="spBLEU", scale=1.0, metric_range=(0.0, 100.0),
    proxies=("small100",), records_proxies=("trfm_scratch", "small100_ft", "small100_noft"),
    keys=("run", "pair", "source_lang", "target_lang", "train_dataset", "test_dataset"),
    zero_shot_records=ZeroShotRecords("mt560", "spBLEU", ("small100_noft",)),
))
register_family(TaskFamily(
    "intent", lm_eval_metric="acc", records_metric="accuracy", scale=100.0, metric_range=(0.0, 1.0),
    proxies=DECODER_PROXIES, records_proxies=_DECODER_RECORDS_PROXIES,
))
register_family(TaskFamily(
    "slot", lm_eval_metric="slot_f1", records_metric="f1", scale=100.0, metric_range=(0.0, 1.0),
    proxies=DECODER_PROXIES, records_proxies=_DECODER_RECORDS_PROXIES,
))


#: Ranges of lm-eval's common metrics (the name before any ``,filter``); others are unbounded.
METRIC_RANGES = {
    **dict.fromkeys(("acc", "acc_norm", "exact_match", "f1", "em", "brier_score", "slot_f1", "accuracy"), (0.0, 1.0)),
    "mcc": (-1.0, 1.0),
    **dict.fromkeys(("bleu", "chrf", "chrf_pp", "spbleu", "rouge1", "rouge2", "rougeL"), (0.0, 100.0)),
    **dict.fromkeys(("ter", "perplexity", "word_perplexity", "byte_perplexity", "bits_per_byte"), (0.0, math.inf)),
}


def metric_range(metric: str) -> tuple[float, float]:
    return METRIC_RANGES.get(metric.split(",")[0], (-math.inf, math.inf))


def family_for(name: str, task_metrics=(), metric: str | None = None) -> TaskFamily:
    """The family ``name`` as a run on tasks reporting ``task_metrics`` should use it, in ``metric`` (default: the
    family's own metric, else the tasks' first).

    A registered family is returned as it is when its metric is wanted; otherwise the family gets the chosen
    metric (scale 1, that metric's range), and a family with no entry the decoder-only proxies. Raises
    ``FamilyError`` for a ``metric`` the tasks do not report.
    """
    registered = FAMILIES.get(name) if name in FAMILIES else None
    if registered is not None and metric in (None, registered.lm_eval_metric):
        return registered
    task_metrics = list(task_metrics)
    if metric is not None and task_metrics and metric not in task_metrics:
        raise FamilyError(f"The {name} tasks report {task_metrics}, not {metric!r}. Hint: --metric one of those.")
    chosen = metric or (task_metrics[0] if task_metrics else None)
    if chosen is None:
        raise FamilyError(f"Cannot tell which metric the {name} tasks report (no metric_list). Hint: --metric NAME.")
    base = registered or TaskFamily(name, lm_eval_metric=chosen, records_metric=chosen, proxies=DECODER_PROXIES)
    return replace(base, lm_eval_metric=chosen, records_metric=chosen, scale=1.0, metric_range=metric_range(chosen),
                   zero_shot_records=None)
