"""``complete`` end to end on the shared lm-eval results: a model's cells hidden, completed, compared with the truth;
a model with no records; the requests it refuses (issue 12)."""

import json

import numpy as np
import pandas as pd
import pytest

from proxylm_harness.estimators.completion import OUTPUT_COLUMNS, CompletionError, complete
from proxylm_harness.records.store import RecordsStore

TARGET = "bigscience/bloom-7b1"


@pytest.fixture(scope="module")
def hidden(tmp_path_factory, lm_eval_results_dir):
    """A store of the 70 files less bloom-7b1's xnli file, and the scores that file holds."""
    store = RecordsStore(tmp_path_factory.mktemp("store") / "records.sqlite3")
    store.add([lm_eval_results_dir])
    path = lm_eval_results_dir / "bloom" / "bloom-7b1" / "bloom-7b1_xnli_0-shot.json"
    assert store.remove(source=path) == 15
    truth = {task.replace("xnli_", "xnli_"): v["acc"] for task, v in json.loads(path.read_text())["results"].items()}
    return store.matrix(), truth


def test_hidden_cells_are_estimated_close_to_the_truth_and_known_ones_kept(hidden):
    matrix, truth = hidden
    result = complete(matrix, TARGET)
    table = result.table
    assert list(result.output().columns) == list(OUTPUT_COLUMNS)
    estimated = table[table["source"] == "estimated"]
    assert set(estimated["task"]) == set(truth) and result.known == 35 and result.estimated == 15
    errors = np.array([estimated.set_index("task").loc[t, "estimate"] - v for t, v in truth.items()])
    assert np.mean(np.abs(errors)) < 0.03
    inside = [estimated.set_index("task").loc[t, "lower"] <= v <= estimated.set_index("task").loc[t, "upper"]
              for t, v in truth.items()]
    assert np.mean(inside) >= 0.7
    measured = table[table["source"] == "measured"]
    assert (measured["estimate"] == measured["lower"]).all() and (measured["estimator"] == "").all()
    assert (estimated["estimator"] == "stack").all() and (estimated["lower"] <= estimated["estimate"]).all()
    # bloom-7b1 is the largest bloom: flagged, widened, and said so in every estimated cell
    assert result.flag and estimated["warning"].str.contains("stronger than every known model").all()
    assert result.chosen in result.weights and 0 < result.cv_error < 0.1 and "the metric's units" in result.summary()


def test_a_model_with_no_records_is_completed_from_its_factors(hidden):
    matrix, _ = hidden
    factors = pd.DataFrame({"params_b": [2.0], "family": ["bloom"]}, index=["bigscience/bloom-2b"])
    result = complete(matrix, "bigscience/bloom-2b", model_factors=factors, tasks=["xwinograd_*"], coverage=0.8)
    assert result.known == 0 and result.estimated == 6 and not result.flag
    between = matrix.scores.loc[["bigscience/bloom-1b7", "bigscience/bloom-3b"], result.table.index]
    estimate = result.table["estimate"]
    assert (estimate > between.min() - 0.03).all() and (estimate < between.max() + 0.03).all()


def test_explain_adds_shapley_values_and_per_cell_contributions(hidden):
    matrix, _ = hidden
    result = complete(matrix, TARGET, tasks=["xnli_*", "xwinograd_*"], explain=True)
    groups = result.shapley["groups"]
    assert {"proxies", "known_stats", "model_size"} <= set(groups)
    assert sum(groups.values()) == pytest.approx(result.shapley["mae_none"] - result.shapley["mae_all"])
    shap = [c for c in result.output().columns if c.startswith("shap_")]
    assert shap and result.table.loc[result.table["source"] == "measured", shap].isna().all().all()
    assert "factor importance" in result.summary()


def test_requests_that_cannot_be_served_are_refused(hidden):
    matrix, _ = hidden
    with pytest.raises(CompletionError, match=r"no model 'bigscience/bloom-7b' .* Did you mean: 'bigscience/bloom-7b1'"):
        complete(matrix, "bigscience/bloom-7b")
    with pytest.raises(CompletionError, match="the task pattern 'xnly_\\*' matches no task"):
        complete(matrix, TARGET, tasks=["xnli_*", "xnly_*"])
    small = type(matrix)(matrix.scores.loc[[TARGET, "bigscience/bloom-3b"]], matrix.cells,
                         matrix.factors.loc[[TARGET, "bigscience/bloom-3b"]])
    with pytest.raises(CompletionError, match="1 model\\(s\\) besides .* at least two"):
        complete(small, TARGET)
    with pytest.raises(CompletionError, match="coverage"):
        complete(matrix, TARGET, coverage=1.5)
    with pytest.raises(CompletionError, match="Unknown completion estimator"):
        complete(matrix, TARGET, estimator="nope")


def test_cells_of_bounded_and_unbounded_metrics_are_completed_on_one_scale():
    from proxylm_harness.records.store_views import RecordsMatrix

    rng = np.random.default_rng(0)
    cells = pd.DataFrame({"id": range(12), "task": [f"t{i}" for i in range(12)],
                          "metric": ["acc"] * 6 + ["perplexity"] * 6, "n_shot": 0, "setting": "",
                          "family": ["a"] * 6 + ["b"] * 6, "dataset": "d", "source_lang": "eng", "target_lang": "deu",
                          "features": [{}] * 12}, index=[f"t{i}" for i in range(12)])
    skill = rng.normal(size=8)
    values = np.hstack([1 / (1 + np.exp(-(skill[:, None] + rng.normal(0, 0.2, (8, 6))))),
                        20 - 3 * skill[:, None] + rng.normal(0, 0.5, (8, 6))])
    scores = pd.DataFrame(values, index=[f"m{i}" for i in range(8)], columns=cells.index)
    scores.iloc[0, [1, 2, 8, 9]] = np.nan
    factors = pd.DataFrame({"params_b": np.linspace(1, 8, 8), "family": "x"}, index=scores.index)
    table = complete(RecordsMatrix(scores, cells, factors), "m0", typology=None).table
    estimated = table[table["source"] == "estimated"]
    assert len(estimated) == 4 and np.isfinite(estimated[["estimate", "lower", "upper"]].to_numpy()).all()
    acc = estimated[estimated["metric"] == "acc"]
    assert (acc["lower"] > 0).all() and (acc["upper"] < 1).all()  # not the whole range: one scale served both
    assert (abs(estimated.loc[["t8", "t9"], "estimate"] - 20) < 5).all()
