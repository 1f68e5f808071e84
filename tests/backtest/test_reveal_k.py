"""The reveal-K protocol and the completion suite on a small configuration (the full run's figures are in
benchmarks/RESULTS.md) (issue 12)."""

import numpy as np
import pandas as pd
import pytest

from proxylm_harness.backtest.completion_report import completion_markdown, headline_rows, json_ready, plot_completion
from proxylm_harness.backtest.completion_suite import CompletionBenchmarkConfig, run_completion_benchmark
from proxylm_harness.backtest.reveal_k import aggregate, make_problem, reveal_order, reveal_problems, targets_for


def _data():
    Y = np.arange(40, dtype=float).reshape(4, 10) / 40
    Y[3, 2] = np.nan  # not fully known: never a target
    factors = pd.DataFrame({"params_b": [0.1, 0.5, 7.0, 13.0], "family": ["a", "a", "a", "b"]})
    return {"name": "toy", "Y": Y, "factors": factors, "features": None, "models": ["s", "m", "l", "x"]}


def test_reveals_are_seeded_and_nested_over_k():
    order = reveal_order("toy", "l", 3, 10)
    np.testing.assert_array_equal(order, reveal_order("toy", "l", 3, 10))
    assert not np.array_equal(order, reveal_order("toy", "l", 4, 10))
    data = _data()
    small, large = (make_problem(data, "all", 2, 3, order[:k]) for k in (3, 5))
    assert set(small.revealed) < set(large.revealed)
    assert np.isnan(small.Y[small.t, small.hidden]).all() and not np.isnan(small.Y[small.t, small.revealed]).any()
    np.testing.assert_array_equal(small.truth, data["Y"][2])


def test_pools_and_targets():
    data = _data()
    assert targets_for(data["Y"], data["factors"], "all") == [0, 1, 2]
    assert targets_for(data["Y"], data["factors"], "proxies") == [2]
    problem = make_problem(data, "proxies", 2, 0, [1, 2, 3])
    assert problem.Y.shape == (3, 10) and problem.target == "l" and problem.t == 2
    assert len(list(reveal_problems(data, "all", 0, seeds=20))) == 3  # K = 0: one problem per target
    assert len(list(reveal_problems(data, "all", 3, seeds=4))) == 12
    assert aggregate([{"mae": 1.0, "mse": 4.0}, {"mae": 3.0, "mse": 0.0}]) == \
        {"mae": 2.0, "rmse": pytest.approx(np.sqrt(2.0)), "n_problems": 2}


def test_the_completion_suite_scores_every_method_on_the_same_reveals(lm_eval_results_dir, records_dir, tmp_path):
    methods = ("stack", "cell_mean", "nearest_model", "ridge_on_models", "zscore_als", "family_log_size")
    config = CompletionBenchmarkConfig(lm_eval_results=str(lm_eval_results_dir), records=str(records_dir), seeds=1,
                                       ks=(0, 3), pools=("proxies",), datasets=("lmeval",), methods=methods,
                                       shapley=False)
    out = run_completion_benchmark(config, progress=False)
    found = {(r["K"], r["method"]) for r in out["results"]}
    assert found == {(0, m) for m in methods if m != "ridge_on_models"} | {(3, m) for m in methods
                                                                         if m != "family_log_size"}
    assert all(r["n_problems"] == 12 for r in out["results"])  # the 12 models above 1 B, each from the 2 proxies
    assert {r["n_flagged"] for r in out["results"]} == {12}  # larger than every proxy
    assert out["largest"]["lmeval"] and len(out["active"]) == 1 and out["active"][0]["n_targets"] == 12
    rows = headline_rows(out)
    assert [(r["K"], r["best_baseline"] in ("cell_mean", "nearest_model", "ridge_on_models", "zscore_als",
                                            "family_log_size")) for r in rows] == [(0, True), (3, True)]
    text = completion_markdown(out)
    assert "| lmeval | proxies | 0 |" in text and "Active choice" in text and "strongest-model case" in text
    plot_completion(out, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    import json

    json.dumps(json_ready(out), allow_nan=False)


def test_the_completion_speed_benchmark_writes_its_section(tmp_path, capsys):
    import importlib.util

    from conftest import REPO_ROOT

    spec = importlib.util.spec_from_file_location("completion_speed", REPO_ROOT / "benchmarks" / "completion_speed.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--cells", "60", "--models", "8", "--repeats", "1", "--markdown", str(tmp_path / "R.md")]) == 0
    text = (tmp_path / "R.md").read_text()
    assert "<!-- completion-speed:start -->" in text and "| 60 | 8 | 10 |" in text
