"""proxylm-eval completing a family from the records store: estimate-only for a target no predictor serves, the
target's stored scores counted as measured, alongside checked against the target, ``--measure`` choosing its cells
with the store, and the shipped predictor kept unless completion's cross-validated error is lower."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_stages import INTENT_TASKS, MT_TASKS, StandInRunner, build_managers, score

pytest.importorskip("lm_eval")

from proxylm_harness.lm_eval_bridge import model_size  # noqa: E402
from proxylm_harness.lm_eval_bridge.model_runs import RunSettings  # noqa: E402
from proxylm_harness.pipeline import (  # noqa: E402
    Alongside, EstimateOnly, EstimationError, Measure, Pipeline, Request, results_dict,
)
from proxylm_harness.pipeline.completion_stage import FittedCompletion, better_of  # noqa: E402
from proxylm_harness.pipeline.predictors import FittedPredictor  # noqa: E402
from proxylm_harness.records.store import RecordsStore  # noqa: E402

TARGET = "org/fam-8b"
OTHERS = {"org/fam-1b": 1.0, "org/fam-3b": 3.0, "org/other-2b": 2.0, "org/other-7b": 7.0}


def ability(model: str) -> float:
    return {"org/fam-1b": 0.3, "org/fam-3b": 0.45, "org/other-2b": 0.35, "org/other-7b": 0.6, TARGET: 0.65}[model]


def truth(model: str, task: str) -> float:
    """A rank-one matrix plus a little noise: every model's score is its ability shifted by the task's ease."""
    ease = (INTENT_TASKS + MT_TASKS).index(task) * 0.04 if task in INTENT_TASKS else 0.0
    noise = (score(model, task, "acc") - 0.5) * 0.02
    return float(np.clip(ability(model) + ease + noise, 0, 1))


def results_file(path, model: str, tasks, metric="acc"):
    scale = 100 if metric == "spbleu" else 1  # spBLEU is reported on 0-100
    data = {"results": {t: {f"{metric},none": scale * truth(model, t), "alias": t} for t in tasks},
            "configs": {t: {"task": t, "metadata": {"version": 1.0}} for t in tasks}, "versions": {t: 1.0 for t in tasks},
            "n-shot": {t: 0 for t in tasks}, "config": {"model_args": f"pretrained={model}"}, "date": 1000.0}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def managers(tmp_path_factory):
    return build_managers(tmp_path_factory.mktemp("completion-stage"))


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXYLM_HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(model_size, "count_parameters", lambda pretrained: None)  # no hub here
    store = RecordsStore(tmp_path / "records.sqlite3")
    store.add([results_file(tmp_path / f"{i}.json", model, INTENT_TASKS) for i, model in enumerate(OTHERS)])
    yield store
    store.close()


def _run(managers, mode, store, *, target=TARGET, tasks=INTENT_TASKS, kind="intent", runner=None, **request):
    runner = runner or StandInRunner()
    pipeline = Pipeline(Request(tasks=tasks, target=target, records=None, **request), mode, managers[kind],
                        RunSettings(), runner, store=store)
    return pipeline.run(), runner


def test_estimate_only_completes_a_family_no_predictor_serves(managers, store):
    report, runner = _run(managers, EstimateOnly(), store)
    assert TARGET not in [call[1] for call in runner.calls]  # the target never ran
    assert report.predictors["intent"].report["id"].startswith("completion:")
    for task in INTENT_TASKS:
        item = report.estimates[task]
        assert item.source == "estimated" and item.lower <= item.estimate <= item.upper
        assert abs(item.estimate - truth(TARGET, task)) < 0.3
    section = results_dict(report)["proxylm"]
    assert section["predictors"]["intent"]["validation"]["mae"] > 0
    assert section["tasks"][INTENT_TASKS[0]]["interval"] is not None


def test_the_targets_stored_scores_count_as_measured(managers, store, tmp_path):
    store.add([results_file(tmp_path / "target.json", TARGET, INTENT_TASKS[:2])])
    report, _ = _run(managers, EstimateOnly(), store)
    for task in INTENT_TASKS[:2]:
        item = report.estimates[task]
        assert item.source == "measured" and item.estimate == pytest.approx(truth(TARGET, task))
        assert item.lower is None and item.upper is None
    assert all(report.estimates[t].source == "estimated" for t in INTENT_TASKS[2:])
    assert report.predictors["intent"].report["known_cells"] == 2


def test_a_target_of_unknown_size_without_records_is_refused_before_any_run(managers, store):
    runner = StandInRunner()
    with pytest.raises(EstimationError, match="No predictor for target 'mystery'.*size is unknown"):
        _run(managers, EstimateOnly(), store, target="mystery", runner=runner)
    assert runner.calls == []


def test_without_a_store_the_missing_predictor_is_refused_as_before(managers):
    with pytest.raises(EstimationError, match="No predictor for target 'org/fam-8b' on intent tasks"):
        _run(managers, EstimateOnly(), None)


def test_alongside_estimates_as_if_the_targets_stored_scores_were_unknown(managers, store, tmp_path):
    store.add([results_file(tmp_path / "target.json", TARGET, INTENT_TASKS[:2])])
    report, runner = _run(managers, Alongside(), store)
    assert runner.calls[-1][1] == TARGET
    for task in INTENT_TASKS:
        item = report.estimates[task]
        assert item.source == "estimated" and item.measured == pytest.approx(score("target", task, "acc"))
        assert item.error is not None
    assert results_dict(report)["proxylm"]["check"]["tasks"] == len(INTENT_TASKS)


def test_measure_chooses_its_cells_with_the_store_and_completes_the_rest(managers, store):
    source_choice = None

    class Recording(Measure):
        def target_tasks(self, work):
            nonlocal source_choice
            source_choice = work.source.choose(work.complete, self.k)
            return super().target_tasks(work)

    report, runner = _run(managers, Recording(3), store)
    target_call = [call for call in runner.calls if call[1] == TARGET]
    assert source_choice is not None and len(set(source_choice)) == 3
    assert target_call[0][2] == source_choice  # the store's choice, not the farthest-point one
    measured = [t for t in INTENT_TASKS if report.estimates[t].source == "measured"]
    assert sorted(measured) == sorted(source_choice)
    rest = [t for t in INTENT_TASKS if t not in measured]
    assert all(report.estimates[t].estimate is not None for t in rest)
    assert "chosen_over" in report.predictors["intent"].report  # completion and the ridge were compared


def test_the_shipped_predictor_stays_unless_completion_validates_better(managers, store, tmp_path):
    store.add([results_file(tmp_path / f"mt{i}.json", model, MT_TASKS, metric="spbleu")
               for i, model in enumerate(OTHERS)])
    report, _ = _run(managers, EstimateOnly(), store, target="facebook/m2m100_1.2B", tasks=MT_TASKS, kind="mt")
    chosen = report.predictors["translation"].report
    assert "chosen_over" in chosen
    ids = {chosen["id"].split(":")[0], chosen["chosen_over"]["id"].split(":")[0]}
    assert "completion" in ids and any(i.startswith("mt560-m2m100") for i in ids)


def test_better_of_takes_the_lower_cross_validated_mae():
    fitted = FittedPredictor(None, None, {"id": "shipped", "validation": {"mae": 0.10}})
    good = FittedCompletion(type("R", (), {"cv_error": 0.05})(), {"id": "completion:stack"})
    bad = FittedCompletion(type("R", (), {"cv_error": 0.20})(), {"id": "completion:stack"})
    assert better_of(fitted, good).report == {"id": "completion:stack", "chosen_over": {"id": "shipped", "mae": 0.10}}
    assert better_of(fitted, bad).report["id"] == "shipped"
    assert better_of(fitted, bad).report["chosen_over"] == {"id": "completion:stack", "mae": 0.20}
    assert better_of(None, good) is good and better_of(fitted, None) is fitted
