"""lm-eval's own multilingual tasks plan with no YAML of ours: languages from the shipped map, the family from the lm-eval
group, the metric from the task's metric_list, the decoder-only proxies (issue 11). No data, no model."""

from __future__ import annotations

import pytest

pytest.importorskip("lm_eval")

from proxylm_harness.families import DECODER_PROXIES  # noqa: E402
from proxylm_harness.lm_eval_bridge.model_runs import RunSettings  # noqa: E402
from proxylm_harness.pipeline import EstimationError, Mode, Request, make_plan, task_manager_for  # noqa: E402

TASKS = ["xnli_sw", "belebele_swh_Latn", "global_mmlu_full_sw_abstract_algebra"]


class PlanOnly(Mode):
    """A mode that fits its own predictor and checks nothing: the plan alone is under test."""

    fits_own_predictor = True


@pytest.fixture(scope="module")
def manager():
    return task_manager_for(TASKS)


def test_lm_eval_tasks_plan_with_their_languages_families_and_metrics(manager):
    plan = make_plan(Request(tasks=TASKS, target="some/model"), PlanOnly(), manager, RunSettings())
    assert {t: (plan.languages[t].family, plan.languages[t].source_lang) for t in TASKS} == {
        "xnli_sw": ("xnli", "swa"), "belebele_swh_Latn": ("belebele", "swa"),
        "global_mmlu_full_sw_abstract_algebra": ("global_mmlu", "swa")}
    for name, family_plan in plan.families.items():
        assert family_plan.family.lm_eval_metric == "acc", name
        assert [p.name for p in family_plan.proxies] == list(DECODER_PROXIES)
        assert family_plan.family.metric_range == (0.0, 1.0)


def test_a_group_plans_every_leaf(manager):
    manager = task_manager_for(["xnli"])
    plan = make_plan(Request(tasks=["xnli"], target="some/model"), PlanOnly(), manager, RunSettings())
    assert len(plan.leaves) == 15 and plan.groups == {"xnli": plan.leaves}
    assert {plan.languages[t].family for t in plan.leaves} == {"xnli"}


def test_metric_chooses_among_the_tasks_metric_list(manager):
    request = Request(tasks=["xnli_sw"], target="some/model", metric="bleu")
    with pytest.raises(EstimationError, match=r"report \['acc'\], not 'bleu'"):
        make_plan(request, PlanOnly(), manager, RunSettings())
