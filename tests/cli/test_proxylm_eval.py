"""proxylm-eval end to end, offline: tiny random proxies and targets, task data written here, the shipped tasks.

Each scenario runs the console script as a user would; the checks read its lm-eval results file.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import task_fixtures as fx
from conftest import REPO_ROOT, console_script

pytest.importorskip("lm_eval")
pytest.importorskip("torch")

from proxylm_harness.estimators.artifacts import load_artifact  # noqa: E402
from proxylm_harness.languages import language_key  # noqa: E402

PREDICTOR = REPO_ROOT / "predictors" / "m2m100-zeroshot-translation-spBLEU"
FLORES_CODES = ["eng_Latn", "afr_Latn", "deu_Latn", "fra_Latn", "zul_Latn"]
MT_TASKS = ["flores200_eng_Latn-afr_Latn", "flores200_afr_Latn-eng_Latn", "flores200_eng_Latn-zul_Latn"]
LOCALES = ["en-US", "sw-KE", "de-DE", "fr-FR", "af-ZA"]
INTENT_TASKS = [f"massive_intent_{locale}" for locale in LOCALES]
LANGUAGE_TOKENS = [f"__{code}__" for code in ("en", "af", "de", "fr", "zu")]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Tiny models, task data and an environment that keeps everything offline and inside tmp."""
    root = tmp_path_factory.mktemp("proxylm-eval")
    world = {
        "root": root,
        "causal": fx.build_causal_model(root / "causal"),
        "m2m": fx.build_seq2seq_model(root / "m2m", language_tokens=LANGUAGE_TOKENS),
        "spm": fx.build_spm_model(root / "flores200.model"),
        "flores": fx.write_flores(root / "flores", FLORES_CODES),
        "massive": fx.write_massive(root / "massive", LOCALES, vary=True),
    }
    shutil.copytree(world["causal"], root / "causal_target")
    world["causal_target"] = root / "causal_target"
    broken = root / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "llama"}))
    world["broken"] = broken
    world["env"] = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                    "TOKENIZERS_PARALLELISM": "false", "PROXYLM_FLORES200_SPM": str(world["spm"]),
                    "PROXYLM_HARNESS_CACHE": str(root / "cache")}
    return world


def _run(world, *args, metadata=None, cwd=None):
    metadata = metadata or {"flores_dir": str(world["flores"]), "massive_dir": str(world["massive"])}
    argv = [console_script("proxylm-eval"), "run", "--device", "cpu", "--gen_kwargs", "max_gen_toks=8",
            "--metadata", json.dumps(metadata), *map(str, args)]
    return subprocess.run(argv, env=world["env"], cwd=cwd or world["root"], capture_output=True, text=True,
                          timeout=900, check=False)


def _results(folder: Path) -> dict:
    """The newest results file under ``folder``, found and read with lm-eval's own helpers."""
    from lm_eval.utils import get_latest_filename, get_results_filenames

    files = get_results_filenames([str(p) for p in folder.rglob("*.json")])
    assert files, f"no results file under {folder}"
    return json.loads(Path(get_latest_filename(files)).read_text(encoding="utf-8"))


def _mt_args(world, out, *extra):
    return ["--target_model", "facebook/m2m100_1.2B", "--proxies", f"small100={world['m2m']}",
            "--tasks", ",".join(MT_TASKS), "--output_path", out, *extra]


# ---------------------------------------------------------------------------------------------------------------
# Estimate, cache, lm-eval's reader
# ---------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def estimated(world):
    out = world["root"] / "out-estimate"
    first = _run(world, *_mt_args(world, out))
    assert first.returncode == 0, first.stderr[-4000:]
    results = _results(out)
    second_out = world["root"] / "out-estimate-again"
    second = _run(world, *_mt_args(world, second_out))
    assert second.returncode == 0, second.stderr[-4000:]
    return {"first": first, "results": results, "second": second, "again": _results(second_out)}


