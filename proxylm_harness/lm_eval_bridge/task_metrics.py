"""Metrics of the shipped task families as lm-eval metric/aggregation pairs: spBLEU, chrF++ and slot span F1.

In a task YAML (lm-eval calls the metric once per document and the aggregation once over all of them)::

    metric_list:
      - metric: !function proxylm_harness.lm_eval_bridge.task_metrics.spbleu
        aggregation: !function proxylm_harness.lm_eval_bridge.task_metrics.agg_spbleu
        higher_is_better: true

spBLEU is sacrebleu's BLEU on text cut into pieces by the FLORES-200 SentencePiece model (sacrebleu's
``flores200`` tokenizer). sacrebleu downloads that model on first use; here it is read from
``$PROXYLM_FLORES200_SPM`` or from where sacrebleu keeps it (``$SACREBLEU/models/flores200sacrebleuspm``,
``~/.sacrebleu`` by default) and never downloaded. spBLEU and chrF++ are on sacrebleu's 0-100 scale; slot F1
is on 0-1, like lm-eval's ``acc`` and ``f1``.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "FLORES200_SPM_ENV",
    "FLORES200_SPM_NAME",
    "MissingTokenizerModelError",
    "agg_chrf_pp",
    "agg_slot_f1",
    "agg_spbleu",
    "chrf_pp",
    "chrf_pp_score",
    "flores200_spm_path",
    "parse_slots",
    "slot_counts",
    "slot_f1",
    "slot_f1_score",
    "spbleu",
    "spbleu_score",
]

FLORES200_SPM_ENV = "PROXYLM_FLORES200_SPM"
# The file name sacrebleu gives the model it downloads for tokenize="flores200".
FLORES200_SPM_NAME = "flores200sacrebleuspm"


class MissingTokenizerModelError(FileNotFoundError):
    """The FLORES-200 SentencePiece model that spBLEU needs is not on disk; the message says where to put it."""


# ---------------------------------------------------------------------------------------------
# spBLEU and chrF++
# ---------------------------------------------------------------------------------------------

def flores200_spm_path() -> Path:
    """Where the FLORES-200 SentencePiece model is read from: ``$PROXYLM_FLORES200_SPM``, else sacrebleu's cache."""
    configured = os.environ.get(FLORES200_SPM_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise MissingTokenizerModelError(
                f"{FLORES200_SPM_ENV}={configured!r} names no file. It must point at the FLORES-200 SentencePiece "
                f"model (the file sacrebleu saves as {FLORES200_SPM_NAME}) that spBLEU tokenises with."
            )
        return path
    from sacrebleu.utils import SACREBLEU_DIR  # the folder sacrebleu itself reads ($SACREBLEU or ~/.sacrebleu)

    path = Path(SACREBLEU_DIR) / "models" / FLORES200_SPM_NAME
    if not path.is_file():
        raise MissingTokenizerModelError(
            f"spBLEU needs the FLORES-200 SentencePiece model and it is not at {path}; it is never downloaded at "
            f"run time. Hint: copy the model (the file sacrebleu fetches from https://tinyurl.com/flores200sacrebleuspm "
            f"for tokenize='flores200') to {path}, or set {FLORES200_SPM_ENV} to its path."
        )
    return path


@functools.lru_cache(maxsize=4)
def _spm_processor(path: str, mtime_ns: int):
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor()
    processor.Load(path)
    return processor


def _spm_pieces(path: Path):
    processor = _spm_processor(str(path), path.stat().st_mtime_ns)
    # What sacrebleu's flores200 tokenizer does to a segment (it strips trailing whitespace first).
    return lambda text: " ".join(processor.EncodeAsPieces(text.rstrip()))


def spbleu_score(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus spBLEU (0-100) of ``predictions`` against one reference each (sacrebleu, ``flores200`` pieces)."""
    from sacrebleu.metrics import BLEU

    predictions, references = _check_pairs(predictions, references)
    pieces = _spm_pieces(flores200_spm_path())
    bleu = BLEU(tokenize="none")
    return float(bleu.corpus_score([pieces(p) for p in predictions], [[pieces(r) for r in references]]).score)


def chrf_pp_score(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF++ (0-100): sacrebleu's ``CHRF(word_order=2)`` with one reference each."""
    from sacrebleu.metrics import CHRF

    predictions, references = _check_pairs(predictions, references)
    return float(CHRF(word_order=2).corpus_score(predictions, [references]).score)


def _check_pairs(predictions: Sequence[str], references: Sequence[str]) -> tuple[list[str], list[str]]:
    predictions, references = [str(p) for p in predictions], [str(r) for r in references]
    if len(predictions) != len(references):
        raise ValueError(
            f"Found {len(predictions)} predictions and {len(references)} references; they must pair up one to one."
        )
    if not predictions:
        raise ValueError("A corpus score needs at least one (prediction, reference) pair. Got none.")
    return predictions, references


def spbleu(references: Sequence[str], predictions: Sequence[str]) -> tuple[str, str]:
    """lm-eval metric: keeps one document's (reference, prediction) for ``agg_spbleu``."""
    return references[0], predictions[0]


def chrf_pp(references: Sequence[str], predictions: Sequence[str]) -> tuple[str, str]:
    """lm-eval metric: keeps one document's (reference, prediction) for ``agg_chrf_pp``."""
    return references[0], predictions[0]


def agg_spbleu(items: Iterable[tuple[str, str]]) -> float:
    """lm-eval aggregation: corpus spBLEU over the (reference, prediction) pairs of all documents."""
    references, predictions = _unzip(items)
    return spbleu_score(predictions, references)


def agg_chrf_pp(items: Iterable[tuple[str, str]]) -> float:
    """lm-eval aggregation: corpus chrF++ over the (reference, prediction) pairs of all documents."""
    references, predictions = _unzip(items)
    return chrf_pp_score(predictions, references)


def _unzip(items: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    pairs = list(items)
    return [reference for reference, _ in pairs], [prediction for _, prediction in pairs]


# ---------------------------------------------------------------------------------------------
# Slot filling: [slot : value] annotations and span F1
# ---------------------------------------------------------------------------------------------

# MASSIVE's annot_utt: "wake me up at [time : five am] [date : this week]". The slot type runs to the
# first colon; the value may hold colons of its own ("[time : 5:30 pm]").
_SLOT = re.compile(r"\[\s*([^\[\]:]+?)\s*:\s*([^\[\]]*?)\s*\]")


def parse_slots(annotated: str) -> list[tuple[str, str]]:
    """The (slot type, value) pairs of a ``[slot : value]``-annotated utterance, in order, whitespace normalised.

    >>> parse_slots("wake me up at [time : five am] [date : this week]")
    [('time', 'five am'), ('date', 'this week')]
    >>> parse_slots("no slots here")
    []
    """
    return [(" ".join(slot.split()), " ".join(value.split())) for slot, value in _SLOT.findall(str(annotated))]


def slot_counts(reference: str, prediction: str) -> tuple[int, int, int]:
    """(matched, predicted, gold) span counts of one utterance; spans match as (slot type, value) multisets."""
    gold, predicted = Counter(parse_slots(reference)), Counter(parse_slots(prediction))
    return sum((gold & predicted).values()), sum(predicted.values()), sum(gold.values())


def slot_f1_score(counts: Iterable[Sequence[int]]) -> float:
    """Micro span F1 (0-1) from per-utterance (matched, predicted, gold) counts; 0.0 when there are no spans."""
    matched = predicted = gold = 0
    for m, p, g in counts:
        matched, predicted, gold = matched + m, predicted + p, gold + g
    return 2.0 * matched / (predicted + gold) if predicted + gold else 0.0


def slot_f1(references: Sequence[str], predictions: Sequence[str]) -> tuple[int, int, int]:
    """lm-eval metric: one document's (matched, predicted, gold) slot span counts, for ``agg_slot_f1``."""
    return slot_counts(references[0], predictions[0])


def agg_slot_f1(items: Iterable[Sequence[int]]) -> float:
    """lm-eval aggregation: micro span F1 over all documents (0-1)."""
    return slot_f1_score(items)
