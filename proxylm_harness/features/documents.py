"""Dataset features computed from an lm-eval task's own documents (the test inputs), for predictors fitted on runs.

These are not ProxyLM's record columns (those were computed with tools and corpora not at hand here), so
they carry their own names, ``doc_*``, and only predictors fitted on lm-eval runs use them.
"""

from __future__ import annotations

import re

__all__ = ["DOCUMENT_FEATURES", "document_features"]

DOCUMENT_FEATURES = ("doc_count", "doc_avg_length", "doc_vocab_size", "doc_ttr")

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _tokens(text: str) -> list[str]:
    # Scripts written without spaces (zh, ja, th, km, my) come out as one token per run of letters; a
    # character-level fallback keeps their counts comparable with spaced scripts.
    words = _TOKEN.findall(text.lower())
    if words and max(map(len, words)) > 20:
        return [ch for ch in text if not ch.isspace()]
    return words


def document_features(texts) -> dict:
    """Size, mean length in tokens, vocabulary size and type/token ratio of a task's test inputs.

    >>> document_features(["the cat sat", "the dog"])
    {'doc_count': 2.0, 'doc_avg_length': 2.5, 'doc_vocab_size': 4.0, 'doc_ttr': 0.8}
    """
    texts = [str(t) for t in texts]
    if not texts:
        raise ValueError("A task without documents has no document features.")
    tokens = [_tokens(t) for t in texts]
    total = sum(map(len, tokens))
    vocabulary = {tok for toks in tokens for tok in toks}
    return {
        "doc_count": float(len(texts)),
        "doc_avg_length": total / len(texts),
        "doc_vocab_size": float(len(vocabulary)),
        "doc_ttr": len(vocabulary) / total if total else 0.0,
    }