def test_estimates_are_the_predictor_applied_to_the_proxy_scores(estimated):
    results = estimated["results"]
    section = results["proxylm"]
    assert section["mode"] == "estimate" and section["predictors"]["translation"]["directory"].endswith(PREDICTOR.name)
    artifact = load_artifact(PREDICTOR)
    import pandas as pd

    rows = pd.DataFrame([{
        "source_lang": language_key(item["languages"]["source"]), "target_lang": language_key(item["languages"]["target"]),
        "test_dataset": item["languages"]["dataset"], "small100_noft": item["proxies"]["small100"],
    } for item in section["tasks"].values()], index=list(section["tasks"]))
    expected = artifact.estimate(rows)
    for name in MT_TASKS:
        entry, item = results["results"][name], section["tasks"][name]
        assert item["source"] == "estimated" and 0 <= item["proxies"]["small100"] <= 100
        assert entry["spbleu,none"] == pytest.approx(max(expected.loc[name, "estimate"], 0.0))
        assert entry["spbleu_lower,none"] == pytest.approx(max(expected.loc[name, "lower"], 0.0))
        assert entry["spbleu_upper,none"] == pytest.approx(min(expected.loc[name, "upper"], 100.0))
        assert entry["spbleu_lower,none"] <= entry["spbleu,none"] <= entry["spbleu_upper,none"]
    runs = section["proxy_runs"]
    assert len(runs) == 3 and not any(run["cached"] for run in runs)


def test_second_identical_run_loads_no_model(estimated):
    runs = estimated["again"]["proxylm"]["proxy_runs"]
    assert len(runs) == 3 and all(run["cached"] for run in runs)
    assert "Running generate_until requests" in estimated["first"].stderr
    assert "Running generate_until requests" not in estimated["second"].stderr
    first, again = estimated["results"]["results"], estimated["again"]["results"]
    assert {k: v["spbleu,none"] for k, v in first.items()} == {k: v["spbleu,none"] for k, v in again.items()}


def test_results_file_is_lm_eval_schema_and_its_table_renders(estimated):
    from lm_eval.utils import make_table

    results = estimated["results"]
    for key in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config"):
        assert set(results[key]) >= set(MT_TASKS) or key == "config"
    table = make_table(results)
    assert all(name in table for name in MT_TASKS) and "spbleu" in table
    assert results["configs"][MT_TASKS[0]]["metadata"]["proxylm"]["target_lang"] == "afr_Latn"
    assert results["model_name"] == "facebook/m2m100_1.2B"
    stdout = estimated["first"].stdout
    assert "Estimate" in stdout and "90% interval" in stdout and MT_TASKS[0] in stdout


# ---------------------------------------------------------------------------------------------------------------
# --alongside and --measure with a tiny target
# ---------------------------------------------------------------------------------------------------------------

def test_alongside_reports_each_estimates_error(world):
    out = world["root"] / "out-alongside"
    run = _run(world, "--target_model", world["m2m"], "--predictor", PREDICTOR, "--alongside",
               "--proxies", f"small100={world['m2m']}", "--tasks", ",".join(MT_TASKS[:2]), "--output_path", out,
               "--plot", out / "estimates.png")
    assert run.returncode == 0, run.stderr[-4000:]
    assert (out / "estimates.png").read_bytes().startswith(b"\x89PNG")
    section = _results(out)["proxylm"]
    for name in MT_TASKS[:2]:
        item = section["tasks"][name]
        assert item["source"] == "estimated" and item["measured"] is not None
        assert item["error"] == pytest.approx(item["estimate"] - item["measured"])
    assert "Measured" in run.stdout and "Error" in run.stdout
    errors = [section["tasks"][n]["error"] for n in MT_TASKS[:2]]
    assert section["check"]["tasks"] == 2
    assert section["check"]["rmse"] == pytest.approx((sum(e * e for e in errors) / 2) ** 0.5)
    assert "estimates against the target's own scores on 2 task(s): rmse" in run.stdout


def test_measure_fits_on_k_measured_languages_and_estimates_the_rest(world):
    out = world["root"] / "out-measure"
    run = _run(world, "--target_model", world["causal_target"], "--measure", 3,
               "--proxies", f"smollm_135m={world['causal']}", "--tasks", ",".join(INTENT_TASKS),
               "--output_path", out)
    assert run.returncode == 0, run.stderr[-4000:]
    results = _results(out)
    tasks = results["proxylm"]["tasks"]
    measured = [n for n, item in tasks.items() if item["source"] == "measured"]
    estimated = [n for n, item in tasks.items() if item["source"] == "estimated"]
    assert len(measured) == 3 and len(estimated) == 2
    assert sorted(results["proxylm"]["predictors"]["intent"]["fitted_on"]) == sorted(measured)
    for name in measured:
        assert results["results"][name]["acc,none"] == tasks[name]["measured"]
    for name in estimated:
        assert 0.0 <= results["results"][name]["acc,none"] <= 1.0 and tasks[name]["measured"] is None
        # three leave-one-out residuals cannot calibrate a 90% interval: said, not invented
        assert tasks[name]["interval"] == [None, None]
        assert any("interval unbounded" in w for w in tasks[name]["warnings"])


