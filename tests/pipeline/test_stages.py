"""proxylm-eval's stages and modes in-process, with a stand-in model runner: no model is loaded, no subprocess runs.

The tasks are the shipped FLORES-200 and MASSIVE YAMLs over fixture data; the stand-in answers every run with a
score that depends only on (model, task), so each figure the pipeline reports can be recomputed here.
"""

from __future__ import annotations

import zlib

import pandas as pd
import pytest
import task_fixtures as fx
from conftest import REPO_ROOT

pytest.importorskip("lm_eval")

from proxylm_harness.estimators.artifacts import load_artifact  # noqa: E402
from proxylm_harness.languages.codes import language_key  # noqa: E402
from proxylm_harness.lm_eval_bridge.model_runs import ModelRunError, RunSettings, TaskRun  # noqa: E402
from proxylm_harness.pipeline import (  # noqa: E402
    Alongside, EstimateOnly, EstimationError, Measure, Pipeline, Request, make_mode, results_dict, task_manager_for,
)
from proxylm_harness.features.documents import DOCUMENT_FEATURES  # noqa: E402
from proxylm_harness.pipeline.estimates import feature_rows  # noqa: E402
from proxylm_harness.pipeline.measured import most_informative  # noqa: E402

PREDICTOR = REPO_ROOT / "predictors" / "m2m100-zeroshot-translation-spBLEU"
MT_TASKS = ["flores200_eng_Latn-afr_Latn", "flores200_afr_Latn-eng_Latn", "flores200_eng_Latn-zul_Latn"]
LOCALES = ["en-US", "sw-KE", "de-DE", "fr-FR", "af-ZA"]
INTENT_TASKS = [f"massive_intent_{locale}" for locale in LOCALES]


def score(model: str, task: str, metric: str) -> float:
    """The stand-in's score: fixed by (model, task), on the metric's scale."""
    unit = (zlib.crc32(f"{model}|{task}".encode()) % 1000) / 1000
    return 5 + 30 * unit if metric == "spbleu" else 0.05 + 0.9 * unit


class StandInRunner:
    """A ``ModelRunner`` that loads nothing: answers each task with ``score``, and fails where told to."""

    def __init__(self, fail: dict | None = None):
        self.fail = fail or {}  # model name -> number of tasks it finishes before failing
        self.calls = []  # (model name, pretrained, [tasks], extra model args)

    def run(self, spec, tasks, settings, *, languages, fingerprints, on_result):
        assert set(fingerprints) >= set(tasks)
        self.calls.append((spec.name, spec.pretrained, list(tasks), dict(settings.extra_model_args)))
        for i, (name, task) in enumerate(tasks.items()):
            if i == self.fail.get(spec.name, -1):
                raise ModelRunError(f"{spec.name} failed on task {name!r}: stand-in failure")
            assert languages[name] == (task.config.metadata["proxylm"]["source_lang"],
                                       task.config.metadata["proxylm"]["target_lang"])
            metric = next(iter(task.aggregation()))
            on_result(TaskRun(spec.name, name, {f"{metric},none": score(spec.name, name, metric)}, 4, 1.0, False,
                              "stand-in"))


class Bar:
    def __init__(self, total):
        self.total, self.done, self.closed = total, 0, False

    def update(self, n):
        self.done += n

    def close(self):
        self.closed = True


@pytest.fixture(scope="module")
def managers(tmp_path_factory):
    return build_managers(tmp_path_factory.mktemp("stages"))


def build_managers(root):
    """Task managers over the shipped FLORES-200 and MASSIVE YAMLs, their data written under ``root``."""
    flores = fx.write_flores(root / "flores", ["eng_Latn", "afr_Latn", "zul_Latn"])
    massive = fx.write_massive(root / "massive", LOCALES, vary=True)
    metadata = {"flores_dir": str(flores), "massive_dir": str(massive)}
    return {"mt": task_manager_for(MT_TASKS, metadata=metadata),
            "intent": task_manager_for(INTENT_TASKS, metadata=metadata), "root": root}


@pytest.fixture(autouse=True)
def _cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXYLM_HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PROXYLM_PREDICTORS", str(REPO_ROOT / "predictors"))


def _pipeline(managers, kind, mode, runner, *, target="facebook/m2m100_1.2B", progress=None, **request):
    tasks = MT_TASKS if kind == "mt" else INTENT_TASKS
    return Pipeline(Request(tasks=tasks, target=target, records=None, **request), mode, managers[kind],
                    RunSettings(), runner, progress_factory=progress)


