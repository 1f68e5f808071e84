"""Protocols split the ProxyLM records exactly as upstream did, and problems hold upstream's rows and inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from proxylm_harness.languages import normalize
from proxylm_harness.records.regression_problems import M2M100_UNSEEN, ProblemError, make_problem, problem_keys
from proxylm_harness.backtest.protocols import DEFAULT_SEEDS, INCREMENTAL_PORTIONS, get_protocol, protocol_names
from proxylm_harness.records import load_records


@pytest.fixture(scope="module")
def records(records_dir):
    return load_records(records_dir)


@pytest.fixture(scope="module")
def mt560(records):
    return make_problem(records, "mt560", "m2m100", "spBLEU")


@pytest.fixture(scope="module")
def intent(records):
    return make_problem(records, "massive_intent", "aya", "accuracy")


def test_problem_keys_list_every_target_and_metric(records):
    keys = problem_keys(records)
    assert ("mt560", "m2m100", "spBLEU") in keys and ("mt560", "nllb", "comet") in keys
    assert ("massive_intent", "llama3", "accuracy") in keys and ("nusa", "nllb", "TER") in keys
    # proxies are never targets
    assert not any(t in ("small100", "smollm_135m", "trfm") for _, t, _ in keys)
    assert len(keys) == 12 + 12 + 2


def test_mt560_inputs_are_upstreams_all_features(mt560, records_dir):
    spec = mt560.spec
    assert spec.target == "m2m100_ft"
    assert spec.proxies == ("trfm_scratch", "small100_ft", "small100_noft", "m2m100_noft")
    header = pd.read_csv(records_dir / "mt560_experiments.csv", nrows=0).columns
    upstream = [c for c in header if c not in ("source_lang", "target_lang", "train_dataset", "test_dataset")
                and not any(m in c for m in ("spBLEU", "chrF2", "BLEU", "TER", "comet"))]
    assert sorted(spec.dataset_features + spec.typology) == sorted(upstream)
    assert len(mt560) == 1954


def test_no_score_of_the_target_is_a_feature(records):
    for dataset, target, metric in problem_keys(records):
        problem = make_problem(records, dataset, target, metric)
        scored = [c for c in problem.spec.numeric_columns if c.startswith(f"{target}_") and c != f"{target}_noft"]
        assert scored == [], (dataset, target, metric, scored)
        # NusaTranslation's *_comet_score_* columns hold the target's scores; they never become features
        assert not any("comet" in c or c.endswith("_se") for c in problem.spec.dataset_features)


def test_comet_rows_are_upstreams_comet_languages(records):
    problem = make_problem(records, "mt560", "m2m100", "comet")
    languages = set(problem.languages())
    assert len(languages) == 29 and "zho" in languages and "plt" not in languages and "mlg" in languages
    assert len(problem) < 1954


def test_unknown_names_are_refused_with_suggestions(records):
    with pytest.raises(ProblemError, match=r"No target model 'm2m' .*Known targets: \['m2m100', 'nllb'\]"):
        make_problem(records, "mt560", "m2m", "spBLEU")
    with pytest.raises(ProblemError, match=r"No 'spbleu' scores .*Did you mean: 'spBLEU'"):
        make_problem(records, "mt560", "m2m100", "spbleu")
    with pytest.raises(ProblemError, match="No records for dataset 'flores'"):
        make_problem(records, "flores", "m2m100", "spBLEU")
    with pytest.raises(ValueError, match="Unknown protocol 'randm'.*Did you mean: 'random'"):
        get_protocol("randm")


def test_random_split_is_upstreams_train_test_split(mt560, records_dir):
    df = pd.read_csv(records_dir / "mt560_experiments.csv").dropna()
    splits = get_protocol("random")(mt560, DEFAULT_SEEDS)
    assert [s.seed for s in splits] == list(DEFAULT_SEEDS)
    for split in splits:
        _, test = train_test_split(df, test_size=0.3, random_state=split.seed,
                                   stratify=df["train_dataset"] == df["test_dataset"])
        assert np.array_equal(np.sort(split.tests["test"]), np.sort(test.index.to_numpy()))
        assert len(split.train) + len(split.tests["test"]) == len(df)


def test_grouped_split_keeps_each_fine_tuning_run_on_one_side(mt560, intent):
    for problem in (mt560, intent):
        runs = problem.runs()
        for split in get_protocol("grouped")(problem, DEFAULT_SEEDS[:2]):
            assert not set(runs[split.train]) & set(runs[split.tests["test"]])
            assert 0.2 < len(split.tests["test"]) / len(problem) < 0.4
    # the random split, by contrast, scores most runs on both sides
    split = get_protocol("random")(mt560, DEFAULT_SEEDS[:1])[0]
    assert len(set(mt560.runs()[split.train]) & set(mt560.runs()[split.tests["test"]])) > 100


def test_lolo_leaves_the_language_out_of_training_on_both_sides(mt560, intent):
    splits = get_protocol("lolo")(mt560, DEFAULT_SEEDS)
    assert len(splits) == 50 and "eng" not in {s.group for s in splits}
    rows = mt560.rows
    for split in splits[:5]:
        language = split.group
        train = rows.iloc[split.train]
        assert not ((train.source_lang == language) | (train.target_lang == language)).any()
        assert (rows.iloc[split.tests["source"]].source_lang == language).all()
        assert (rows.iloc[split.tests["target"]].target_lang == language).all()
        assert split.calibration == "languages"
    assert len(get_protocol("lolo")(intent, DEFAULT_SEEDS)) == 51


def test_unseen_trains_on_seen_languages_and_tests_each_unseen_one(mt560):
    unseen = {normalize(c) for c in M2M100_UNSEEN}
    (split,) = get_protocol("unseen")(mt560, DEFAULT_SEEDS)
    rows = mt560.rows
    train = rows.iloc[split.train]
    assert not (train.source_lang.isin(unseen) | train.target_lang.isin(unseen)).any()
    assert sorted({name.split(":")[1] for name in split.tests}) == sorted(unseen)
    assert len(split.tests) == 22
    (reverse,) = get_protocol("unseen_reverse")(mt560, DEFAULT_SEEDS)
    assert set(rows.iloc[reverse.train].source_lang) <= unseen | {"eng"}


def test_cross_dataset_trains_on_mt560_and_drops_eng_target(mt560, records):
    (split,) = get_protocol("cross_dataset")(mt560, DEFAULT_SEEDS, tuple(records.datasets()))
    assert split.test_dataset == "nusa" and split.drop_features == ("eng_target",)
    assert len(split.train) == len(mt560)
    assert get_protocol("cross_dataset")(mt560, DEFAULT_SEEDS, ("mt560",)) == []
    nusa = make_problem(records, "nusa", "m2m100", "spBLEU")
    assert get_protocol("cross_dataset")(nusa, DEFAULT_SEEDS, tuple(records.datasets())) == []


def test_incremental_subsamples_the_random_training_part(mt560):
    splits = get_protocol("incremental")(mt560, DEFAULT_SEEDS[:1])
    assert [s.portion for s in splits] == list(INCREMENTAL_PORTIONS)
    full = get_protocol("random")(mt560, DEFAULT_SEEDS[:1])[0]
    for split in splits:
        assert set(split.train) <= set(full.train)
        assert np.array_equal(split.tests["test"], full.tests["test"])
        assert len(split.train) == pytest.approx(split.portion * len(full.train), abs=1)


def test_protocol_registry_lists_every_protocol():
    assert protocol_names() == ["random", "grouped", "lolo", "unseen", "unseen_reverse", "cross_dataset", "incremental"]
