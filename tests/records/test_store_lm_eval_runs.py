"""Results files lm-eval writes today, and proxylm-eval's own runs, in the records store (issue 11): a tiny random model,
a JSONL task written here, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import task_fixtures as fx
from conftest import console_script

pytest.importorskip("lm_eval")
pytest.importorskip("torch")

from proxylm_harness.records.store import RecordsStore  # noqa: E402

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
TASK_YAML = """task: tiny_choice_sw
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
    train: {data}
test_split: test
fewshot_split: train
output_type: multiple_choice
doc_to_text: "{{{{question}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{answer}}}}"
metric_list:
  - metric: acc
metadata:
  version: 2.0
  proxylm:
    family: tiny_choice
    source_lang: sw-KE
    target_lang: sw-KE
    dataset: tiny
"""


@pytest.fixture(scope="module")
def lm_eval_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("today")
    model = fx.build_causal_model(root / "model")
    data = root / "tiny.jsonl"
    data.write_text("\n".join(json.dumps({"question": f"the cat sat {i}", "choices": ["yes", "no"], "answer": i % 2})
                              for i in range(6)) + "\n")
    (root / "tasks").mkdir()
    (root / "tasks" / "tiny.yaml").write_text(TASK_YAML.format(data=data))
    run = subprocess.run([sys.executable, "-m", "lm_eval", "run", "--model", "hf", "--model_args",
                          f"pretrained={model},dtype=float32", "--tasks", "tiny_choice_sw", "--include_path",
                          str(root / "tasks"), "--num_fewshot", "1", "--device", "cpu", "--output_path",
                          str(root / "out")], cwd=root, env={**os.environ, **OFFLINE}, capture_output=True, text=True,
                         timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return root, model, next((root / "out").rglob("results_*.json"))


def test_a_results_file_lm_eval_wrote_imports_with_its_n_shot_version_and_metadata(lm_eval_results):
    root, _, results = lm_eval_results
    store = RecordsStore(root / "records.sqlite3")
    report = store.add([root / "out"])
    assert len(report.added) == 1 and not report.bad
    rows = store.export()
    acc = rows[rows["metric"] == "acc"].iloc[0]
    data = json.loads(results.read_text())
    assert acc["task"] == "tiny_choice_sw" and acc["n_shot"] == 1 and acc["task_version"] == "2.0"
    assert (acc["family"], acc["source_lang"], acc["target_lang"], acc["dataset"]) == ("tiny_choice", "swa", "swa",
                                                                                       "tiny")
    assert acc["score"] == data["results"]["tiny_choice_sw"]["acc,none"] and not acc["partial"]
    assert acc["model"].startswith("local:")  # a local folder is named by its digest, as the run cache names it


def test_proxylm_eval_runs_are_records_the_moment_they_finish(tmp_path):
    world = tmp_path / "world"
    m2m = fx.build_seq2seq_model(world / "m2m", language_tokens=["__en__", "__af__", "__zu__"])
    spm = fx.build_spm_model(world / "flores200.model")
    flores = fx.write_flores(world / "flores", ["eng_Latn", "afr_Latn", "zul_Latn"])
    store_path = tmp_path / "store.sqlite3"
    argv = [console_script("proxylm-eval"), "run", "--device", "cpu", "--gen_kwargs", "max_gen_toks=8",
            "--metadata", json.dumps({"flores_dir": str(flores)}), "--target_model", "facebook/m2m100_1.2B",
            "--proxies", f"small100={m2m}", "--tasks", "flores200_eng_Latn-afr_Latn,flores200_eng_Latn-zul_Latn",
            "--records", str(store_path)]
    env = {**os.environ, **OFFLINE, "PROXYLM_FLORES200_SPM": str(spm), "PROXYLM_HARNESS_CACHE": str(tmp_path)}
    run = subprocess.run(argv, env=env, cwd=world, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = RecordsStore(store_path).export()
    spbleu = rows[rows["metric"] == "spbleu"].set_index("task")
    assert set(spbleu.index) == {"flores200_eng_Latn-afr_Latn", "flores200_eng_Latn-zul_Latn"}
    assert spbleu.loc["flores200_eng_Latn-zul_Latn", ["family", "source_lang", "target_lang"]].tolist() == \
           ["translation", "eng", "zul"]
    assert all(source.startswith("run ") for source in rows["source"])
    again = subprocess.run(argv, env=env, cwd=world, capture_output=True, text=True, timeout=900, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(RecordsStore(store_path).export()) == len(rows)  # an identical second run adds no record
