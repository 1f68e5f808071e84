"""Completion intervals: conformal coverage on synthetic data at small K, the "stronger than every known model"
flag with its widening, and the active choice of cells to measure (issue 12)."""

import numpy as np
import pandas as pd
import pytest
from completion_data import low_rank, reveal

from proxylm_harness.estimators.completion import (
    CompletionError, ConformalCompletion, choose_cells, get_completion_estimator, strongest_flag,
)


def _exchangeable(seed, n_models=10, n_cells=30):
    """Models drawn alike (a shared profile, an offset, a rank-2 term): the target is one more of them."""
    rng = np.random.default_rng(seed)
    profile, offset = rng.uniform(-1, 1.5, n_cells), rng.normal(0, 0.5, n_models)
    U, V = rng.normal(0, 0.4, (n_models, 2)), rng.normal(size=(n_cells, 2))
    logit = profile + offset[:, None] + U @ V.T + rng.normal(0, 0.15, (n_models, n_cells))
    factors = pd.DataFrame({"params_b": rng.uniform(1, 10, n_models), "family": rng.choice(["a", "b", "c"], n_models)})
    return 1 / (1 + np.exp(-logit)), factors


@pytest.mark.parametrize("k", [0, 3, 10])
def test_90_percent_intervals_cover_about_90_percent_on_synthetic_data(k):
    covered = []
    for seed in range(30):
        Y, factors = _exchangeable(seed)
        target = seed % len(Y)
        Yr, _, hidden = reveal(Y, target, k, seed=seed)
        model = ConformalCompletion(get_completion_estimator("stack"), level=0.9).fit(Yr, factors, None, target)
        lower, upper = model.interval()
        truth = Y[target, hidden]
        covered.append(np.mean((truth >= lower[hidden]) & (truth <= upper[hidden])))
        assert (lower <= model.predict() + 1e-12).all() and (model.predict() <= upper + 1e-12).all()
        assert (lower >= 0).all() and (upper <= 1).all()  # the logit link keeps [0, 1] scores inside
    assert 0.8 <= np.mean(covered) <= 0.98, covered


def test_known_cells_come_back_measured_with_a_zero_width_interval():
    Y, factors, features = low_rank()
    Yr, revealed, _ = reveal(Y, 5, 4)
    model = ConformalCompletion(get_completion_estimator("cell_mean")).fit(Yr, factors, features, 5)
    lower, upper = model.interval()
    np.testing.assert_array_equal(model.predict()[revealed], Y[5, revealed])
    np.testing.assert_array_equal(lower[revealed], upper[revealed])


def test_a_target_larger_than_its_family_is_flagged_and_its_interval_widened():
    Y, factors, features = low_rank()
    largest = 3  # family f0's largest member
    Yr, _, _ = reveal(Y, largest, 3)
    flagged, reason = strongest_flag(Yr, factors, largest)
    assert flagged and "larger than every known f0 model" in reason
    assert not strongest_flag(reveal(Y, 1, 3)[0], factors, 1)[0]  # a middle member is not
    plain = ConformalCompletion(get_completion_estimator("cg_factor"), widen=1.0).fit(Yr, factors, features, largest)
    wide = ConformalCompletion(get_completion_estimator("cg_factor"), widen=1.5).fit(Yr, factors, features, largest)
    assert wide.flag_ and wide.q_ == pytest.approx(1.5 * plain.q_)


def test_a_target_above_every_other_model_in_its_known_cells_is_flagged():
    Y, factors, _ = low_rank()
    Yr, revealed, _ = reveal(Y, 1, 5)
    Yr[1, revealed] = np.nanmax(np.delete(Y, 1, axis=0)[:, revealed], axis=0) + 0.01
    flagged, reason = strongest_flag(Yr, factors, 1)
    assert flagged and "above every other model in 5 of its 5 known cells" in reason


def test_active_choice_picks_k_new_cells_deterministically():
    Y, factors, features = low_rank()
    Yr, revealed, _ = reveal(Y, 5, 2)
    chosen = choose_cells(Yr, factors, features, 5, 4)
    assert len(set(chosen)) == 4 and not set(chosen) & set(revealed)
    np.testing.assert_array_equal(chosen, choose_cells(Yr, factors, features, 5, 4))
    assert set(choose_cells(Yr, factors, features, 5, 2, candidates=[0, 1, 2, 3])) <= {0, 1, 2, 3}
    with pytest.raises(CompletionError, match="at most"):
        choose_cells(Yr, factors, features, 5, 39)


def test_active_choice_beats_random_cells_on_average_on_structured_data():
    active, random = [], []
    for seed in range(4):
        Y, factors, features = low_rank(seed=seed, n_cells=40, noise=0.05)
        for target in (1, 5, 10):
            empty = Y.copy()
            empty[target] = np.nan

            def error(cells):
                Yr = empty.copy()
                Yr[target, cells] = Y[target, cells]
                hidden = np.setdiff1d(np.arange(40), cells)
                pred = get_completion_estimator("stack").fit(Yr, factors, features, target).predict()
                return np.mean(np.abs(pred[hidden] - Y[target, hidden]))

            active.append(error(choose_cells(empty, factors, features, target, 3)))
            random.append(np.mean([error(np.random.default_rng(10 * seed + r).choice(40, 3, replace=False))
                                   for r in range(3)]))
    assert np.mean(active) < np.mean(random), (active, random)