def test_plan_resolves_languages_proxies_and_predictor_without_running_a_model(managers):
    runner = StandInRunner()
    plan = _pipeline(managers, "mt", EstimateOnly(), runner).plan()
    assert plan.leaves == MT_TASKS and list(plan.families) == ["translation"]
    family = plan.families["translation"]
    assert [p.name for p in family.proxies] == ["small100"] and family.predictor.report["id"].startswith("mt560-m2m100")
    assert plan.languages[MT_TASKS[0]].target_lang == language_key("afr_Latn")
    assert plan.language_pairs[MT_TASKS[1]] == ("afr_Latn", "eng_Latn")
    assert runner.calls == []


@pytest.mark.parametrize("k, message", [(5, "leaves none of the 5 intent task"), (2, "at least 3 measured")])
def test_measure_refuses_an_impossible_k_before_any_run(managers, k, message):
    runner = StandInRunner()
    with pytest.raises(EstimationError, match=message):
        _pipeline(managers, "intent", Measure(k), runner, target="some/model").run()
    assert runner.calls == []


def test_estimate_only_applies_the_predictor_to_the_proxies_scores_and_never_runs_the_target(managers):
    runner, bars = StandInRunner(), []
    report = _pipeline(managers, "mt", EstimateOnly(), runner,
                       progress=lambda total: bars.append(Bar(total)) or bars[-1]).run()
    assert [call[0] for call in runner.calls] == ["small100"]  # the target never ran
    assert bars[0].total == bars[0].done == 3 and bars[0].closed
    rows = pd.DataFrame([{
        "source_lang": report.plan.languages[t].source_lang, "target_lang": report.plan.languages[t].target_lang,
        "test_dataset": "flores200", "small100_noft": score("small100", t, "spbleu")} for t in MT_TASKS],
        index=MT_TASKS)
    expected = load_artifact(PREDICTOR).estimate(rows)
    for task in MT_TASKS:
        item = report.estimates[task]
        assert item.source == "estimated" and item.measured is None
        assert item.estimate == pytest.approx(min(max(expected.loc[task, "estimate"], 0.0), 100.0))
        assert item.lower == pytest.approx(max(expected.loc[task, "lower"], 0.0))
        assert item.proxies == {"small100": score("small100", task, "spbleu")}
    results = results_dict(report)
    assert results["proxylm"]["mode"] == "estimate" and results["proxylm"]["check"] is None
    assert set(results["results"]) == set(MT_TASKS) and results["n-shot"][MT_TASKS[0]] == 0


def test_alongside_runs_the_target_everywhere_and_reports_each_error(managers):
    runner = StandInRunner()
    report = _pipeline(managers, "mt", Alongside(), runner, target_model_args={"dtype": "float32"}).run()
    target_call = runner.calls[-1]
    assert target_call[:3] == ("target", "facebook/m2m100_1.2B", MT_TASKS) and target_call[3] == {"dtype": "float32"}
    for task in MT_TASKS:
        item = report.estimates[task]
        assert item.measured == pytest.approx(score("target", task, "spbleu"))
        assert item.error == pytest.approx(item.estimate - item.measured)
    check = results_dict(report)["proxylm"]["check"]
    errors = [report.estimates[t].error for t in MT_TASKS]
    assert check["tasks"] == 3 and check["rmse"] == pytest.approx((sum(e * e for e in errors) / 3) ** 0.5)


def test_measure_runs_the_target_on_k_informative_tasks_and_fits_on_them(managers):
    runner = StandInRunner()
    pipeline = _pipeline(managers, "intent", Measure(3), runner, target="some/model")
    report = pipeline.run()
    target_calls = [call for call in runner.calls if call[0] == "target"]
    assert len(target_calls) == 1 and len(target_calls[0][2]) == 3
    measured = [t for t, item in report.estimates.items() if item.source == "measured"]
    assert sorted(measured) == sorted(target_calls[0][2]) == sorted(report.predictors["intent"].report["fitted_on"])
    family = report.plan.families["intent"]
    rows = feature_rows(report.plan, family, family.proxies, report.runs)
    columns = [f"{p.record_name}_noft" for p in family.proxies] + list(DOCUMENT_FEATURES)
    assert target_calls[0][2] == most_informative(rows, columns, 3)
    for task in measured:
        assert report.estimates[task].estimate == pytest.approx(score("target", task, "acc"))
    for task in set(INTENT_TASKS) - set(measured):
        item = report.estimates[task]
        assert item.source == "estimated" and 0 <= item.estimate <= 1 and item.measured is None
        assert item.lower is None and any("interval unbounded" in w for w in item.warnings)


