"""Tests for the shipped task families (tasks/), their language metadata, data loaders and metrics.

Every shipped YAML is loaded through lm-eval's TaskManager on small data written in each dataset's own layout;
one task of each family runs end to end with a tiny random model; the "Adding a task" example runs as documented.
"""

import doctest
import importlib.util
import json
import math
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import task_fixtures as fx
from conftest import REPO_ROOT

from proxylm_harness.lm_eval_bridge import task_data, task_metadata, task_metrics
from proxylm_harness.lm_eval_bridge.task_metadata import (
    TASKS_DIR,
    TaskMetadataError,
    leaf_task_names,
    metadata_block,
    metadata_config,
    task_languages,
)
from proxylm_harness.lm_eval_bridge.task_metrics import (
    FLORES200_SPM_ENV,
    FLORES200_SPM_NAME,
    MissingTokenizerModelError,
    agg_chrf_pp,
    agg_slot_f1,
    agg_spbleu,
    chrf_pp,
    chrf_pp_score,
    parse_slots,
    slot_counts,
    slot_f1,
    spbleu,
    spbleu_score,
)

DOC = REPO_ROOT / "README.md"
# group -> (family folder, metadata family, number of tasks)
GROUPS = {
    "massive_intent": ("massive", "intent", 51),
    "massive_slot": ("massive", "slot", 51),
    "flores200": ("flores200", "translation", 100),
    "nusatranslation": ("nusatranslation", "translation", 14),
}
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _generator(folder: str):
    path = TASKS_DIR / folder / "_generate_configs.py"
    spec = importlib.util.spec_from_file_location(f"_generate_{folder}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# The metadata block
# ---------------------------------------------------------------------------------------------

def test_metadata_block_is_the_mapping_generators_write():
    yaml = pytest.importorskip("yaml")
    text = metadata_block("t", family="slot", source_lang="en-US", target_lang="sw-KE", dataset="massive")
    assert yaml.safe_load(text) == {"metadata": metadata_config("slot", "en-US", "sw-KE", "massive")}


def test_task_languages_normalises_codes_of_any_form():
    config = {"task": "t", "metadata": metadata_config("intent", "en-US", "zh-TW", "massive")}
    languages = task_languages(config)
    assert (languages.family, languages.source_lang, languages.target_lang) == ("intent", "eng", "zho_Hant")
    assert (languages.raw_source_lang, languages.raw_target_lang, languages.dataset) == ("en-US", "zh-TW", "massive")
    assert task_languages({"task": "t", "metadata": metadata_config("translation", "sw", "swh_Latn", "x")}).source_lang == "swa"


def test_task_without_block_is_refused_with_the_block_to_paste():
    yaml = pytest.importorskip("yaml")
    config = {"task": "my_new_task", "metadata": {"version": 2.0}}
    with pytest.raises(TaskMetadataError) as caught:
        task_languages(config)
    message = str(caught.value)
    assert "Task 'my_new_task' has no language metadata" in message
    block = textwrap.dedent(message.split("):\n\n", 1)[1])
    pasted = yaml.safe_load(block)["metadata"]
    assert pasted["version"] == 2.0 and pasted["proxylm"]["dataset"] == "my_new_task"
    assert task_languages({"task": "my_new_task", "metadata": pasted}).family == "translation"
    with pytest.raises(TaskMetadataError, match="my_new_task"):
        task_languages({"task": "my_new_task"})


def test_unknown_code_names_the_task_and_families_are_open():
    bad_code = {"task": "t1", "metadata": metadata_config("translation", "eng_Latn", "qqx_Zzzz", "flores200")}
    with pytest.raises(TaskMetadataError, match=r"target_lang of task 't1': Unknown language code 'qqx_Zzzz'"):
        task_languages(bad_code)
    # a family without an entry is a family of its own (issue 11): it gets the defaults of families.family_for
    new_family = {"task": "t2", "metadata": metadata_config("summarisation", "en", "en", "x")}
    assert task_languages(new_family).family == "summarisation"
    no_family = {"task": "t2", "metadata": metadata_config(" ", "en", "en", "x")}
    with pytest.raises(TaskMetadataError, match="t2' lacks family"):
        task_languages(no_family)
    incomplete = {"task": "t3", "metadata": {"proxylm": {"family": "intent", "source_lang": "en"}}}
    with pytest.raises(TaskMetadataError, match="t3' lacks target_lang, dataset"):
        task_languages(incomplete)


@pytest.mark.parametrize("module", [task_metadata, task_metrics])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


# ---------------------------------------------------------------------------------------------
# Metrics on known strings
# ---------------------------------------------------------------------------------------------

def test_parse_slots_reads_massive_annotations():
    assert parse_slots("wake me up at [time : five am] [date : this week]") == [("time", "five am"), ("date", "this week")]
    assert parse_slots("remove the alarm at [time : 5:30 pm]") == [("time", "5:30 pm")]
    assert parse_slots("[ place_name :  new   york ]") == [("place_name", "new york")]
    assert parse_slots("tell me a joke") == []


def test_slot_f1_is_micro_f1_over_slot_value_pairs():
    gold = ["wake me up at [time : five am] [date : this week]", "weather in [place_name : paris]", "a joke"]
    pred = ["wake me up at [time : five am] [date : today]", "weather in paris", "a [joke_type : joke]"]
    counts = [slot_f1([g], [p]) for g, p in zip(gold, pred)]
    assert counts == [(1, 2, 2), (0, 0, 1), (0, 1, 0)]
    # matched 1, predicted 3, gold 3: precision 1/3, recall 1/3, F1 1/3
    assert agg_slot_f1(counts) == pytest.approx(1 / 3)
    assert agg_slot_f1(counts[:2]) == pytest.approx(0.4)  # P = 1/2, R = 1/3
    assert slot_counts("[a : x] [a : x]", "[a : x]") == (1, 1, 2)  # spans count as a multiset
    assert agg_slot_f1([(0, 0, 0)]) == 0.0


def test_chrf_pp_is_sacrebleu_chrf_word_order_2():
    sacrebleu = pytest.importorskip("sacrebleu")
    assert chrf_pp_score(["the cat sat on the mat"], ["the cat sat on the mat"]) == 100.0
    assert chrf_pp_score(["xyz"], ["abc"]) == 0.0
    predictions = ["the cat sat on a mat", "music plays in the evening"]
    references = ["the cat sat on the mat", "music plays softly in the evening"]
    expected = sacrebleu.metrics.CHRF(word_order=2).corpus_score(predictions, [references]).score
    items = [chrf_pp([r], [p]) for r, p in zip(references, predictions)]
    assert agg_chrf_pp(items) == pytest.approx(expected)


@pytest.fixture
def sacrebleu_home(tmp_path, monkeypatch):
    """sacrebleu's model folder moved to a temporary one holding a tiny model named as the FLORES-200 one."""
    pytest.importorskip("sentencepiece")
    sacrebleu = pytest.importorskip("sacrebleu")
    from sacrebleu.tokenizers import tokenizer_spm

    monkeypatch.delenv(FLORES200_SPM_ENV, raising=False)
    monkeypatch.setattr(sacrebleu.utils, "SACREBLEU_DIR", str(tmp_path))
    monkeypatch.setattr(tokenizer_spm, "SACREBLEU_DIR", str(tmp_path))
    return fx.build_spm_model(tmp_path / "models" / FLORES200_SPM_NAME)


def test_spbleu_equals_sacrebleu_with_the_flores200_tokenizer(sacrebleu_home, monkeypatch):
    import sacrebleu

    predictions = ["the cat sat on a mat", "please set an alarm in the morning", "languages are many"]
    references = ["the cat sat on the mat", "please set an alarm for the morning", "languages of the world are many"]
    expected = sacrebleu.corpus_bleu(predictions, [references], tokenize="flores200").score
    items = [spbleu([r], [p]) for r, p in zip(references, predictions)]
    assert 0 < agg_spbleu(items) < 100
    assert agg_spbleu(items) == pytest.approx(expected)
    # the same model named by our environment variable gives the same score
    elsewhere = sacrebleu_home.rename(sacrebleu_home.parent / "elsewhere.model")
    monkeypatch.setenv(FLORES200_SPM_ENV, str(elsewhere))
    assert spbleu_score(predictions, references) == pytest.approx(expected)


def test_spbleu_by_hand(sacrebleu_home):
    import sentencepiece

    reference = "languages of the world are many and varied"
    assert spbleu_score([reference], [reference]) == pytest.approx(100.0)
    # The first words of the reference: every n-gram matches, so BLEU is the brevity penalty exp(1 - r/c).
    processor = sentencepiece.SentencePieceProcessor(model_file=str(sacrebleu_home))
    prefix = "languages of the world"
    c, r = len(processor.EncodeAsPieces(prefix)), len(processor.EncodeAsPieces(reference))
    assert 4 <= c < r
    assert spbleu_score([prefix], [reference]) == pytest.approx(100 * math.exp(1 - r / c))


def test_spbleu_without_the_model_says_where_to_put_it(tmp_path, monkeypatch):
    sacrebleu = pytest.importorskip("sacrebleu")
    monkeypatch.delenv(FLORES200_SPM_ENV, raising=False)
    monkeypatch.setattr(sacrebleu.utils, "SACREBLEU_DIR", str(tmp_path))
    with pytest.raises(MissingTokenizerModelError) as caught:
        spbleu_score(["a"], ["a"])
    assert str(tmp_path / "models" / FLORES200_SPM_NAME) in str(caught.value)
    assert FLORES200_SPM_ENV in str(caught.value)
    monkeypatch.setenv(FLORES200_SPM_ENV, str(tmp_path / "nowhere.model"))
    with pytest.raises(MissingTokenizerModelError, match="names no file"):
        spbleu_score(["a"], ["a"])


# ---------------------------------------------------------------------------------------------
# Loaders: local folders in the datasets' own layouts
# ---------------------------------------------------------------------------------------------

def test_load_massive_reads_the_jsonl_release(tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    fx.write_massive(tmp_path / "a", ["sw-KE", "en-US"])
    data = task_data.load_massive(locale="sw-KE", massive_dir=str(tmp_path / "a"), pretrained="ignored")
    assert {split: len(rows) for split, rows in data.items()} == {"train": 5, "validation": 5, "test": 5}
    assert data["test"][0]["intent"] == "alarm_set" and data["test"][0]["locale"] == "sw-KE"
    assert data["validation"][0]["partition"] == "dev"
    crossed = task_data.load_massive(locale="sw-KE", fewshot_locale="en-US", massive_dir=str(tmp_path / "a"))
    assert set(crossed["train"]["locale"]) == {"en-US"} and set(crossed["test"]["locale"]) == {"sw-KE"}
    # <dir>/<locale>.jsonl, found through the environment variable
    fx.write_massive(tmp_path / "b", ["sw-KE"], layout="flat")
    monkeypatch.setenv("PROXYLM_MASSIVE_DIR", str(tmp_path / "b"))
    assert len(task_data.load_massive(locale="sw-KE")["test"]) == 5


def test_metadata_key_wins_over_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXYLM_FLORES_DIR", str(tmp_path / "from-env"))
    (tmp_path / "from-env").mkdir()
    (tmp_path / "from-metadata").mkdir()
    assert task_data.local_dir("flores200", {"flores_dir": str(tmp_path / "from-metadata")})[0].name == "from-metadata"
    assert task_data.local_dir("flores200", {})[1] == "$PROXYLM_FLORES_DIR"
    monkeypatch.delenv("PROXYLM_FLORES_DIR")
    assert task_data.local_dir("flores200", {}) is None


def test_missing_local_file_names_the_file_and_the_setting(tmp_path):
    pytest.importorskip("datasets")
    fx.write_massive(tmp_path, ["en-US"])
    with pytest.raises(task_data.TaskDataError) as caught:
        task_data.load_massive(locale="sw-KE", massive_dir=str(tmp_path))
    message = str(caught.value)
    assert str(tmp_path / "data" / "sw-KE.jsonl") in message
    assert "--metadata massive_dir" in message and "PROXYLM_MASSIVE_DIR" in message
    with pytest.raises(task_data.TaskDataError, match="PROXYLM_FLORES_DIR"):
        task_data.load_flores(source="eng_Latn", target="afr_Latn", flores_dir=str(tmp_path / "nowhere"))


def test_load_flores_pairs_lines_and_accepts_flores_plus_names(tmp_path):
    pytest.importorskip("datasets")
    fx.write_flores(tmp_path, ["eng_Latn", "fil_Latn"])  # FLORES+ calls FLORES-200's tgl_Latn fil_Latn
    data = task_data.load_flores(source="tgl_Latn", target="eng_Latn", flores_dir=str(tmp_path))
    assert len(data["devtest"]) == 4 and len(data["dev"]) == 4
    assert data["devtest"][1] == {
        "id": "1",
        "source": "a small model translates a short sentence (fil_Latn devtest 1)",
        "target": "a small model translates a short sentence (eng_Latn devtest 1)",
    }
    (tmp_path / "devtest" / "fil_Latn.devtest").write_text("only one line\n", encoding="utf-8")
    with pytest.raises(task_data.TaskDataError, match="line-aligned"):
        task_data.load_flores(source="tgl_Latn", target="eng_Latn", flores_dir=str(tmp_path))


def test_load_nusatranslation_both_directions(tmp_path):
    pytest.importorskip("datasets")
    fx.write_nusatranslation(tmp_path, ["btk"])
    forward = task_data.load_nusatranslation(source="ind", target="btk", nusatranslation_dir=str(tmp_path))
    backward = task_data.load_nusatranslation(source="btk", target="ind", nusatranslation_dir=str(tmp_path))
    assert set(forward) == {"train", "validation", "test"}
    assert forward["test"][0]["source"] == backward["test"][0]["target"] == "the cat sat on the mat, kata 0"
    with pytest.raises(ValueError, match="one of source and target must be 'ind'"):
        task_data.load_nusatranslation(source="jav", target="btk", nusatranslation_dir=str(tmp_path))


def test_hub_loaders_read_the_hub_schemas(tmp_path, monkeypatch):
    """Without a local folder the loaders ask the hub; its answers are faked here in the hub's own schemas."""
    datasets = pytest.importorskip("datasets")
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    for source in task_data.SOURCES.values():
        monkeypatch.delenv(source.env_var, raising=False)
    calls = []

    def fake_load_dataset(path, name=None, **kwargs):
        calls.append((path, name, kwargs))
        if path == task_data.MASSIVE_HUB:  # the parquet export: scenario and intent are class labels
            text = Value("string")
            features = Features({
                "id": text, "locale": text, "partition": text, "scenario": ClassLabel(names=["weather", "alarm"]),
                "intent": ClassLabel(names=["weather_query", "alarm_set"]), "utt": text, "annot_utt": text,
            })
            row = {"id": "7", "locale": "sw-KE", "partition": "test", "scenario": 1, "intent": 1, "utt": "niamshe",
                   "annot_utt": "niamshe [time : saa tano]"}
            return DatasetDict({split: Dataset.from_list([row], features=features) for split in kwargs["data_files"]})
        rows = [{"id": i, "iso_639_3": name[:3], "text": f"{name} {i}", "topic": "t"} for i in (2, 1)]
        return DatasetDict({split: Dataset.from_list(rows) for split in ("dev", "devtest")})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    massive = task_data.load_massive(locale="sw-KE")
    path, _, kwargs = calls[0]
    assert path == "AmazonScience/massive" and kwargs["revision"] == "refs/convert/parquet"
    assert kwargs["data_files"] == {s: f"sw-KE/{s}/*.parquet" for s in ("train", "validation", "test")}
    assert (massive["test"][0]["intent"], massive["test"][0]["scenario"]) == ("alarm_set", "alarm")

    flores = task_data.load_flores(source="tgl_Latn", target="zho_Hans")
    assert [(path, name) for path, name, _ in calls[1:]] == [(task_data.FLORES_HUB, "fil_Latn"), (task_data.FLORES_HUB, "cmn_Hans")]
    assert flores["devtest"][0] == {"id": "1", "source": "fil_Latn 1", "target": "cmn_Hans 1"}

    fx.write_nusatranslation(tmp_path, ["mak"])
    urls = []

    def fake_download(self, url):
        urls.append(url)
        return str(tmp_path / url.rsplit("/", 1)[1])

    monkeypatch.setattr(datasets.DownloadManager, "download", fake_download)
    nusa = task_data.load_nusatranslation(source="mak", target="ind")
    assert urls[0] == "https://raw.githubusercontent.com/IndoNLP/nusa-writes/main/data/nusa_kalimat-mt-mak-train.csv"
    assert len(urls) == 3 and nusa["test"][0]["target"] == "the cat sat on the mat, kata 0"


# ---------------------------------------------------------------------------------------------
# The shipped YAMLs through lm-eval
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def offline():
    with pytest.MonkeyPatch.context() as patch:
        for key, value in OFFLINE.items():
            patch.setenv(key, value)
        yield


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory):
    """Small data for every shipped language, in each dataset's layout; the --metadata keys that point at it."""
    root = tmp_path_factory.mktemp("task-data")
    fx.write_massive(root / "massive", _generator("massive").LOCALES)
    fx.write_flores(root / "flores", ["eng_Latn", "swh_Latn", *_generator("flores200").LANGUAGES])
    fx.write_nusatranslation(root / "nusa", _generator("nusatranslation").LANGUAGES)
    return {"massive_dir": str(root / "massive"), "flores_dir": str(root / "flores"),
            "nusatranslation_dir": str(root / "nusa")}


@pytest.fixture(scope="module")
def task_manager(offline, data_dirs):
    pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(TASKS_DIR), include_defaults=False, metadata=data_dirs)