def test_estimate_only_completes_a_target_no_predictor_serves_from_the_records_store(world, tmp_path):
    """Other models' lm-eval results in a store: a target with no predictor is completed from them and the proxies."""
    store = tmp_path / "records.sqlite3"
    files = []
    for i, (model, ability) in enumerate({"org/fam-1b": 0.3, "org/fam-3b": 0.45, "org/other-7b": 0.6}.items()):
        data = {"results": {t: {"acc,none": ability + 0.03 * j, "alias": t} for j, t in enumerate(INTENT_TASKS)},
                "configs": {t: {"task": t, "metadata": {"version": 1.0}} for t in INTENT_TASKS},
                "n-shot": {t: 0 for t in INTENT_TASKS}, "config": {"model_args": f"pretrained={model}"}}
        files.append(tmp_path / f"results_{i}.json")
        files[-1].write_text(json.dumps(data))
    added = subprocess.run([console_script("proxylm-harness"), "records", "add", "--store", str(store), *map(str, files)],
                           env=world["env"], capture_output=True, text=True, timeout=300, check=False)
    assert added.returncode == 0, added.stderr
    target = fx.build_causal_model(tmp_path / "target")  # a model of its own (not a copy of the proxy)
    run = _run(world, "--target_model", target, "--tasks", ",".join(INTENT_TASKS), "--proxies",
               f"smollm_135m={world['causal']}", "--records", store, "--output_path", tmp_path / "out")
    assert run.returncode == 0, run.stderr[-4000:]
    section = _results(tmp_path / "out")["proxylm"]
    assert section["predictors"]["intent"]["id"] == "completion:stack"
    assert section["predictors"]["intent"]["validation"]["mae"] > 0
    for name in INTENT_TASKS:
        item = section["tasks"][name]
        low, high = item["interval"]
        assert item["source"] == "estimated" and low <= item["estimate"] <= high
    listed = subprocess.run([console_script("proxylm-harness"), "records", "list", "--store", str(store)],
                            env=world["env"], capture_output=True, text=True, timeout=300, check=False)
    assert listed.stdout.count("\n") >= 4  # the three models and the proxy's runs, kept in the store


# ---------------------------------------------------------------------------------------------------------------
# Bad input: a clear message, nothing computed lost
# ---------------------------------------------------------------------------------------------------------------

def test_unknown_task(world):
    run = _run(world, *_mt_args(world, world["root"] / "o1")[:4], "--tasks", "flores200_eng_Latn-xxx_Latn")
    assert run.returncode != 0
    assert "flores200_eng_Latn-xxx_Latn" in run.stderr and "Traceback" not in run.stderr


def test_task_without_language_metadata_shows_the_block(world, tmp_path):
    (tmp_path / "bare.yaml").write_text(
        "task: bare_mt\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: x.jsonl\n"
        "test_split: test\noutput_type: generate_until\ndoc_to_text: '{{src}}'\ndoc_to_target: tgt\n")
    run = _run(world, "--target_model", "m2m100", "--tasks", "bare_mt", "--include_path", tmp_path)
    assert run.returncode == 2, run.stderr[-3000:]
    assert "Task 'bare_mt' has no language metadata" in run.stderr and "source_lang:" in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_language_code_names_the_task(world, tmp_path):
    text = (REPO_ROOT / "tasks" / "flores200" / "flores200_eng_Latn-afr_Latn.yaml").read_text()
    text = text.replace("task: flores200_eng_Latn-afr_Latn", "task: my_mt").replace("target_lang: afr_Latn",
                                                                                     "target_lang: qqx_Latn")
    text = text.replace("include: _default_template_yaml",
                        f"include: {REPO_ROOT / 'tasks' / 'flores200' / '_default_template_yaml'}")
    (tmp_path / "my_mt.yaml").write_text(text)
    run = _run(world, "--target_model", "m2m100", "--tasks", "my_mt", "--include_path", tmp_path)
    assert run.returncode == 2, run.stderr[-3000:]
    assert "my_mt" in run.stderr and "Unknown language code 'qqx_Latn'" in run.stderr


