"""The pieces under proxylm-eval: the proxy registry, backends (vLLM checked with a recording model), language tokens
of the seq2seq model, document features. (The run cache is the records store: tests/records/test_store.py.)"""

import json

import pytest
import task_fixtures as fx

from proxylm_harness.features.documents import document_features
from proxylm_harness.lm_eval_bridge.proxies import PROXIES, ProxyError, default_proxies, parse_proxies, target_record_name


# ---------------------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------------------

def test_registry_defaults_per_family():
    assert [p.name for p in default_proxies("translation")] == ["small100"]
    assert [p.name for p in default_proxies("intent")] == ["smollm_135m", "smollm_360m", "bloomz_560m"]
    assert PROXIES["small100"].pretrained == "alirezamsh/small100" and PROXIES["small100"].architecture == "seq2seq"
    assert PROXIES["bloomz_560m"].pretrained == "bigscience/bloomz-560m"


def test_parse_proxies_overrides_and_local_models(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"is_encoder_decoder": True}))
    small, mine = parse_proxies(f"small100={tmp_path}, mine={tmp_path}")
    assert small.pretrained == str(tmp_path) and small.language_codes == "small100" and small.record_name == "small100"
    assert mine.architecture == "seq2seq" and mine.record_name == "mine"
    assert parse_proxies("") is None
    with pytest.raises(ProxyError, match="Unknown proxy 'smolm_135m'. Did you mean: 'smollm_135m'"):
        parse_proxies("smolm_135m")
    with pytest.raises(ProxyError, match="named twice"):
        parse_proxies("small100,small100")
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ProxyError, match="not readable JSON"):
        parse_proxies(f"x={tmp_path}")


def test_target_names():
    assert target_record_name("facebook/m2m100_1.2B") == "m2m100" and target_record_name("aya") == "aya"
    assert target_record_name("/models/Meta-Llama-3-8B-Instruct") == "llama3"
    assert target_record_name("gpt2") is None


def test_document_features():
    features = document_features(["the cat sat", "the dog"])
    assert features == {"doc_count": 2.0, "doc_avg_length": 2.5, "doc_vocab_size": 4.0, "doc_ttr": 0.8}
    with pytest.raises(ValueError):
        document_features([])


# ---------------------------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------------------------

def test_backend_choice(monkeypatch):
    from proxylm_harness.lm_eval_bridge import model_runs as proxy_runs
    from proxylm_harness.lm_eval_bridge.model_runs import ModelRunError, RunSettings, lm_eval_model

    monkeypatch.setattr(proxy_runs, "_vllm_usable", lambda: False)
    assert lm_eval_model(PROXIES["smollm_135m"], RunSettings())[0] == "hf"
    name, args = lm_eval_model(PROXIES["small100"], RunSettings())
    assert name == "proxylm-seq2seq" and args["language_codes"] == "small100"
    monkeypatch.setattr(proxy_runs, "_vllm_usable", lambda: True)
    name, args = lm_eval_model(PROXIES["smollm_360m"], RunSettings())
    assert name == "vllm" and args["pretrained"] == "HuggingFaceTB/SmolLM-360M" and args["revision"] == "main"
    assert lm_eval_model(PROXIES["smollm_360m"], RunSettings(backend="hf"))[0] == "hf"
    assert lm_eval_model(PROXIES["small100"], RunSettings())[0] == "proxylm-seq2seq"  # vLLM cannot run M2M100
    with pytest.raises(ModelRunError, match="vLLM cannot run"):
        lm_eval_model(PROXIES["small100"], RunSettings(backend="vllm"))


@pytest.fixture(scope="module")
def intent_tasks(tmp_path_factory):
    pytest.importorskip("lm_eval")
    from proxylm_harness.lm_eval_bridge.task_metadata import shipped_task_manager

    root = tmp_path_factory.mktemp("massive")
    fx.write_massive(root, ["sw-KE", "de-DE"])
    manager = shipped_task_manager({"massive_dir": str(root)})
    names = ["massive_intent_sw-KE", "massive_intent_de-DE"]
    return manager, manager.load(names)["tasks"]


