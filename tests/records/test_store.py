"""The records store as the run cache: a run found by its whole key, shared by two processes, set aside when broken;
and the store's imports, views and matrix (issue 11)."""

import multiprocessing
from pathlib import Path
import sqlite3
import warnings

import pytest

from proxylm_harness.lm_eval_bridge.run_cache import CacheKey
from proxylm_harness.records.store import RecordsStore, StoreWarning


def _key(task="t", **changes):
    base = dict(model="m", revision="main", model_args="{}", task=task, task_version="1.0", task_hash="h",
                num_fewshot=None, limit=None, seed="[0]", lm_eval_version="0.4.13")
    return CacheKey(**{**base, **changes})


def _store(folder):
    return RecordsStore(folder / "records.sqlite3")


def test_cache_round_trip_and_every_key_field_matters(tmp_path):
    cache = _store(tmp_path)
    cache.put(_key(), {"metrics": {"acc,none": 0.5}})
    assert cache.get(_key()) == {"metrics": {"acc,none": 0.5}}
    for field, value in [("model", "m2"), ("revision", "abc"), ("model_args", "{1}"), ("task", "u"),
                         ("task_version", "2.0"), ("task_hash", "h2"), ("num_fewshot", 5), ("limit", 10),
                         ("seed", "[1]"), ("lm_eval_version", "0.4.14")]:
        assert cache.get(_key(**{field: value})) is None, field
    assert cache.run_count() == 1 and cache.clear() == 1 and cache.run_count() == 0


def _writer(args):
    directory, worker = args
    cache = _store(Path(directory))
    for i in range(40):
        cache.put(_key(task=f"w{worker}-{i}"), {"metrics": {"i": i}})
    cache.close()
    return worker


def _open(path):
    store = RecordsStore(path)
    try:
        store.read_only  # opens the file: WAL, quick_check, tables
    except sqlite3.Error as error:
        return f"{type(error).__name__}: {error}"
    finally:
        store.close()
    return "ok"


def test_processes_creating_one_new_store_at_once_all_open_it(tmp_path):
    """SQLite refuses a switch to WAL at once (no busy wait) while another process creates the same file."""
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        for trial in range(40):
            path = str(tmp_path / str(trial) / "records.sqlite3")
            assert pool.map(_open, [path] * 8) == ["ok"] * 8, trial


