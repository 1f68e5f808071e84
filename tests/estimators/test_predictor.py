"""The predictor: folds, collaborative encoding, tuning, intervals, and a pickle-free round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from proxylm_harness.estimators.key_encoder import CollaborativeEncoder
from proxylm_harness.estimators.folds import auto_splits, cv_splits, fold_assignment
from proxylm_harness.estimators.intervals import cv_plus
from proxylm_harness.estimators.predictor import ProxyPredictor

QUICK = {"n_estimators": 40}


def synthetic(n_langs: int = 8, seed: int = 0):
    """Language pairs with a proxy, a per-source-language offset and noise."""
    rng = np.random.default_rng(seed)
    langs = [f"l{i}" for i in range(n_langs)]
    rows = pd.DataFrame([(s, t) for s in langs for t in langs], columns=["source_lang", "target_lang"])
    offset = dict(zip(langs, rng.normal(0, 5, n_langs)))
    proxy = rng.uniform(0, 40, len(rows))
    y = 1.2 * proxy + rows["source_lang"].map(offset).to_numpy() + rng.normal(0, 1, len(rows))
    X = pd.DataFrame({"proxy": proxy, "distance": rng.uniform(0, 1, len(rows)),
                      "key:source_lang": rows["source_lang"], "key:target_lang": rows["target_lang"]})
    return X, y, rows[["source_lang", "target_lang"]].to_numpy(dtype=object)


# -- folds ---------------------------------------------------------------------------------------------
def test_row_folds_validate_every_row_once():
    splits = cv_splits(23, n_splits=5)
    fold = fold_assignment(23, splits)
    assert sorted(np.concatenate([v for _, v in splits]).tolist()) == list(range(23))
    assert all(not set(t) & set(v) for t, v in splits) and fold.min() == 0


def test_language_folds_never_train_on_a_validated_language():
    _, _, pairs = synthetic()
    splits = cv_splits(len(pairs), n_splits=4, groups=pairs, random_state=1)
    fold_assignment(len(pairs), splits)
    sides = []
    for train, val in splits:
        held = {lang for pair in pairs[val] for lang in pair} - {lang for pair in pairs[train] for lang in pair}
        # each validation row has at least one language that no training row has
        assert all(set(pair) & held for pair in pairs[val])
        sides.extend(pair[0] in held for pair in pairs[val])
    # rows are validated as "source unseen" and as "target unseen"
    assert 0.2 < np.mean(sides) < 1.0


def test_auto_splits_use_more_folds_when_language_folds_would_starve_the_models():
    _, _, pairs = synthetic(n_langs=12)
    splits = auto_splits(len(pairs), groups=pairs)
    assert np.mean([len(t) for t, _ in splits]) >= 0.75 * len(pairs) or len(splits) == 10
    assert len(splits) > 5
    assert len(auto_splits(2000)) == 5 and len(auto_splits(200)) == 10


def test_single_language_refuses_language_calibration_with_a_hint():
    with pytest.raises(ValueError, match=r"at least 2 groups .*Got only \['kir'\]\. Hint: calibrate on rows"):
        cv_splits(10, groups=np.array(["kir"] * 10, dtype=object))
    # two languages that always occur together: holding either out leaves nothing to train on
    with pytest.raises(ValueError, match="leaves no training rows"):
        cv_splits(10, groups=np.array([["kir", "eng"]] * 10, dtype=object))


def test_cv_plus_is_unbounded_when_there_are_too_few_residuals():
    lower, upper = cv_plus(np.zeros((1, 3)), np.zeros(5, dtype=int), np.ones(5), 0.9)
    assert np.isinf(lower).all() and np.isinf(upper).all()
    lower, upper = cv_plus(np.zeros((1, 2)), np.zeros(99, dtype=int), np.arange(99.0), 0.9)
    assert upper.tolist() == [89.0, 89.0] and lower.tolist() == [-89.0, -89.0]  # ceil(0.9*100)=90th smallest


# -- collaborative encoding -----------------------------------------------------------------------
def test_cross_fitted_encoding_never_sees_its_own_label():
    keys = pd.DataFrame({"key:run": ["a", "b", "c", "d"] * 5})
    y = np.arange(20.0)
    encoded = CollaborativeEncoder(cv=5).fit_transform(keys, y)
    # a row's encoding moves when its own label moves only through the global mean, never through its key mean
    y2 = y.copy()
    y2[0] += 1000
    encoded2 = CollaborativeEncoder(cv=5).fit_transform(keys, y2)
    assert encoded2[0, 0] == encoded[0, 0]


def test_language_grouped_encoding_treats_the_held_out_language_as_unseen():
    X, y, pairs = synthetic()
    keys = X[["key:source_lang"]]
    encoder = CollaborativeEncoder(cv=4)
    by_rows = encoder.fit_transform(keys, y)
    by_language = CollaborativeEncoder(cv=4).fit_transform(keys, y, groups=pairs)
    # with language folds most rows are encoded with their source language unseen: the global mean
    fallback = np.isclose(by_language[:, 0], by_language[:, 0][0]).mean()
    assert np.isclose(by_rows[:, 0], by_rows[0, 0]).mean() < 0.5 < fallback or by_language.std() < by_rows.std()


# -- the predictor -------------------------------------------------------------------------------------
def test_fit_predict_interval_and_cv_error():
    X, y, pairs = synthetic()
    predictor = ProxyPredictor(regressor_params=QUICK).fit(X, y)
    estimate, lower, upper = predictor.predict_with_interval(X)
    assert np.all(lower <= estimate) and np.all(estimate <= upper)
    assert predictor.reference_ == "proxy"  # the input most correlated with the target
    assert predictor.cv_rmse_ == pytest.approx(np.sqrt(np.mean((y - predictor.oof_) ** 2)))
    assert np.array_equal(predictor.predict(X), estimate)
    assert predictor.cv_rmse_ < 0.5 * y.std()


def test_interval_covers_new_rows_near_the_nominal_rate():
    X, y, _ = synthetic(n_langs=12, seed=1)
    Xn, yn, _ = synthetic(n_langs=12, seed=1)
    rng = np.random.default_rng(5)
    yn = yn + rng.normal(0, 1, len(yn))  # same languages, new noise
    order = rng.permutation(len(y))
    train, test = order[:100], order[100:]
    predictor = ProxyPredictor(regressor_params=QUICK).fit(X.iloc[train], y[train])
    lower, upper = predictor.predict_interval(X.iloc[test])
    covered = np.mean((y[test] >= lower) & (y[test] <= upper))
    assert 0.75 <= covered <= 1.0
    wider = predictor.predict_interval(X.iloc[test], coverage=0.99)
    assert np.all(wider[1] - wider[0] >= upper - lower)


def test_tuning_keeps_the_candidate_with_the_lowest_cv_error():
    X, y, _ = synthetic()
    grid = [{"n_estimators": 2, "learning_rate": 0.01}, {"n_estimators": 60}]
    predictor = ProxyPredictor(regressor_params=QUICK, param_grid=grid).fit(X, y)
    assert [t["params"]["n_estimators"] for t in predictor.tuning_] == [2, 60]
    assert predictor.regressor_params_["n_estimators"] == 60
    assert predictor.cv_rmse_ == min(t["cv_rmse"] for t in predictor.tuning_)
    documented = ProxyPredictor(param_grid="regressor").fit(X, y)
    assert len(documented.tuning_) == 4


def test_parameter_errors_say_what_was_wanted():
    X, y, _ = synthetic()
    with pytest.raises(ValueError, match="'interval' parameter of ProxyPredictor must be one of"):
        ProxyPredictor(interval="jackknife").fit(X, y)
    with pytest.raises(ValueError, match="'param_grid' parameter .* Got 'xgb' instead"):
        ProxyPredictor(param_grid="xgb").fit(X, y)
    with pytest.raises(ValueError, match="reference column 'nope'"):
        ProxyPredictor(reference="nope").fit(X, y)
    with pytest.raises(ValueError, match="missing or infinite"):
        ProxyPredictor().fit(X, np.r_[y[:-1], np.nan])
    with pytest.raises(TypeError, match="needs a DataFrame"):
        ProxyPredictor().fit(X.to_numpy(), y)
    fitted = ProxyPredictor(regressor_params=QUICK).fit(X, y)
    with pytest.raises(ValueError, match=r"missing \['distance'\]"):
        fitted.predict(X.drop(columns="distance"))


def test_out_of_range_names_the_feature_and_value():
    X, y, _ = synthetic()
    predictor = ProxyPredictor(regressor_params=QUICK).fit(X, y)
    probe = X.iloc[:2].copy()
    probe.iloc[1, 0] = 500.0
    assert predictor.out_of_range(probe) == [(1, "proxy", 500.0)]


def test_language_groups_make_language_honest_intervals_wider():
    X, y, pairs = synthetic(n_langs=10)
    rows = ProxyPredictor(regressor_params=QUICK).fit(X, y)
    languages = ProxyPredictor(regressor_params=QUICK).fit(X, y, groups=pairs)
    width = lambda p: np.mean(np.subtract(*p.predict_interval(X)[::-1]))  # noqa: E731
    assert width(languages) > width(rows)


@pytest.mark.parametrize("interval", ["cv", "cv+"])
def test_save_load_round_trip_predicts_identically(tmp_path, interval):
    X, y, pairs = synthetic()
    predictor = ProxyPredictor(regressor_params=QUICK, interval=interval, param_grid=[{}, {"max_depth": 2}]).fit(
        X, y, groups=pairs)
    files = predictor.save(tmp_path / "p")
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files)
    loaded = ProxyPredictor.load(tmp_path / "p")
    for a, b in zip(predictor.predict_with_interval(X), loaded.predict_with_interval(X)):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_params() == predictor.get_params()
    assert loaded.tuning_ == predictor.tuning_ and loaded.regressor_params_ == predictor.regressor_params_
