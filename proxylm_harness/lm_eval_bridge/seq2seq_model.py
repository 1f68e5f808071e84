"""lm-eval model classes of the plugin: ``proxylm-seq2seq``, HF ``seq2seq`` with M2M100/SMaLL-100 language tokens.

:func:`register` adds them to lm-eval's registry; it imports ``lm_eval.models`` first, or lm-eval's own
``hf``/``vllm`` would stop resolving (lm-eval 0.4.13 fills its registry lazily on that import).
"""

from __future__ import annotations

from ..languages.codes import iso639_1, language_key

__all__ = ["LanguageTokenError", "language_token", "register"]

SEQ2SEQ_MODEL = "proxylm-seq2seq"


class LanguageTokenError(ValueError):
    """The model's vocabulary has no token for a language the task needs."""


def language_token(code: str) -> str:
    """M2M100's token for a language: ``__<ISO 639-1>__``, or ``__<ISO 639-3>__`` where there is no 639-1 code."""
    key = language_key(code).split("_")[0]
    return f"__{iso639_1(key) or key}__"


_registered = False


def register() -> None:
    """Register the plugin's lm-eval models (idempotent)."""
    global _registered
    if _registered:
        return
    import lm_eval.models  # noqa: F401  (fills lm-eval's registry first)
    import torch
    from lm_eval.api.registry import register_model
    from lm_eval.models.huggingface import HFLM

    @register_model(SEQ2SEQ_MODEL)
    class Seq2SeqTranslationLM(HFLM):
        """HF ``seq2seq`` backend that tells an M2M100-family model the languages of the task.

        ``language_codes=m2m100``: the source token starts the input and the target token is forced as
        the first generated token (M2M100, NLLB-style). ``language_codes=small100``: the target token
        starts the input (SMaLL-100). Languages are set per task with :meth:`set_languages`, or with
        ``src_lang``/``tgt_lang`` model arguments.
        """

        def __init__(self, *args, language_codes: str = "m2m100", src_lang: str | None = None,
                     tgt_lang: str | None = None, **kwargs):
            if language_codes not in ("m2m100", "small100"):
                raise ValueError(f"language_codes must be 'm2m100' or 'small100'. Got {language_codes!r} instead.")
            kwargs["backend"] = "seq2seq"
            super().__init__(*args, **kwargs)
            self.language_codes = language_codes
            self._prefix_id = self._forced_id = None
            if src_lang and tgt_lang:
                self.set_languages(src_lang, tgt_lang)

        def _token_id(self, code: str) -> int:
            token = language_token(code)
            token_id = self.tokenizer.convert_tokens_to_ids(token)
            if token_id is None or token_id == self.tokenizer.unk_token_id:
                raise LanguageTokenError(
                    f"The vocabulary of {self.model.name_or_path} has no language token {token} for {code!r}: this "
                    "model cannot translate from or into that language. Hint: leave the task out or choose another proxy."
                )
            return int(token_id)

        def set_languages(self, src_lang: str, tgt_lang: str) -> None:
            src, tgt = self._token_id(src_lang), self._token_id(tgt_lang)
            if self.language_codes == "small100":
                self._prefix_id, self._forced_id = tgt, None
            else:
                self._prefix_id, self._forced_id = src, tgt

        def _require_languages(self) -> None:
            if self._prefix_id is None:
                raise LanguageTokenError(f"{SEQ2SEQ_MODEL}: no languages set; call set_languages() or pass "
                                         "src_lang=...,tgt_lang=... in model_args.")

        def tok_batch_encode(self, strings, padding_side="left", left_truncate_len=None, truncation=False):
            self._require_languages()
            ids, mask = super().tok_batch_encode(strings, padding_side=padding_side,
                                                 left_truncate_len=left_truncate_len, truncation=truncation)
            rows = [row[m.bool()].tolist() for row, m in zip(ids, mask)]
            rows = [[self._prefix_id, *row] for row in rows]
            width = max(map(len, rows))
            pad = self.tokenizer.pad_token_id
            new_ids = torch.full((len(rows), width), pad, dtype=ids.dtype)
            new_mask = torch.zeros((len(rows), width), dtype=mask.dtype)
            for i, row in enumerate(rows):
                if padding_side == "left":
                    new_ids[i, width - len(row):], new_mask[i, width - len(row):] = torch.tensor(row), 1
                else:
                    new_ids[i, :len(row)], new_mask[i, :len(row)] = torch.tensor(row), 1
            return new_ids, new_mask

        def _model_generate(self, context, max_length, stop, **generation_kwargs):
            if self._forced_id is not None:
                generation_kwargs.setdefault("forced_bos_token_id", self._forced_id)
            return super()._model_generate(context, max_length, stop, **generation_kwargs)

    _registered = True