def test_two_processes_share_a_cache_without_corrupting_it(tmp_path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert sorted(pool.map(_writer, [(str(tmp_path), 0), (str(tmp_path), 1)])) == [0, 1]
    cache = _store(tmp_path)
    assert cache.run_count() == 80
    assert cache.get(_key(task="w1-39")) == {"metrics": {"i": 39}}
    with sqlite3.connect(cache.path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_corrupted_cache_file_is_set_aside_with_a_warning(tmp_path):
    path = tmp_path / "records.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    cache = _store(tmp_path)
    with pytest.warns(StoreWarning, match="unreadable"):
        assert cache.get(_key()) is None
    assert list(tmp_path.glob("records.sqlite3.corrupt-*"))
    cache.put(_key(), {"metrics": {}})
    assert _store(tmp_path).get(_key()) == {"metrics": {}}


def test_cache_of_another_schema_version_is_set_aside(tmp_path):
    cache = _store(tmp_path)
    cache.put(_key(), {"metrics": {}})
    cache.close()
    with sqlite3.connect(tmp_path / "records.sqlite3") as connection:
        connection.execute("UPDATE meta SET value = '999' WHERE name = 'schema'")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _store(tmp_path).get(_key()) is None
    assert any(issubclass(w.category, StoreWarning) for w in caught)




# -- importing lm-eval results files (issue 11) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_store(tmp_path_factory, lm_eval_results_dir):
    store = RecordsStore(tmp_path_factory.mktemp("store") / "records.sqlite3")
    report = store.add([lm_eval_results_dir])
    return store, report


def test_the_70_shared_files_import_to_14_models_by_50_cells(shared_store):
    store, report = shared_store
    assert len(report.added) == 70 and report.records == 700 and not report.bad
    matrix = store.matrix()
    assert matrix.scores.shape == (14, 50) and matrix.scores.notna().all().all()
    assert set(matrix.cells["task"]) >= {"xstorycloze_my", "paws_de", "xnli_sw", "xcopa_qu", "xwinograd_jp"}
    assert not any(t.startswith(("xstory_cloze", "pawsx")) for t in matrix.cells["task"])
    assert matrix.cells[["family", "source_lang", "target_lang"]].notna().all().all()
    assert matrix.cells.set_index("task").loc["xwinograd_jp", "source_lang"] == "jpn"
    assert matrix.factors.loc["bigscience/bloom-7b1", "params_b"] == pytest.approx(7.1)
    assert matrix.factors.loc["bigscience/bloom-7b1", "params_source"] == "parsed"


def test_show_lists_the_files_scores(shared_store, lm_eval_results_dir):
    import json

    store, _ = shared_store
    shown = store.show("bigscience/bloom-560m").set_index("task")
    assert len(shown) == 50
    for group, task, old in (("xnli", "xnli_sw", "xnli_sw"), ("xstory_cloze", "xstorycloze_my", "xstory_cloze_my"),
                             ("pawsx", "paws_ko", "pawsx_ko"), ("xwinograd", "xwinograd_pt", "xwinograd_pt")):
        data = json.loads((lm_eval_results_dir / "bloom" / "bloom-560m" / f"bloom-560m_{group}_0-shot.json").read_text())
        assert shown.loc[task, "score"] == data["results"][old]["acc"]
        assert shown.loc[task, "stderr"] == data["results"][old]["acc_stderr"]


def test_importing_the_same_files_again_adds_nothing(shared_store, lm_eval_results_dir):
    store, _ = shared_store
    before = len(store)
    again = store.add([lm_eval_results_dir])
    assert not again.added and len(again.skipped) == 70 and len(store) == before


def _results_file(path, score, *, task="xnli_sw", limit=None, date=None, extra=None):
    import json

    data = {"results": {task: {"acc,none": score, "acc_stderr,none": 0.01, "alias": task}},
            "configs": {task: {"task": task, "metadata": {"version": 1.0}}}, "versions": {task: 1.0},
            "n-shot": {task: 0}, "config": {"model_args": "pretrained=org/model-1b", "limit": limit}, "date": date,
            **(extra or {})}
    path.write_text(json.dumps(data))
    return path


def test_a_different_score_from_another_run_is_kept_and_the_latest_wins(tmp_path):
    store = _store(tmp_path)
    store.add([_results_file(tmp_path / "a.json", 0.40, date=1000.0)])
    store.add([_results_file(tmp_path / "b.json", 0.45, date=2000.0)])
    assert store.matrix().scores.loc["org/model-1b"].iloc[0] == 0.45
    assert store.list()["conflicts"].sum() == 1 and len(store) == 2
    assert store.show("org/model-1b")["conflict"].all()


def test_a_partial_result_is_kept_but_never_mixed_with_full_ones(tmp_path):
    store = _store(tmp_path)
    store.add([_results_file(tmp_path / "full.json", 0.40), _results_file(tmp_path / "part.json", 0.90, limit=10)])
    assert store.matrix().scores.loc["org/model-1b"].iloc[0] == 0.40
    assert store.matrix(partial=True).scores.loc["org/model-1b"].iloc[0] == 0.90
    assert store.export()["partial"].tolist() == [False, True]


def test_group_rows_and_estimates_are_not_records(tmp_path):
    extra = {"groups": {"xnli": {"acc,none": 0.5}}, "group_subtasks": {"xnli": ["xnli_sw"]}}
    path = _results_file(tmp_path / "g.json", 0.4, extra=extra)
    import json

    data = json.loads(path.read_text())
    data["results"]["xnli"] = {"acc,none": 0.5, "alias": "xnli"}
    data["results"]["xnli_de"] = {"acc,none": 0.7, "acc_lower,none": 0.6, "acc_upper,none": 0.8}
    data["proxylm"] = {"tasks": {"xnli_sw": {"source": "measured"}, "xnli_de": {"source": "estimated"}}}
    path.write_text(json.dumps(data))
    store = _store(tmp_path)
    store.add([path])
    assert store.export()["task"].tolist() == ["xnli_sw"]


@pytest.mark.parametrize("content, key", [
    ('{"results": {"xnli_sw": {"acc,none": "high"}}, "config": {"model_args": "pretrained=m"}}', "results.xnli_sw.acc,none"),
    ('{"results": {"xnli_sw": {"acc,none": 0.4}', "truncated"),
    ('{"model": "m", "scores": [1, 2]}', "not an lm-eval results file"),
    ('{"results": {"xnli_sw": {"acc": 0.4}}, "config": {}}', "config.model_args"),
])
def test_a_bad_file_is_refused_in_one_line_naming_file_and_key(tmp_path, content, key):
    from proxylm_harness.records.layouts import RecordsError
    from proxylm_harness.records.results_files import read_results_file

    path = tmp_path / "results_bad.json"
    path.write_text(content)
    with pytest.raises(RecordsError) as caught:
        read_results_file(path)
    assert str(path) in str(caught.value) and key in str(caught.value) and "\n" not in str(caught.value)


def test_a_folder_with_bad_files_imports_the_good_ones_and_lists_the_bad(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "runs"
    (folder / "a").mkdir(parents=True)
    _results_file(folder / "a" / "results_1.json", 0.4)
    (folder / "a" / "results_2.json").write_text('{"results": {')
    (folder / "a" / "samples_xnli_sw.jsonl").write_text("{}\n")
    store = tmp_path / "records.sqlite3"
    result = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "records", "add", str(folder),
                             "--records", str(store)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 1 and "added 1 records from 1 file(s)" in result.stdout
    assert "results_2.json" in result.stderr and "truncated" in result.stderr and "Traceback" not in result.stderr
    assert len(RecordsStore(store)) == 1


def _import(args):
    store, folder = args
    return len(RecordsStore(store).add([folder]).added)


def test_two_concurrent_imports_into_one_store_add_each_file_once(tmp_path, lm_eval_results_dir):
    store = str(tmp_path / "records.sqlite3")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        added = pool.map(_import, [(store, str(lm_eval_results_dir)), (store, str(lm_eval_results_dir / "bloom"))])
    assert sum(added) == 70 and len(RecordsStore(store)) == 700
    with sqlite3.connect(store) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_kill_in_the_middle_of_a_folder_import_loses_and_doubles_nothing(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "many"
    folder.mkdir()
    tasks = [f"xnli_{c}" for c in ("sw", "de", "fr", "es", "ru", "zh", "ar", "hi", "th", "tr")]
    for i in range(400):
        _results_file(folder / f"results_{i:03d}.json", (i % 97) / 100, task=tasks[i % 10],
                      extra={"config": {"model_args": f"pretrained=org/model-{i}b"}})
    store = tmp_path / "records.sqlite3"
    argv = [sys.executable, "-m", "proxylm_harness.cli.harness", "records", "add", str(folder), "--records", str(store)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not store.exists() or _count(store) < 50):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = _count(store)
    assert 0 < killed_at < 400
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    assert _count(store) == 400 and len(RecordsStore(store)) == 400


def _count(store) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM sources").fetchone()[0]
    except sqlite3.Error:
        return 0


# -- ProxyLM's record files, factors, removal, export ---------------------------------------------------------------
def test_an_import_reports_the_records_it_stored(tmp_path, records_dir):
    """NusaTranslation repeats each zero-shot score on every training row: one record each, counted once."""
    store = _store(tmp_path)
    report = store.add([records_dir / "nusa_experiments.csv"])
    assert report.records == len(store) < 9408


def test_proxylm_records_import_with_their_setting_in_the_cell(tmp_path, records_dir):
    store = _store(tmp_path)
    report = store.add([records_dir / "intent_experiments.csv"])
    assert report.records == 2601 * 5
    matrix = store.matrix(family="intent", setting=None)
    assert matrix.scores.shape == (5, 2601)
    assert set(matrix.cells["setting"]) == {"fine-tuned:massive"} and set(matrix.cells["metric"]) == {"accuracy"}
    assert matrix.factors.loc["CohereForAI/aya-23-8B", "params_b"] == 8.0
    assert set(matrix.cells["features"].iloc[0]) >= {"genetic", "syntactic", "train_test_jsd"}


def test_factors_file_sets_sizes_and_families_over_parsed_ones(tmp_path):
    store = _store(tmp_path)
    store.add([_results_file(tmp_path / "a.json", 0.4)])
    (tmp_path / "factors.csv").write_text("model,params_b,family,instruct\norg/model-1b,1.3,mine,yes\n")
    assert store.set_factors(tmp_path / "factors.csv") == 1
    factors = store.matrix().factors.loc["org/model-1b"]
    assert factors["params_b"] == 1.3 and factors["family"] == "mine" and factors["instruct"] == "yes"
    assert factors["params_source"] == "factors"


def test_remove_a_model_or_a_source(tmp_path):
    store = _store(tmp_path)
    store.add([_results_file(tmp_path / "a.json", 0.4),
               _results_file(tmp_path / "b.json", 0.4, extra={"config": {"model_args": "pretrained=org/other-2b"}})])
    assert store.remove(source=tmp_path / "b.json") == 1 and len(store) == 1
    assert store.remove("org/model-1b") == 1 and len(store) == 0


def test_export_is_one_tidy_table_in_csv_and_parquet(shared_store, tmp_path):
    import subprocess
    import sys

    import pandas as pd

    store, _ = shared_store
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"records.{fmt}"
        result = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "records", "export",
                                 "--format", fmt, "--output", str(out), "--records", str(store.path)],
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert len(table) == 700 and {"model", "task", "metric", "score", "source_lang", "source"} <= set(table)


# -- runs are records -------------------------------------------------------------------------------------------------
def test_a_run_becomes_records_with_its_cell_and_an_imported_result_is_never_recomputed(tmp_path):
    store = _store(tmp_path)
    store.describe_tasks({"xnli_sw": {"family": "xnli", "dataset": "facebook/xnli", "source_lang": "swa",
                                      "target_lang": "swa"}})
    store.put(_key(task="xnli_sw", model="org/proxy"), {"metrics": {"acc,none": 0.4, "acc_stderr,none": 0.01}})
    row = store.export().iloc[0]
    assert (row["model"], row["task"], row["metric"], row["score"], row["source_lang"]) == \
           ("org/proxy", "xnli_sw", "acc", 0.4, "swa")
    store.add([_results_file(tmp_path / "r.json", 0.55)])  # an lm-eval run of org/model-1b, imported
    imported = store.get(_key(task="xnli_sw", model="org/model-1b", revision="main", task_version="1.0",
                              num_fewshot=0))
    assert imported["metrics"] == {"acc,none": 0.55, "acc_stderr,none": 0.01}
    assert store.get(_key(task="xnli_sw", model="org/model-1b", task_version="2.0")) is None
