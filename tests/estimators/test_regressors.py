"""The regressors keep scikit-learn's estimator contract, are deterministic, and save/load without pickle."""

from __future__ import annotations

import doctest
import importlib
import json
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from proxylm_harness.estimators import regressors
from proxylm_harness.estimators.regressors import (
    LightGBMRegressor,
    MFRegressor,
    PolyRegressor,
    XGBoostRegressor,
    get_regressor,
    load_regressor,
    regressor_names,
    save_regressor,
)

NAMES = ["xgb", "lgbm", "poly", "mf"]


def small(name: str, **params):
    """A quick-to-fit instance of each regressor (fewer trees / steps than the defaults)."""
    quick = {"xgb": {"n_estimators": 30}, "lgbm": {"n_estimators": 30}, "poly": {},
             "mf": {"row_keys": (0,), "col_keys": (1,), "max_iter": 300}}
    return get_regressor(name, **{**quick[name], **params})


def table(n: int = 120, seed: int = 0):
    """A small numeric frame: two key-like columns (0/1 are integers) and three features."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "src": rng.integers(0, 6, size=n).astype(float),
        "tgt": rng.integers(0, 5, size=n).astype(float),
        "proxy": rng.uniform(0, 30, size=n),
        "distance": rng.uniform(0, 1, size=n),
        "flag": rng.integers(0, 2, size=n).astype(float),
    })
    y = 1.5 * X["proxy"] - 5 * X["distance"] + 2 * X["flag"] + X["src"] + rng.normal(size=n)
    return X, y.to_numpy()


# -- scikit-learn's contract -----------------------------------------------------------------------
@parametrize_with_checks([small(name) for name in NAMES])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_registry_lists_the_builtins_and_builds_new_unfitted_estimators():
    assert regressor_names() == sorted(NAMES)
    a, b = get_regressor("xgb"), get_regressor("xgb")
    assert a is not b and not hasattr(a, "booster_")
    assert isinstance(get_regressor(), XGBoostRegressor)
    assert get_regressor("poly", degree=3).degree == 3
    for name in NAMES:
        cls = type(get_regressor(name))
        assert cls.registry_name == name
        grid = cls.param_grid
        assert grid and int(np.prod([len(v) for v in grid.values()])) <= 6
        assert set(grid) <= set(cls._get_param_names())


def test_registry_miss_suggests_the_closest_name():
    with pytest.raises(ValueError, match=r"Unknown regressor 'xbg'\. Did you mean: 'xgb'\? Known: 'lgbm', 'mf'"):
        get_regressor("xbg")
    with pytest.raises(ValueError, match=r"Unknown regressor 'zzzz'\. Known:"):
        get_regressor("zzzz")
    with pytest.raises(TypeError, match="has no parameter.*'depth'.*Valid parameters:.*max_depth"):
        get_regressor("xgb", depth=3)


def test_register_regressor_adds_a_new_name_and_refuses_a_taken_one(monkeypatch):
    monkeypatch.setattr(regressors.REGRESSORS, "_entries", dict(regressors.REGRESSORS._entries))

    @regressors.register_regressor("poly_copy")
    class PolyCopy(PolyRegressor):
        pass

    assert "poly_copy" in regressor_names()
    assert isinstance(get_regressor("poly_copy"), PolyCopy)
    with pytest.raises(ValueError, match="already taken"):
        regressors.register_regressor("xgb")(PolyCopy)


def test_parameter_errors_say_what_was_wanted_and_what_came():
    X, y = table()
    with pytest.raises(ValueError, match="The 'learning_rate' parameter of XGBoostRegressor must be .* Got -1"):
        XGBoostRegressor(learning_rate=-1).fit(X, y)


# -- determinism and persistence -------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_bit_identical_predictions(name):
    X, y = table()
    first = small(name).fit(X, y).predict(X)
    second = small(name).fit(X, y).predict(X)
    assert np.array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_predicts_identically(name, tmp_path):
    X, y = table()
    X_new, _ = table(n=40, seed=1)
    X_new.loc[0, "src"] = 99.0  # an unseen key (cold start for mf)
    est = small(name, random_state=3).fit(X, y)
    files = save_regressor(est, tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == sorted(files)
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files)
    assert json.loads((tmp_path / "model" / "regressor.json").read_text())["regressor"] == name
    for f in files:
        if f.endswith(".npz"):
            np.load(tmp_path / "model" / f, allow_pickle=False)

    loaded = load_regressor(tmp_path / "model")
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    assert list(loaded.feature_names_in_) == list(X.columns)
    np.testing.assert_allclose(loaded.predict(X_new), est.predict(X_new), rtol=0, atol=1e-12)
    assert type(est).load(tmp_path / "model").n_features_in_ == X.shape[1]


def test_load_refuses_another_class(tmp_path):
    X, y = table()
    PolyRegressor().fit(X, y).save(tmp_path)
    with pytest.raises(ValueError, match="holds a 'PolyRegressor', not a 'XGBoostRegressor'"):
        XGBoostRegressor.load(tmp_path)


def test_xgb_params_with_monotone_dict_survive_save_load(tmp_path):
    X, y = table()
    est = XGBoostRegressor(n_estimators=20, monotone_constraints={"proxy": 1, 3: -1}).fit(X, y)
    loaded = load_regressor(save_regressor(est, tmp_path) and tmp_path)
    assert loaded.monotone_constraints == {"proxy": 1, 3: -1}
    assert loaded.monotone_constraints_ == [0, 0, 1, -1, 0]


# -- input checks ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_predict_refuses_a_frame_with_other_columns(name):
    X, y = table()
    est = small(name, **({"row_keys": ("src",), "col_keys": ("tgt",)} if name == "mf" else {})).fit(X, y)
    wrong = X.rename(columns={"distance": "dist"})
    with pytest.raises(ValueError, match=r"(?s)unseen at fit time:\n- dist.*missing:\n- distance"):
        est.predict(wrong)
    with pytest.raises(ValueError, match="same order"):
        est.predict(X[list(reversed(X.columns))])


# -- monotone constraints --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [XGBoostRegressor, LightGBMRegressor])
def test_monotone_constraint_makes_predictions_non_decreasing(cls):
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"proxy": rng.uniform(0, 10, n), "other": rng.uniform(0, 1, n)})
    # A wiggly, partly decreasing relation: unconstrained trees follow the dips.
    y = X["proxy"] + 3 * np.sin(2 * X["proxy"]) + X["other"] + rng.normal(scale=0.3, size=n)
    grid = pd.DataFrame({"proxy": np.linspace(0, 10, 200), "other": 0.5})

    free = cls(n_estimators=100).fit(X, y).predict(grid)
    assert np.any(np.diff(free) < -1e-6)
    constrained = cls(n_estimators=100, monotone_constraints={"proxy": 1}).fit(X, y).predict(grid)
    assert np.all(np.diff(constrained) >= -1e-9)


def test_monotone_constraint_names_an_unknown_feature():
    X, y = table()
    with pytest.raises(ValueError, match="unknown feature 'proxi'.*Known: src, tgt, proxy"):
        XGBoostRegressor(n_estimators=5, monotone_constraints={"proxi": 1}).fit(X, y)
    with pytest.raises(ValueError, match=r"must be -1, 0 or \+1\. Got 2"):
        XGBoostRegressor(n_estimators=5, monotone_constraints={"proxy": 2}).fit(X, y)


# -- poly --------------------------------------------------------------------------------------------
def test_poly_passes_binary_columns_through_and_fits_a_square():
    X, y = table()
    est = PolyRegressor(degree=3).fit(X, y)
    assert est.passthrough_.tolist() == [False, False, False, False, True]
    assert est.coef_.shape == (4 * 3 + 1,)
    inter = PolyRegressor(interactions=True, alpha=0.01).fit(X, y)
    assert inter.coef_.shape == (4 + 10 + 1,)  # 4 linear + 10 degree-2 monomials + flag
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=(300, 1))
    fit = PolyRegressor(alpha=0.001).fit(x, x[:, 0] ** 2)
    assert np.sqrt(np.mean((fit.predict(x) - x[:, 0] ** 2) ** 2)) < 0.05


# -- lgbm without LightGBM -------------------------------------------------------------------------
def test_lgbm_says_how_to_install_lightgbm(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # makes "import lightgbm" fail
    X, y = table()
    with pytest.raises(ImportError, match=r"install proxylm-harness\[lgbm\]"):
        LightGBMRegressor().fit(X, y)


# -- mf ------------------------------------------------------------------------------------------------
def low_rank_frame(seed: int = 0, n_rows: int = 30, n_cols: int = 20, rank: int = 2):
    rng = np.random.default_rng(seed)
    M = 20 + 5 * rng.normal(size=(n_rows, rank)) @ rng.normal(size=(rank, n_cols))
    cells = pd.DataFrame([(f"r{i}", f"c{j}", M[i, j]) for i in range(n_rows) for j in range(n_cols)],
                         columns=["row", "col", "y"])
    return cells.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_mf_recovers_a_low_rank_matrix_better_than_the_mean():
    cells = low_rank_frame()
    train, test = cells.iloc[:420], cells.iloc[420:]  # 70% of the 600 cells observed
    est = MFRegressor(row_keys=("row",), col_keys=("col",), n_components=4, reg_factors=0.01).fit(
        train[["row", "col"]], train["y"])
    rmse = np.sqrt(np.mean((est.predict(test[["row", "col"]]) - test["y"]) ** 2))
    rmse_mean = np.sqrt(np.mean((train["y"].mean() - test["y"]) ** 2))
    assert rmse < 0.3 * rmse_mean


def test_mf_cold_start_uses_side_information():
    rng = np.random.default_rng(0)
    langs = [f"l{i}" for i in range(10)]
    X = pd.DataFrame([(s, t) for s in langs for t in langs], columns=["src", "tgt"])
    X["proxy"] = rng.uniform(0, 30, size=len(X))
    y = 2 * X["proxy"] + rng.normal(scale=0.5, size=len(X))
    est = MFRegressor(row_keys=("src",), col_keys=("tgt",), n_components=3).fit(X, y)

    new = pd.DataFrame({"src": ["xx", "xx"], "tgt": ["yy", "l1"], "proxy": [5.0, 25.0]})
    pred = est.predict(new)
    z = (new["proxy"].to_numpy() - est.side_mean_[0]) / est.side_scale_[0]
    # Both keys unseen: exactly the global bias plus the side term.
    assert pred[0] == pytest.approx(est.y_mean_ + est.y_scale_ * (est.global_bias_ + est.side_coef_[0] * z[0]))
    assert pred[0] == pytest.approx(10, abs=2) and pred[1] == pytest.approx(50, abs=2)


def test_mf_keys_may_be_strings_numbers_or_missing():
    X = pd.DataFrame({
        "source_lang": ["sin", "sin", None, None, "eng", "eng"] * 5,
        "dataset_size": [1000, 5000.0, 1000, 1000, np.nan, 1000] * 5,
        "target_lang": ["eng", "eng", "eng", "sin", "sin", "sin"] * 5,
        "proxy": np.arange(30.0),
    })
    y = np.arange(30.0) + np.tile([0, 5, 10, 15, 20, 25], 5)
    est = MFRegressor(n_components=2).fit(X, y)
    assert (None, 1000) in est.row_vocabulary_ and ("eng", None) in est.row_vocabulary_
    assert len(est.row_vocabulary_) == 5 and len(est.col_vocabulary_) == 2
    assert est.side_positions_ == [3]
    # 1000.0 and 1000 name the same cell; NaN and None are the same missing category.
    same = X.iloc[[0, 2]].copy()
    same["dataset_size"] = [1000.0, 1000.0]
    same["source_lang"] = ["sin", np.nan]
    np.testing.assert_array_equal(est.predict(same), est.predict(X.iloc[[0, 2]]))


def test_mf_refuses_missing_key_columns_and_text_side_information():
    X, y = table()
    with pytest.raises(ValueError, match="row_keys names column 'source_lang', which X does not have"):
        MFRegressor().fit(X, y)
    with pytest.raises(ValueError, match="no column names"):
        MFRegressor().fit(X.to_numpy(), y)
    bad = X.assign(note="x")
    with pytest.raises(ValueError, match="'note' are not numeric"):
        MFRegressor(row_keys=("src",), col_keys=("tgt",)).fit(bad, y)


# -- real records (skipped when the ProxyLM files are absent) --------------------------------------
METRICS = ("spBLEU_mean", "spBLEU_se", "chrF2++_mean", "chrF2++_se", "BLEU_mean", "BLEU_se", "chrF2_mean",
           "chrF2_se", "TER_mean", "TER_se", "comet_mean", "comet_se")
PROXIES = ["trfm_spBLEU_mean", "small100_ft_spBLEU_mean", "small100_noft_spBLEU_mean", "m2m100_noft_spBLEU_mean"]


@pytest.mark.parametrize("name", ["xgb", "lgbm", "poly"])
def test_regressors_learn_the_mt560_records(records_dir, name):
    """On ProxyLM's own inputs each regressor is far better than predicting the mean (accuracy against
    ProxyLM's published errors is measured by the benchmark, not here)."""
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(records_dir / "mt560_experiments.csv")
    numeric = df.select_dtypes("number").columns
    features = [c for c in numeric if not any(m in c for m in METRICS)] + PROXIES
    train, test = train_test_split(df, test_size=0.3, random_state=42,
                                   stratify=df["train_dataset"] == df["test_dataset"])
    est = get_regressor(name).fit(train[features], train["m2m100_ft_spBLEU_mean"])
    rmse = np.sqrt(np.mean((est.predict(test[features]) - test["m2m100_ft_spBLEU_mean"]) ** 2))
    assert rmse < 0.5 * test["m2m100_ft_spBLEU_mean"].std()


# -- documentation -----------------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["__init__", "base", "xgb", "lgbm", "poly", "mf"])
def test_docstring_examples_run(module):
    name = "proxylm_harness.estimators.regressors" + ("" if module == "__init__" else f".{module}")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