def test_measure_chooses_the_farthest_point_tasks():
    rows = pd.DataFrame({"p": [0.0, 0.1, 0.5, 0.9, 1.0], "q": [0.0, 0.0, 0.0, 0.0, 0.0]}, index=list("abcde"))
    assert most_informative(rows, ["p", "q"], 3) == ["c", "a", "e"]


def test_a_failing_proxy_costs_only_its_own_results(managers):
    runner = StandInRunner(fail={"smollm_360m": 2})
    report = _pipeline(managers, "intent", Measure(3), runner, target="some/model").run()
    assert report.failures == [{"model": "smollm_360m", "role": "proxy",
                                "error": "smollm_360m failed on task 'massive_intent_de-DE': stand-in failure"}]
    assert sum(1 for m, _ in report.runs if m == "smollm_360m") == 2
    assert sum(1 for m, _ in report.runs if m == "smollm_135m") == 5
    # two proxies finished everywhere, smollm_360m on two tasks: the measure fit keeps all three where complete
    incomplete = [t for t, item in report.estimates.items() if any("proxy run(s) failed" in w for w in item.warnings)]
    assert sorted(incomplete) == sorted(INTENT_TASKS[2:])


def test_a_proxy_that_fails_everywhere_is_left_out_of_a_measure_fit(managers):
    runner = StandInRunner(fail={"bloomz_560m": 0})
    report = _pipeline(managers, "intent", Measure(3), runner, target="some/model").run()
    assert "intent: fitted without proxy bloomz_560m, which failed" in report.warnings
    assert not any(c.startswith("bloomz") for c in report.predictors["intent"].report["features"])


def test_a_failing_target_keeps_the_estimates(managers):
    runner = StandInRunner(fail={"target": 1})
    report = _pipeline(managers, "mt", Alongside(), runner).run()
    assert report.failures[0]["role"] == "target"
    assert all(report.estimates[t].estimate is not None for t in MT_TASKS)
    assert [report.estimates[t].measured is not None for t in MT_TASKS] == [True, False, False]


def test_modes_from_flags():
    assert isinstance(make_mode(), EstimateOnly) and isinstance(make_mode(alongside=True), Alongside)
    assert make_mode(measure=4).k == 4
    with pytest.raises(ValueError, match="exclude each other"):
        make_mode(measure=3, alongside=True)


def test_one_call_api_refuses_unknown_arguments_before_any_work():
    import proxylm_harness

    with pytest.raises(TypeError, match="num_fewshots.*Did you mean: 'num_fewshot'"):
        proxylm_harness.estimate("facebook/m2m100_1.2B", MT_TASKS, num_fewshots=0)


def test_the_runner_tells_the_store_each_tasks_cell_and_a_local_targets_size(managers, tmp_path):
    pytest.importorskip("torch")
    from proxylm_harness._io import folder_digest
    from proxylm_harness.pipeline.runs import LmEvalRunner
    from proxylm_harness.records.store import RecordsStore

    target = fx.build_causal_model(tmp_path / "target")
    store = RecordsStore(tmp_path / "records.sqlite3")
    plan = _pipeline(managers, "intent", Measure(3), StandInRunner(), target=str(target)).plan()
    LmEvalRunner(cache=store).prepare(plan)
    assert store._task_cells["massive_intent_sw-KE"]["target_lang"] == "swa"
    factors = store.query("SELECT name, number, source FROM factors WHERE model = ?", (folder_digest(target),))
    assert factors and factors[0][0] == "params_b" and 0 < factors[0][1] < 0.01 and factors[0][2] == "config"


def test_the_report_says_what_the_run_cost_and_saved(managers):
    report = _pipeline(managers, "intent", Measure(3), StandInRunner(), target="some/model").run()
    cost = report.cost
    assert cost["target_cells_computed"] == 3 and cost["cells"] == 5
    assert cost["target_seconds_per_cell"] == pytest.approx(report.timings["target_runs_s"] / 3)
    assert cost["full_run_seconds"] == pytest.approx(cost["target_seconds_per_cell"] * 5)
    spent = report.timings["proxy_runs_s"] + report.timings["target_runs_s"]
    assert cost["speedup"] == pytest.approx(cost["full_run_seconds"] / spent)
    assert results_dict(report)["proxylm"]["cost"] == cost
    estimate_only = _pipeline(managers, "mt", EstimateOnly(), StandInRunner()).run()
    assert estimate_only.cost["speedup"] is None and estimate_only.cost["target_cells_computed"] == 0