def test_every_shipped_task_loads_and_its_languages_resolve(task_manager, data_dirs):
    loaded = task_manager.load(list(GROUPS))
    assert len(loaded["tasks"]) == len(task_manager.all_subtasks) == sum(n for *_, n in GROUPS.values())
    for group, (folder, family, count) in GROUPS.items():
        members = leaf_task_names(group, task_manager)
        assert len(members) == count and loaded["group_map"][group] == members
        for name in members:
            task = loaded["tasks"][name]
            languages = task_languages(task)
            assert languages == task_languages(name, task_manager)
            assert languages.family == family and name.startswith(group)
            assert Path(task.config.metadata["config_source"]).parent == TASKS_DIR / folder
            assert task.config.metadata["massive_dir"] == data_dirs["massive_dir"]  # --metadata merged, block kept
            assert len(task.eval_docs) > 0
    intent = task_languages(loaded["tasks"]["massive_intent_zh-TW"])
    assert (intent.source_lang, intent.target_lang, intent.dataset) == ("zho_Hant", "zho_Hant", "massive")
    mt = task_languages(loaded["tasks"]["flores200_plt_Latn-eng_Latn"])
    assert (mt.source_lang, mt.target_lang, mt.raw_source_lang) == ("mlg", "eng", "plt_Latn")
    with pytest.raises(TaskMetadataError, match="is a group or tag"):
        task_languages("flores200", task_manager)


