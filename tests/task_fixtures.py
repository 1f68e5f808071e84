"""Builders of small task data in each dataset's own release layout, a tiny SentencePiece model and tiny models.

Nothing here downloads anything: the data are written from the strings below, the tokenizers are trained on them
and the models are randomly initialised.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

# (intent, utterance, annotated utterance): MASSIVE-style rows, reused for every locale and partition.
MASSIVE_ROWS = (
    ("alarm_set", "wake me up at five am this week", "wake me up at [time : five am] [date : this week]"),
    ("play_music", "play some jazz music", "play some [music_genre : jazz] music"),
    ("weather_query", "what is the weather in paris today", "what is the weather in [place_name : paris] [date : today]"),
    ("alarm_remove", "remove the alarm at 5:30 pm", "remove the alarm at [time : 5:30 pm]"),
    ("general_joke", "tell me a joke", "tell me a joke"),
)
SENTENCES = (
    "the cat sat on the mat",
    "a small model translates a short sentence",
    "languages of the world are many and varied",
    "the weather is nice today in the city",
    "please set an alarm for the morning",
    "music plays softly in the evening",
)


def write_massive(root: Path, locales, *, layout: str = "data", vary: bool = False) -> Path:
    """MASSIVE's JSONL release: ``root/data/<locale>.jsonl`` (``layout="flat"``: ``root/<locale>.jsonl``).

    ``vary=True``: each locale's test set differs (size, length, a locale word), so features vary between tasks.
    """
    folder = root / "data" if layout == "data" else root
    folder.mkdir(parents=True, exist_ok=True)
    for i, locale in enumerate(locales):
        lines = []
        for partition in ("train", "dev", "test"):
            rows = MASSIVE_ROWS[: 2 + i % 4] if vary and partition == "test" else MASSIVE_ROWS
            for number, (intent, utt, annot) in enumerate(rows):
                if vary:
                    utt = " ".join(utt.split()[: 3 + i]) + f" {locale.lower()}"
                lines.append(json.dumps({
                    "id": f"{partition}-{number}", "locale": locale, "partition": partition,
                    "scenario": intent.split("_")[0], "intent": intent, "utt": utt, "annot_utt": annot,
                    "worker_id": "1",
                }, ensure_ascii=False))
        (folder / f"{locale}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_flores(root: Path, codes, *, sentences=SENTENCES[:4]) -> Path:
    """The FLORES-200 release: ``root/dev/<code>.dev`` and ``root/devtest/<code>.devtest``, one sentence a line."""
    for split in ("dev", "devtest"):
        (root / split).mkdir(parents=True, exist_ok=True)
        for code in codes:
            lines = [f"{sentence} ({code} {split} {i})" for i, sentence in enumerate(sentences)]
            (root / split / f"{code}.{split}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_nusatranslation(root: Path, languages, *, sentences=SENTENCES[:3]) -> Path:
    """NusaTranslation's files: ``root/nusa_kalimat-mt-<lang>-{train,valid,test}.csv`` with id, ind_text, tgt_text."""
    root.mkdir(parents=True, exist_ok=True)
    for lang in languages:
        for part in ("train", "valid", "test"):
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(["id", "ind_text", "tgt_text"])
            for i, sentence in enumerate(sentences):
                writer.writerow([f"{part}-{i}", f"{sentence}, kata {i}", f"{sentence} ({lang} {i})"])
            (root / f"nusa_kalimat-mt-{lang}-{part}.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return root


def _corpus() -> list[str]:
    return list(SENTENCES) + [row[1] for row in MASSIVE_ROWS] + [row[2] for row in MASSIVE_ROWS]


def build_spm_model(path: Path, *, vocab_size: int = 60) -> Path:
    """A tiny SentencePiece model trained on the strings above (a stand-in for the FLORES-200 model)."""
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_corpus() * 4), model_writer=model, vocab_size=vocab_size,
        character_coverage=1.0, model_type="unigram", minloglevel=2,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.getvalue())
    return path


def _tokenizer(special_tokens=()):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    if special_tokens:
        wrapped.add_special_tokens({"additional_special_tokens": list(special_tokens)})
    return wrapped


def build_causal_model(folder: Path) -> Path:
    """A randomly initialised two-layer Llama (hidden size 64) and its tokenizer, saved to ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, head_dim=16, max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_seq2seq_model(folder: Path, language_tokens=()) -> Path:
    """A randomly initialised one-layer M2M100 (d_model 64) and its tokenizer, saved to ``folder``.

    ``language_tokens`` (``__en__``, ``__af__``...) are added as special tokens, as M2M100's vocabulary has them.
    """
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    tokenizer = _tokenizer(language_tokens)
    torch.manual_seed(0)
    config = M2M100Config(
        vocab_size=len(tokenizer), d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
    )
    M2M100ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
