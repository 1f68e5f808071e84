"""Speed-up of "proxies + prediction" over a full target run, on the same lm-eval task documents.

Usage: python benchmarks/proxy_speedup.py [--real-configs] [--width-divisor 8] [--docs 8] [--repeats 3]
       [--markdown benchmarks/RESULTS.md] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

# Real architectures (config.json of each model on the hub, written out here: nothing is downloaded).
CONFIGS = {
    "SmolLM-135M": ("llama", dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                                  num_attention_heads=9, num_key_value_heads=3, vocab_size=49152)),
    "SmolLM-360M": ("llama", dict(hidden_size=960, intermediate_size=2560, num_hidden_layers=32,
                                  num_attention_heads=15, num_key_value_heads=5, vocab_size=49152)),
    "BLOOMZ-560M": ("bloom", dict(hidden_size=1024, n_layer=24, n_head=16, vocab_size=250880)),
    "Llama-3-8B-Instruct": ("llama", dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                                          num_attention_heads=32, num_key_value_heads=8, vocab_size=128256)),
}
PROXIES = ("SmolLM-135M", "SmolLM-360M", "BLOOMZ-560M")
TARGET = "Llama-3-8B-Instruct"
WIDTH_KEYS = ("hidden_size", "intermediate_size", "vocab_size")


def scaled(config: dict, divisor: int) -> dict:
    """Widths (hidden, feed-forward, vocabulary) divided by ``divisor``; depth and head counts kept.

    Every model is scaled alike, so the proxies' width ratio to the target is the real one; per-head
    width shrinks with the hidden size.
    """
    out = dict(config)
    for key in WIDTH_KEYS:
        if key in out:
            out[key] = max(8, out[key] // divisor)
    heads = out.get("num_attention_heads", out.get("n_head"))
    out["hidden_size"] -= out["hidden_size"] % heads  # a whole number of heads
    return out


def build(name: str, folder: Path, divisor: int | None) -> int:
    """A random-weight model of ``name``'s architecture (scaled unless ``divisor`` is None); returns its parameters."""
    import task_fixtures as fx
    import torch
    from transformers import BloomConfig, BloomForCausalLM, LlamaConfig, LlamaForCausalLM

    kind, config = CONFIGS[name]
    config = scaled(config, divisor) if divisor else dict(config)
    tokenizer = fx._tokenizer()
    special = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                   pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    if kind == "llama":
        model = LlamaForCausalLM(LlamaConfig(**config, max_position_embeddings=2048, **special))
    else:
        model = BloomForCausalLM(BloomConfig(**config, **special))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def time_model(folder: Path, task_name: str, manager, batch_size: int, device: str) -> tuple[float, float]:
    """(load seconds, lm-eval compute seconds) of one run on the task."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM

    started = time.perf_counter()
    lm = HFLM(pretrained=str(folder), dtype="float32", device=device, batch_size=batch_size)
    loaded = time.perf_counter() - started
    task = manager.load([task_name])["tasks"][task_name]
    started = time.perf_counter()
    simple_evaluate(model=lm, tasks=[task], task_manager=manager, bootstrap_iters=0, verbosity="ERROR")
    return loaded, time.perf_counter() - started


def time_prediction(repeats: int) -> float:
    """Seconds to turn proxy scores into an estimate with interval: load a shipped predictor, estimate one task."""
    import pandas as pd

    from proxylm_harness.estimators.artifacts import load_artifact

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        artifact = load_artifact(REPO / "predictors" / "m2m100-zeroshot-translation-spBLEU")
        artifact.estimate(pd.DataFrame([{"source_lang": "eng", "target_lang": "afr", "small100_noft": 20.0}]))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-configs", action="store_true", help="full-size architectures (for a GPU)")
    parser.add_argument("--width-divisor", type=int, default=8, help="CPU: divide every width by this (default 8)")
    parser.add_argument("--docs", type=int, default=8, help="MASSIVE intent test utterances (60 choices each)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cuda" if _cuda() else "cpu")
    parser.add_argument("--markdown", help="markdown file whose 'proxy-speedup' section is replaced")
    parser.add_argument("--json", help="write the raw timings here")
    args = parser.parse_args(argv)
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                      TOKENIZERS_PARALLELISM="false")

    import task_fixtures as fx

    from proxylm_harness.backtest.report import replace_markdown_section
    from proxylm_harness.lm_eval_bridge.task_metadata import shipped_task_manager

    divisor = None if args.real_configs else args.width_divisor
    root = Path(tempfile.mkdtemp(prefix="proxylm-speedup-"))
    (root / "massive" / "data").mkdir(parents=True)
    with open(root / "massive" / "data" / "sw-KE.jsonl", "w", encoding="utf-8") as handle:
        for partition in ("train", "dev", "test"):
            for i in range(args.docs):
                intent, utt, annot = fx.MASSIVE_ROWS[i % len(fx.MASSIVE_ROWS)]
                handle.write(json.dumps({"id": f"{partition}-{i}", "locale": "sw-KE", "partition": partition,
                                         "scenario": intent.split("_")[0], "intent": intent,
                                         "utt": f"{utt} number {i}", "annot_utt": annot, "worker_id": "1"}) + "\n")
    manager = shipped_task_manager({"massive_dir": str(root / "massive")})
    task = "massive_intent_sw-KE"

    params, timings = {}, {}
    names = [*PROXIES, TARGET]
    for name in names:
        params[name] = build(name, root / name, divisor)
    bar = tqdm(total=len(names) * args.repeats, desc="model runs", unit="run")
    for _ in range(args.repeats):
        for name in names:  # interleaved, so a slow spell of the machine hits every model alike
            load, compute = time_model(root / name, task, manager, args.batch_size, args.device)
            timings.setdefault(name, []).append((load, compute))
            bar.update(1)
    bar.close()
    prediction = time_prediction(max(3, args.repeats))
    median = {n: (statistics.median(t[0] for t in timings[n]), statistics.median(t[1] for t in timings[n]))
              for n in names}
    target_compute, target_total = median[TARGET][1], sum(median[TARGET])
    proxies_compute = sum(median[n][1] for n in PROXIES) + prediction
    proxies_total = sum(sum(median[n]) for n in PROXIES) + prediction
    ratios = {
        "all three proxies + prediction, compute": target_compute / proxies_compute,
        "all three proxies + prediction, load + compute": target_total / proxies_total,
        **{f"{n} alone + prediction, compute": target_compute / (median[n][1] + prediction) for n in PROXIES},
    }
    scale = ("real architectures" if divisor is None else
             f"widths (hidden, feed-forward, vocabulary) divided by {divisor}, depth and heads kept: the same width "
             "ratio between proxies and target as the real models")
    command = "python benchmarks/proxy_speedup.py" + (" --real-configs" if args.real_configs else
                                                     f" --width-divisor {args.width_divisor}") + \
        f" --docs {args.docs} --repeats {args.repeats}" + (f" --markdown {args.markdown}" if args.markdown else "")
    lines = [
        f"Device: {args.device} ({os.cpu_count()} CPU cores{'' if args.device == 'cpu' else ', GPU'}); models: random "
        f"weights, {scale}. Task: `{task}` ({args.docs} utterances x 60 intents = {args.docs * 60} log-likelihood "
        f"requests), lm-eval's `hf` backend, batch size {args.batch_size}, float32. Medians of {args.repeats} runs.",
        "",
        "| model | parameters | load s | compute s | ms per request |",
        "|---|---|---|---|---|",
        *(f"| {n} | {params[n] / 1e6:.1f} M | {median[n][0]:.2f} | {median[n][1]:.2f} | "
          f"{1000 * median[n][1] / (args.docs * 60):.2f} |" for n in names),
        f"| prediction (load predictor, features, estimate) | | | {prediction:.3f} | |",
        "",
        "| speed-up over the full target run | ratio |",
        "|---|---|",
        *(f"| {k} | **{v:.1f}x** |" for k, v in ratios.items()),
        "",
        "ProxyLM reports up to 37x on GPUs with the real models. On a CPU with scaled widths, small models use the "
        "hardware less efficiently than wide ones, so these ratios understate the GPU speed-up. No GPU was available "
        "for this run.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"params": params, "timings": timings, "prediction_s": prediction,
                                               "ratios": ratios, "scale": scale}, indent=2))
    if args.markdown:
        replace_markdown_section(args.markdown, "proxy-speedup", text, command)
    return 0


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