def test_task_manager_names_a_task_without_metadata(tmp_path, offline):
    pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    (tmp_path / "bare.yaml").write_text("task: bare_task\ndataset_path: x\ntest_split: test\ndoc_to_text: q\n")
    manager = TaskManager(include_path=str(tmp_path), include_defaults=False, metadata={"massive_dir": "/x"})
    with pytest.raises(TaskMetadataError, match=r"(?s)Task 'bare_task' has no language metadata.*dataset: bare_task"):
        task_languages("bare_task", manager)
    with pytest.raises(TaskMetadataError, match="Unknown task 'nope'"):
        task_languages("nope", manager)


def test_intent_accuracy_on_known_loglikelihoods(task_manager):
    task = task_manager.load(["massive_intent_sw-KE"])["tasks"]["massive_intent_sw-KE"]
    doc = task.eval_docs[0]
    choices = task.doc_to_choice(doc)
    assert len(choices) == 60 and doc["intent"] == "alarm_set"
    gold = choices.index("alarm_set")
    lls = [-10.0] * 60
    lls[gold] = -1.0
    assert task.process_results(doc, [(ll, False) for ll in lls])["acc"] == 1.0
    lls[gold - 1] = -0.5
    assert task.process_results(doc, [(ll, False) for ll in lls])["acc"] == 0.0
    # acc_norm divides by the label's length in characters: alarm_set (9) -9 / 9 > alarm_remove (12) -13 / 12
    lls = [-100.0] * 60
    lls[gold], lls[choices.index("alarm_remove")] = -9.0, -13.0
    scores = task.process_results(doc, [(ll, False) for ll in lls])
    assert (scores["acc"], scores["acc_norm"]) == (1.0, 1.0)
    lls[choices.index("alarm_remove")] = -11.5  # -11.5 / 12 > -9 / 9: acc picks alarm_set, acc_norm alarm_remove
    scores = task.process_results(doc, [(ll, False) for ll in lls])
    assert (scores["acc"], scores["acc_norm"]) == (1.0, 0.0)