def test_vllm_path_gives_lm_eval_the_right_arguments(monkeypatch, intent_tasks, tmp_path):
    """Where CUDA and vLLM are present, a decoder-only proxy runs through lm-eval's ``vllm`` model.

    CI has no GPU: lm-eval's registry hands out a recording model in vllm's place, which answers lm-eval's
    requests, so the arguments lm-eval passes and the path of the results are real.
    """
    from lm_eval.api import registry
    from lm_eval.api.model import LM

    from proxylm_harness.lm_eval_bridge import model_runs as proxy_runs
    from proxylm_harness.lm_eval_bridge.model_runs import RunContext, RunSettings, run_model
    from proxylm_harness.records.store import RecordsStore

    calls = {}

    class RecordingVLLM(LM):
        @classmethod
        def create_from_arg_obj(cls, arg_dict, additional_config=None):
            calls["args"], calls["additional"] = dict(arg_dict), dict(additional_config or {})
            return cls()

        def loglikelihood(self, requests, disable_tqdm=False):
            calls.setdefault("loglikelihood", 0)
            calls["loglikelihood"] += len(requests)
            # the gold intent of the fixture's first utterances ("alarm_set") scores best
            return [(-1.0 if req.args[1].strip() == "alarm_set" else -5.0, False) for req in requests]

        def loglikelihood_rolling(self, requests, disable_tqdm=False):
            raise NotImplementedError

        def generate_until(self, requests, disable_tqdm=False):
            raise NotImplementedError

    real_get_model = registry.get_model
    monkeypatch.setattr(proxy_runs, "_vllm_usable", lambda: True)
    monkeypatch.setattr(registry, "get_model", lambda name: RecordingVLLM if name == "vllm" else real_get_model(name))
    manager, tasks = intent_tasks
    runs = run_model(PROXIES["smollm_135m"], tasks, RunContext(RunSettings(batch_size="auto", device="cuda"),
                                                               cache=RecordsStore(tmp_path / "r.sqlite3"),
                                                               task_manager=manager))
    assert calls["args"] == {"pretrained": "HuggingFaceTB/SmolLM-135M", "revision": "main", "dtype": "auto",
                             "gpu_memory_utilization": 0.8}
    assert calls["additional"] == {"batch_size": "auto", "device": "cuda"}
    assert calls["loglikelihood"] == 2 * 5 * 60  # two tasks, five utterances, sixty intents each
    assert [r.task for r in runs] == list(tasks) and all(0.0 <= r.metrics["acc,none"] <= 1.0 for r in runs)
    assert runs[0].metrics["acc,none"] == pytest.approx(1 / 5)  # only the alarm_set utterance is right


# ---------------------------------------------------------------------------------------------------------------
# The seq2seq model's language tokens
# ---------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory):
    pytest.importorskip("lm_eval")
    pytest.importorskip("torch")
    from lm_eval.api.registry import get_model

    from proxylm_harness.lm_eval_bridge.seq2seq_model import register

    folder = fx.build_seq2seq_model(tmp_path_factory.mktemp("m2m") / "m", language_tokens=["__en__", "__af__"])
    register()
    cls = get_model("proxylm-seq2seq")
    return {code: cls(pretrained=str(folder), language_codes=code, device="cpu", dtype="float32")
            for code in ("small100", "m2m100")}


def test_small100_puts_the_target_token_first(seq2seq):
    lm = seq2seq["small100"]
    lm.set_languages("eng_Latn", "af")
    plain = lm.tokenizer(["the cat sat"])["input_ids"][0]
    ids, mask = lm.tok_batch_encode(["the cat sat", "a small model translates a short sentence"])
    af = lm.tokenizer.convert_tokens_to_ids("__af__")
    first = ids[0][mask[0].bool()].tolist()
    assert first == [af, *plain] and ids[1][mask[1].bool()].tolist()[0] == af
    assert mask.shape == ids.shape and mask[0, 0] == 0  # left padding kept


def test_m2m100_prefixes_the_source_and_forces_the_target(seq2seq):
    import torch

    lm = seq2seq["m2m100"]
    lm.set_languages("en-US", "afr")
    ids, mask = lm.tok_batch_encode(["the cat sat"])
    assert ids[0, 0].item() == lm.tokenizer.convert_tokens_to_ids("__en__")
    out = lm._model_generate(ids, max_length=6, stop=["\n"], attention_mask=mask)
    assert isinstance(out, torch.Tensor)
    start = out[0].tolist()
    assert lm.tokenizer.convert_tokens_to_ids("__af__") in start[:2]


def test_language_without_a_token_is_refused(seq2seq):
    from proxylm_harness.lm_eval_bridge.seq2seq_model import LanguageTokenError, language_token

    assert language_token("swh_Latn") == "__sw__" and language_token("ceb") == "__ceb__"
    with pytest.raises(LanguageTokenError, match="no language token __de__ for 'deu'"):
        seq2seq["small100"].set_languages("eng", "deu")
