"""proxylm-eval under faults, with tiny offline models: output that cannot be written, repeated invocations that must
run nothing, task data changed under the cache, bad flags, Ctrl-C (issue 10, items 1, 2, 3, 6, 10)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import task_fixtures as fx
from conftest import REPO_ROOT, console_script
from faults import run_unprivileged

pytest.importorskip("lm_eval")
pytest.importorskip("torch")

FLORES_CODES = ["eng_Latn", "afr_Latn", "deu_Latn", "zul_Latn"]
MT_TASKS = ["flores200_eng_Latn-afr_Latn", "flores200_afr_Latn-eng_Latn", "flores200_eng_Latn-zul_Latn"]
LOCALES = ["en-US", "sw-KE", "de-DE", "fr-FR", "af-ZA"]
INTENT_TASKS = [f"massive_intent_{locale}" for locale in LOCALES]
MODEL_RAN = ("Running generate_until requests", "Running loglikelihood requests")
PREDICTOR = REPO_ROOT / "predictors" / "m2m100-zeroshot-translation-spBLEU"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    world = {"root": root, "causal": fx.build_causal_model(root / "causal"),
             "m2m": fx.build_seq2seq_model(root / "m2m", language_tokens=["__en__", "__af__", "__de__", "__zu__"]),
             "spm": fx.build_spm_model(root / "flores200.model"),
             "flores": fx.write_flores(root / "flores", FLORES_CODES),
             "massive": fx.write_massive(root / "massive", LOCALES, vary=True)}
    world["env"] = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                    "TOKENIZERS_PARALLELISM": "false", "PROXYLM_FLORES200_SPM": str(world["spm"])}
    return world


def _argv(world, cache, *args, metadata=None):
    metadata = metadata or {"flores_dir": str(world["flores"]), "massive_dir": str(world["massive"])}
    return [console_script("proxylm-eval"), "run", "--device", "cpu", "--gen_kwargs", "max_gen_toks=8",
            "--metadata", json.dumps(metadata), "--proxy_cache_dir", str(cache), *map(str, args)]


def _run(world, cache, *args, **kwargs):
    return subprocess.run(_argv(world, cache, *args, **kwargs), env=world["env"], cwd=world["root"],
                          capture_output=True, text=True, timeout=900, check=False)


def _rows(cache) -> int:
    path = Path(cache) / "records.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM runs").fetchone()[0]


def _mt(world, out, *extra):
    return ["--target_model", "facebook/m2m100_1.2B", "--proxies", f"small100={world['m2m']}",
            "--tasks", ",".join(MT_TASKS), "--output_path", out, *extra]


def _one_line(result, *fragments, code=2):
    assert result.returncode == code, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("proxylm-eval: error")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


# -- item 1: results that cannot be written ----------------------------------------------------------------------
def test_output_path_that_is_a_file_is_refused_before_any_model_runs(world, tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    result = _run(world, tmp_path / "cache", *_mt(world, tmp_path / "taken"))
    _one_line(result, "--output_path", "is a file")
    assert not any(marker in result.stderr for marker in MODEL_RAN) and _rows(tmp_path / "cache") == 0


def test_output_path_in_an_unwritable_folder_is_refused_before_any_model_runs(world, tmp_path, read_only):
    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked)
    result = run_unprivileged(_argv(world, tmp_path / "cache", *_mt(world, locked / "out")), env=world["env"],
                              cwd=world["root"])
    _one_line(result, "cannot be written")
    assert _rows(tmp_path / "cache") == 0


def test_results_that_were_not_written_exit_1_and_keep_the_cache(world, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "facebook__m2m100_1.2B").write_text("lm-eval wants a folder here")
    result = _run(world, tmp_path / "cache", *_mt(world, out))
    _one_line(result, "was not written", "kept in the cache", code=1)
    assert "results written to" not in result.stderr and _rows(tmp_path / "cache") == 3


# -- item 2: a second identical invocation runs nothing, in every mode -------------------------------------------
@pytest.mark.parametrize("mode", ["estimate", "alongside", "measure"])
def test_a_second_identical_invocation_loads_no_model_and_adds_no_row(world, tmp_path, mode):
    if mode == "measure":
        args = ["--target_model", world["causal"], "--measure", 3, "--tasks", ",".join(INTENT_TASKS),
                "--proxies", f"smollm_135m={world['causal']},smollm_360m={world['causal']}"]
    elif mode == "alongside":
        args = ["--target_model", world["m2m"], "--predictor", PREDICTOR, "--alongside",
                "--proxies", f"small100={world['m2m']}", "--tasks", ",".join(MT_TASKS)]
    else:
        args = _mt(world, tmp_path / "o")[:-2]
    first = _run(world, tmp_path / "cache", *args, "--output_path", tmp_path / "first")
    assert first.returncode == 0, first.stderr[-3000:]
    rows = _rows(tmp_path / "cache")
    second = _run(world, tmp_path / "cache", *args, "--output_path", tmp_path / "second")
    assert second.returncode == 0, second.stderr[-3000:]
    assert not any(marker in second.stderr for marker in MODEL_RAN), second.stderr[-3000:]
    assert _rows(tmp_path / "cache") == rows


# -- item 3: changed task data are recomputed --------------------------------------------------------------------
def test_rewritten_task_data_are_not_served_from_the_cache(world, tmp_path):
    flores = fx.write_flores(tmp_path / "flores", FLORES_CODES, sentences=fx.SENTENCES[:2])
    metadata = {"flores_dir": str(flores)}
    first = _run(world, tmp_path / "cache", *_mt(world, tmp_path / "a"), metadata=metadata)
    assert first.returncode == 0, first.stderr[-3000:]
    fx.write_flores(flores, FLORES_CODES, sentences=fx.SENTENCES[:6])  # same paths, 2 -> 6 documents
    second = _run(world, tmp_path / "cache", *_mt(world, tmp_path / "b"), metadata=metadata)
    assert second.returncode == 0, second.stderr[-3000:]
    results = json.loads(next((tmp_path / "b").rglob("results_*.json")).read_text())
    runs = results["proxylm"]["proxy_runs"]
    assert not any(run["cached"] for run in runs) and all(run["n_samples"] == 6 for run in runs)


# -- items 6 and 10: bad flags before any run ---------------------------------------------------------------------
def test_metadata_with_a_proxylm_key_is_refused_before_any_run(world, tmp_path):
    metadata = {"flores_dir": str(world["flores"]), "proxylm": {"source_lang": "eng", "target_lang": "afr"}}
    result = _run(world, tmp_path / "cache", *_mt(world, tmp_path / "o"), metadata=metadata)
    _one_line(result, "'proxylm' key")
    assert _rows(tmp_path / "cache") == 0


@pytest.mark.parametrize("value", ["1.5", "0", "x"])
def test_coverage_outside_0_1_is_refused_before_any_run(world, tmp_path, value):
    result = _run(world, tmp_path / "cache", *_mt(world, tmp_path / "o", "--coverage", value))
    assert result.returncode == 2 and "--coverage" in result.stderr and "Traceback" not in result.stderr
    assert _rows(tmp_path / "cache") == 0


def test_ctrl_c_exits_130_in_one_line_and_keeps_what_was_done(world, tmp_path):
    cache = tmp_path / "cache"
    args = ["--target_model", world["causal"], "--measure", 3, "--tasks", ",".join(INTENT_TASKS),
            "--proxies", f"smollm_135m={world['causal']},smollm_360m={world['causal']},bloomz_560m={world['causal']}"]
    process = subprocess.Popen(_argv(world, cache, *args), env=world["env"], cwd=world["root"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    while _rows(cache) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    kept = _rows(cache)
    assert process.returncode == 130, stderr[-3000:]
    assert "interrupted" in stderr and "Traceback" not in stderr and kept >= 2
    resumed = _run(world, cache, *args, "--output_path", tmp_path / "out")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    runs = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())["proxylm"]["proxy_runs"]
    assert sum(run["cached"] for run in runs) >= kept  # what was done before Ctrl-C is not done again
    fresh = _run(world, tmp_path / "fresh-cache", *args)
    assert fresh.returncode == 0 and _rows(cache) == _rows(tmp_path / "fresh-cache")  # nothing doubled, nothing lost