@pytest.fixture(scope="module")
def intent_predictor(world, records_dir):
    """A predictor trained as ProxyLM's records are: on fine-tuned proxies (for the refusal tests)."""
    from proxylm_harness.records.regression_problems import make_problem
    from proxylm_harness.records import load_records
    from proxylm_harness.estimators.training import train_artifact

    records = load_records(records_dir / "intent_experiments.csv")
    problem = make_problem(records, "massive_intent", "aya", "accuracy")
    out = world["root"] / "intent-predictor"
    train_artifact(problem, out, records_sha256=records.fingerprint(), predictor_params={"cv": 5, "bagging": False})
    return out


def test_predictor_of_another_family(world, intent_predictor):
    run = _run(world, *_mt_args(world, world["root"] / "o2", "--predictor", intent_predictor))
    assert run.returncode == 2 and "estimates intent tasks, not translation tasks" in run.stderr


def test_predictor_trained_on_fine_tuned_proxies_is_refused_with_what_would_match(world, intent_predictor):
    run = _run(world, "--target_model", "aya", "--predictor", intent_predictor, "--tasks", INTENT_TASKS[0],
               "--proxies", f"smollm_135m={world['causal']}")
    assert run.returncode == 2
    assert "fine-tuned scores of proxy 'smollm_135m'" in run.stderr and "--measure K" in run.stderr
    assert "smollm_135m_noft" in run.stderr


def test_no_shipped_predictor_says_what_is_missing(world):
    run = _run(world, "--target_model", "aya", "--tasks", INTENT_TASKS[0])
    assert run.returncode == 2 and "No predictor for target 'aya' on intent tasks" in run.stderr
    assert "--measure K" in run.stderr


def test_missing_and_tampered_predictor(world, tmp_path):
    run = _run(world, *_mt_args(world, tmp_path / "o", "--predictor", tmp_path / "nowhere"))
    assert run.returncode == 2 and "No predictor folder" in run.stderr
    copy = shutil.copytree(PREDICTOR, tmp_path / "tampered")
    model_file = next(p for p in (copy / "model").iterdir() if p.suffix == ".json")
    model_file.write_text(model_file.read_text().replace("0", "1", 1))
    run = _run(world, *_mt_args(world, tmp_path / "o", "--predictor", copy))
    assert run.returncode == 2 and "does not match the SHA-256" in run.stderr


def test_corrupted_cache_is_set_aside_and_results_recomputed(world, tmp_path):
    cache_dir = tmp_path / "cache"
    (cache_dir).mkdir()
    (cache_dir / "records.sqlite3").write_bytes(b"this is not a database" * 100)
    run = _run(world, *_mt_args(world, tmp_path / "o", "--proxy_cache_dir", cache_dir))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "unreadable" in run.stderr and list(cache_dir.glob("records.sqlite3.corrupt-*"))
    again = _run(world, *_mt_args(world, tmp_path / "o2", "--proxy_cache_dir", cache_dir))
    assert all(r["cached"] for r in _results(tmp_path / "o2")["proxylm"]["proxy_runs"])
    assert again.returncode == 0


def test_proxy_failing_midway_keeps_the_others_results(world, tmp_path):
    cache_dir = tmp_path / "cache"
    args = ["--target_model", world["causal_target"], "--measure", 3, "--tasks", ",".join(INTENT_TASKS),
            "--proxy_cache_dir", cache_dir]
    run = _run(world, *args, "--proxies", f"smollm_135m={world['causal']},bloomz_560m={world['broken']}",
               "--output_path", tmp_path / "o")
    assert run.returncode == 1, run.stderr[-3000:]
    assert "proxy bloomz_560m failed" in run.stderr and "Could not load bloomz_560m" in run.stderr
    section = _results(tmp_path / "o")["proxylm"]
    assert section["failures"][0]["model"] == "bloomz_560m"
    assert {r["model"] for r in section["proxy_runs"]} == {"smollm_135m"} and len(section["proxy_runs"]) == 5
    # the good proxy's five runs were kept: without the broken one, nothing of it runs again
    again = _run(world, *args, "--proxies", f"smollm_135m={world['causal']}", "--output_path", tmp_path / "o2")
    assert again.returncode == 0, again.stderr[-3000:]
    runs = _results(tmp_path / "o2")["proxylm"]["proxy_runs"]
    assert len(runs) == 5 and all(r["cached"] for r in runs)


