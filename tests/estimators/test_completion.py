"""Completion estimators: one interface, deterministic, each recovering a known low-rank structure; the chooser
picking the estimator the data were built for; exact Shapley values (issue 12)."""

import numpy as np
import pandas as pd
import pytest
from completion_data import consensus_world, factor_world, low_rank, reveal
from sklearn.base import clone

from proxylm_harness.estimators.completion import (
    COMPLETION_ESTIMATORS, CompletionError, FactorPrior, StackedCompletion, cg_consensus, cg_factor,
    completion_estimator_names, get_completion_estimator, shapley_values,
)
from proxylm_harness.estimators.completion.shapley import factor_shapley

#: MAE on the hidden cells must be below this share of the (offset-free) cell-mean error. The baselines that copy
#: one model or the mean profile model no structure, so they get a loose bound; the rest recover it.
SHARE = {"cell_mean": 0.9, "nearest_model": 0.9, "proxy_boost": 0.5}


@pytest.fixture(scope="module")
def problem():
    Y, factors, features = low_rank()
    target = 5
    Yr, revealed, hidden = reveal(Y, target, 10)
    reference = np.mean(np.abs(np.nanmean(np.delete(Y, target, axis=0), axis=0)[hidden] - Y[target, hidden]))
    return Y, Yr, factors, features, target, hidden, reference


@pytest.mark.parametrize("name", completion_estimator_names())
def test_each_estimator_recovers_a_low_rank_structure(problem, name):
    Y, Yr, factors, features, target, hidden, reference = problem
    est = get_completion_estimator(name)
    pred = est.fit(Yr, factors, features, target).predict()
    assert pred.shape == (Y.shape[1],) and np.isfinite(pred).all()
    mae = np.mean(np.abs(pred[hidden] - Y[target, hidden]))
    assert mae < SHARE.get(name, 0.3) * reference, (name, mae, reference)


@pytest.mark.parametrize("name", completion_estimator_names())
def test_each_estimator_is_deterministic_and_clonable(problem, name):
    _, Yr, factors, features, target, _, _ = problem
    est = get_completion_estimator(name)
    first = est.fit(Yr, factors, features, target).predict()
    again = clone(est).fit(Yr, factors, features, target).predict()
    np.testing.assert_array_equal(first, again)
    assert set(est.get_params()) == set(clone(est).get_params())


def test_scores_may_be_a_frame_and_the_target_a_label(problem):
    _, Yr, factors, features, target, _, _ = problem
    names = [f"m{i}" for i in range(len(Yr))]
    frame = pd.DataFrame(Yr, index=names)
    by_label = cg_factor().fit(frame, factors.set_index(pd.Index(names)), features, f"m{target}").predict()
    np.testing.assert_allclose(by_label, cg_factor().fit(Yr, factors, features, target).predict())


def test_factors_alone_recover_a_family_size_curve_at_k0():
    Y, factors, _ = factor_world(noise=0.0)
    target = 7  # a middle member of family "b": interpolation
    Yr = Y.copy()
    Yr[target] = np.nan
    for name in ("family_scaling", "family_log_size", "cg_factor", "stack"):
        pred = get_completion_estimator(name).fit(Yr, factors, None, target).predict()
        assert np.mean(np.abs(pred - Y[target])) < 0.02, name


@pytest.mark.parametrize("world, right, wrong", [(factor_world, "cg_factor", "cg_consensus"),
                                                 (consensus_world, "cg_consensus", "cg_factor")])
def test_the_chooser_picks_the_estimator_the_data_were_built_for(world, right, wrong):
    Y, factors, _ = world()
    members = [("cg_factor", cg_factor()), ("cg_consensus", cg_consensus())]
    for target in (2, 8, 13):
        Yr, _, _ = reveal(Y, target, 5, seed=target)
        chosen = StackedCompletion(members=members, mode="select").fit(Yr, factors, None, target)
        assert chosen.chosen_ == right, (target, chosen.scores_)
        weighted = StackedCompletion(members=members).fit(Yr, factors, None, target)
        assert weighted.weights_[right] > weighted.weights_[wrong]


def test_at_k0_the_stack_leans_on_the_factor_prior():
    Y, factors, _ = factor_world()
    Yr = Y.copy()
    Yr[4] = np.nan
    stack = StackedCompletion().fit(Yr, factors, None, 4)
    assert stack.chosen_ == "cg_factor" and abs(sum(stack.weights_.values()) - 1) < 1e-9


def test_problems_that_cannot_be_served_say_what_was_wanted():
    Y, factors, features = low_rank(n_cells=5)
    with pytest.raises(CompletionError, match="at least 2 models"):
        cg_factor().fit(Y[:1], factors[:1], None, 0)
    with pytest.raises(CompletionError, match="one row per model"):
        cg_factor().fit(Y, factors[:3], None, 0)
    with pytest.raises(CompletionError, match="positive"):
        cg_factor().fit(Y, factors.assign(params_b=0.0), None, 0)
    with pytest.raises(CompletionError, match="target must be"):
        cg_factor().fit(Y, factors, None, 99)
    with pytest.raises(CompletionError, match="one row per cell"):
        cg_factor().fit(Y, factors, pd.DataFrame({"x": [1.0]}), 0)
    with pytest.raises(CompletionError, match="not fitted"):
        FactorPrior().predict()
    with pytest.raises(CompletionError, match="Did you mean: 'stack'"):
        get_completion_estimator("stak")
    assert "stack" in COMPLETION_ESTIMATORS


def test_shapley_values_of_an_additive_game_are_the_weights():
    weights = {"a": 0.5, "b": -0.2, "c": 1.0}
    found = shapley_values(lambda s: sum(weights[p] for p in s), weights)
    assert found == pytest.approx(weights)
    # and for a game with an interaction, the values share it equally and add up to v(all) - v(none)
    found = shapley_values(lambda s: 1.0 if {"a", "b"} <= s else 0.0, ["a", "b", "c"])
    assert found == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.0})


def test_factor_shapley_is_efficient_and_names_the_groups():
    Y, factors, features = low_rank(n_cells=20)
    Yr, _, _ = reveal(Y, 5, 5)
    found = factor_shapley(Yr, factors, features, 5, params={"n_estimators": 20, "max_cells": 50}, max_sim=1, folds=2)
    assert set(found["groups"]) <= {"model_size", "model_family", "proxies", "known_stats", "typology", "task",
                                    "document"}
    assert "proxies" in found["groups"] and "known_stats" in found["groups"]
    assert sum(found["groups"].values()) == pytest.approx(found["mae_none"] - found["mae_all"])


def test_docstring_examples_run():
    import doctest

    from proxylm_harness.estimators.completion import baselines

    assert doctest.testmod(baselines).failed == 0
