"""The speed benchmarks of proxylm-eval run and write their RESULTS.md sections (no timing is asserted here)."""

import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

pytest.importorskip("lm_eval")
pytest.importorskip("torch")


def _run(script, *args, cwd):
    return subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / script), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=900, check=False)


def test_proxy_speedup_writes_its_section_and_ratios_follow_the_timings(tmp_path):
    markdown, raw = tmp_path / "RESULTS.md", tmp_path / "raw.json"
    run = _run("proxy_speedup.py", "--width-divisor", 64, "--docs", 1, "--repeats", 1, "--markdown", markdown,
               "--json", raw, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    text = markdown.read_text()
    assert "<!-- proxy-speedup:start -->" in text and "Llama-3-8B-Instruct" in text and "divided by 64" in text
    data = json.loads(raw.read_text())
    compute = {name: values[0][1] for name, values in data["timings"].items()}
    proxies = sum(v for k, v in compute.items() if k != "Llama-3-8B-Instruct") + data["prediction_s"]
    assert data["ratios"]["all three proxies + prediction, compute"] == pytest.approx(
        compute["Llama-3-8B-Instruct"] / proxies)
    assert data["params"]["Llama-3-8B-Instruct"] > data["params"]["BLOOMZ-560M"] > data["params"]["SmolLM-135M"]


def test_eval_overhead_writes_its_section(tmp_path):
    markdown = tmp_path / "RESULTS.md"
    run = _run("eval_overhead.py", "--tasks", 2, "--repeats", 1, "--markdown", markdown, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    text = markdown.read_text()
    assert "<!-- eval-overhead:start -->" in text and "whole invocation" in text


def test_records_store_scale_writes_its_section(tmp_path):
    markdown = tmp_path / "RESULTS.md"
    run = _run("records_store_scale.py", "--files", 30, "--repeats", 1, "--markdown", markdown, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    text = markdown.read_text()
    assert "<!-- records-store-scale:start -->" in text and "3,000 records" in text


def test_predict_scale_writes_its_section(tmp_path):
    markdown = tmp_path / "RESULTS.md"
    run = _run("predict_scale.py", "--rows", 200, 400, "--markdown", markdown, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "<!-- predict-scale:start -->" in markdown.read_text() and "| 400 |" in markdown.read_text()