def test_alongside_whose_target_fails_keeps_the_estimates(world, tmp_path):
    run = _run(world, *_mt_args(world, tmp_path / "o")[2:], "--target_model", world["broken"], "--predictor",
               PREDICTOR, "--alongside")
    assert run.returncode == 1, run.stderr[-3000:]
    assert "target" in run.stderr and "failed" in run.stderr
    results = _results(tmp_path / "o")
    assert results["proxylm"]["failures"][0]["role"] == "target"
    assert all(results["results"][n]["spbleu,none"] is not None for n in MT_TASKS)


def test_plain_lm_eval_subcommands_still_work(world):
    run = subprocess.run([console_script("proxylm-eval"), "ls", "--help"], capture_output=True, text=True,
                         env=world["env"], timeout=300, check=False)
    assert run.returncode == 0 and "usage" in run.stdout.lower()


def test_module_entry_point_matches_console_script(world):
    run = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.eval", "run", "--help"], capture_output=True,
                         text=True, env=world["env"], timeout=300, check=False)
    assert run.returncode == 0 and "--target_model" in run.stdout and "--measure" in run.stdout


def test_measure_joins_the_records_rows_of_the_same_setting(world, records_dir):
    """A target the records know zero-shot (M2M100) gains their 538 zero-shot rows next to the K measured ones."""
    target = world["root"] / "models" / "m2m100_1.2B"  # a local folder named as the records' target
    if not target.exists():
        shutil.copytree(world["m2m"], target)
    tasks = MT_TASKS + ["flores200_eng_Latn-deu_Latn", "flores200_fra_Latn-eng_Latn"]
    out = world["root"] / "out-measure-records"
    run = _run(world, "--target_model", target, "--measure", 3, "--proxies", f"small100={world['m2m']}",
               "--records", records_dir, "--tasks", ",".join(tasks), "--output_path", out)
    assert run.returncode == 0, run.stderr[-4000:]
    section = _results(out)["proxylm"]
    predictor = section["predictors"]["translation"]
    assert predictor["records_rows"] == 538 and len(predictor["fitted_on"]) == 3
    assert not any(f.startswith("doc_") for f in predictor["features"])  # the records have no document features
    estimated = [item for item in section["tasks"].values() if item["source"] == "estimated"]
    assert len(estimated) == 2
    for item in estimated:  # 541 rows calibrate a finite 90% interval
        low, high = item["interval"]
        assert low is not None and high is not None and low <= item["estimate"] <= high


def test_auto_trains_a_predictor_from_the_records_when_none_is_shipped(world, records_dir, tmp_path):
    env = {**world["env"], "PROXYLM_PREDICTORS": str(tmp_path / "none"), "PROXYLM_HARNESS_CACHE": str(tmp_path)}
    (tmp_path / "none").mkdir()
    argv = [console_script("proxylm-eval"), "run", "--device", "cpu", "--gen_kwargs", "max_gen_toks=8", "--metadata",
            json.dumps({"flores_dir": str(world["flores"])}), *map(str, _mt_args(world, tmp_path / "o")),
            "--records", str(records_dir)]
    run = subprocess.run(argv, env=env, cwd=world["root"], capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    predictor = _results(tmp_path / "o")["proxylm"]["predictors"]["translation"]
    assert predictor["id"].startswith("mt560-m2m100-spBLEU") and "predictors" in predictor["directory"]
    assert Path(predictor["directory"]).is_relative_to(tmp_path)
    # the same id as the shipped one: the same records, spec and seed
    assert predictor["id"] == load_artifact(PREDICTOR).id
    again = subprocess.run(argv, env=env, cwd=world["root"], capture_output=True, text=True, timeout=900, check=False)
    assert again.returncode == 0 and "training a zero-shot predictor" not in again.stderr  # trained once, reused
    missing = subprocess.run(argv[:-2] + ["--records", str(tmp_path / "no-records")], env=env, cwd=world["root"],
                             capture_output=True, text=True, timeout=900, check=False)
    assert missing.returncode == 2 and "No predictor for target 'facebook/m2m100_1.2B'" in missing.stderr