@pytest.mark.parametrize("folder", ["massive", "flores200", "nusatranslation"])
def test_generator_rewrites_the_shipped_files_byte_for_byte(folder, tmp_path):
    pytest.importorskip("yaml")
    script = TASKS_DIR / folder / "_generate_configs.py"
    run = subprocess.run([sys.executable, str(script), "--output-dir", str(tmp_path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    shipped = sorted(p.name for p in (TASKS_DIR / folder).glob("*.yaml"))
    assert written == shipped  # no generated file missing, none left over
    for name in written:
        assert (tmp_path / name).read_bytes() == (TASKS_DIR / folder / name).read_bytes(), name
        assert (tmp_path / name).read_text().startswith(f"# Generated by tasks/{folder}/_generate_configs.py")
    again = subprocess.run([sys.executable, str(script), "--output-dir", str(tmp_path)], capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_flores_languages_are_the_mt560_languages_of_the_records(records_dir):
    import csv

    with open(records_dir / "mt560_experiments.csv", newline="") as handle:
        record_languages = {row["source_lang"] for row in csv.DictReader(handle)} - {"eng"}
    shipped = {code.split("_")[0] for code in _generator("flores200").LANGUAGES}
    assert len(record_languages) == 50 and shipped == record_languages


# ---------------------------------------------------------------------------------------------
# End to end with tiny models
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory, offline):
    pytest.importorskip("lm_eval")
    pytest.importorskip("torch")
    pytest.importorskip("sentencepiece")
    root = tmp_path_factory.mktemp("models")
    return {
        "causal": fx.build_causal_model(root / "llama"),
        "seq2seq": fx.build_seq2seq_model(root / "m2m"),
        "spm": fx.build_spm_model(root / "flores200.model"),
    }


def _evaluate(task_manager, model_dir, backend, tasks):
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model="hf", model_args=f"pretrained={model_dir},backend={backend},device=cpu,dtype=float32",
        tasks=tasks, task_manager=task_manager, batch_size=4, log_samples=True, bootstrap_iters=0,
        gen_kwargs="max_gen_toks=12",
    )


def test_one_task_of_each_family_runs_with_tiny_models(task_manager, tiny_models, monkeypatch):
    monkeypatch.setenv(FLORES200_SPM_ENV, str(tiny_models["spm"]))
    causal = _evaluate(task_manager, tiny_models["causal"], "causal",
                       ["massive_intent_sw-KE", "massive_slot_sw-KE", "nusatranslation_ind-jav"])
    seq2seq = _evaluate(task_manager, tiny_models["seq2seq"], "seq2seq", ["flores200_eng_Latn-afr_Latn"])
    results = {**causal["results"], **seq2seq["results"]}
    samples = {**causal["samples"], **seq2seq["samples"]}

    intent = samples["massive_intent_sw-KE"]
    assert len(intent) == 5
    picked = [max(range(60), key=lambda i: s["filtered_resps"][i][0]) for s in intent]
    choices = task_manager.load(["massive_intent_sw-KE"])["tasks"]["massive_intent_sw-KE"].doc_to_choice(intent[0]["doc"])
    expected_acc = sum(choices[i] == s["doc"]["intent"] for i, s in zip(picked, intent)) / len(intent)
    assert results["massive_intent_sw-KE"]["acc,none"] == pytest.approx(expected_acc)

    slot = samples["massive_slot_sw-KE"]
    counts = [slot_counts(s["doc"]["annot_utt"], s["filtered_resps"][0]) for s in slot]
    assert results["massive_slot_sw-KE"]["slot_f1,none"] == pytest.approx(agg_slot_f1(counts))

    for task in ("nusatranslation_ind-jav", "flores200_eng_Latn-afr_Latn"):
        pairs = [(s["doc"]["target"], s["filtered_resps"][0]) for s in samples[task]]
        assert results[task]["spbleu,none"] == pytest.approx(spbleu_score([p for _, p in pairs], [r for r, _ in pairs]))
        assert results[task]["chrf_pp,none"] == pytest.approx(chrf_pp_score([p for _, p in pairs], [r for r, _ in pairs]))
    assert samples["flores200_eng_Latn-afr_Latn"][0]["arguments"][0][0].startswith("English: the cat sat on the mat")
    assert samples["nusatranslation_ind-jav"][0]["doc"]["target"] == "the cat sat on the mat (jav 0)"


def _doc_example():
    text = DOC.read_text(encoding="utf-8")
    name, yaml_text = re.search(r"<!-- example-yaml: (\S+) -->\n```yaml\n(.*?)```", text, re.DOTALL).groups()
    command = re.search(r"<!-- example-command -->\n```bash\n(.*?)```", text, re.DOTALL).group(1)
    return name, yaml_text, shlex.split(command)


def test_adding_a_task_example_runs_as_documented(tmp_path, data_dirs, tiny_models):
    yaml = pytest.importorskip("yaml")
    name, yaml_text, argv = _doc_example()
    user_dir = tmp_path / "my_tasks"
    user_dir.mkdir()
    (user_dir / name).write_text(yaml_text, encoding="utf-8")
    task = yaml.safe_load(yaml_text.replace("!function", ""))["task"]
    assert argv[:1] == ["lm_eval"] and argv[argv.index("--tasks") + 1] == task
    assert argv[argv.index("--include_path") + 1] == user_dir.name
    assert "flores_dir" in json.loads(argv[argv.index("--metadata") + 1])
    # The documented command, with a tiny model and this test's FLORES-200 folder.
    argv[argv.index("--model_args") + 1] = f"pretrained={tiny_models['causal']},dtype=float32"
    argv[argv.index("--metadata") + 1] = json.dumps({"flores_dir": data_dirs["flores_dir"]})
    env = {**os.environ, **OFFLINE, FLORES200_SPM_ENV: str(tiny_models["spm"])}
    run = subprocess.run(
        [sys.executable, "-m", "lm_eval", *argv[1:], "--device", "cpu", "--gen_kwargs", "max_gen_toks=8",
         "--output_path", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    scores = results["results"][task]
    assert 0 <= scores["spbleu,none"] <= 100 and 0 <= scores["chrf_pp,none"] <= 100
    assert results["configs"][task]["metadata"]["proxylm"]["target_lang"] == "fra_Latn"
    assert task_languages(results["configs"][task]).target_lang == "fra"
