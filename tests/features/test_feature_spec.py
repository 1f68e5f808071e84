"""Feature specs: one code path for training and prediction rows, and errors that name what is missing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from proxylm_harness.features import FeatureError, FeatureSpec, build_features

SPEC = FeatureSpec(
    task_family="translation", target="m2m100_ft", metric="spBLEU",
    proxies=("small100_ft", "small100_noft"), typology=("genetic", "geographic"),
    dataset_features=("dataset_size",), keys=("source_lang", "pair"),
    contrasts=(("small100_ft", "small100_noft"),),
)


def rows(**overrides):
    frame = pd.DataFrame({
        "source_lang": ["eng", "afr"], "target_lang": ["afr", "eng"], "dataset_size": [1000, 2000],
        "genetic": [0.5, 0.5], "geographic": [0.1, 0.1], "small100_ft": [20.0, 30.0], "small100_noft": [5.0, 10.0],
    })
    for name, value in overrides.items():
        frame[name] = value
    return frame


def test_columns_come_in_spec_order_with_contrasts_and_keys():
    X = build_features(rows(), SPEC)
    assert list(X.columns) == ["dataset_size", "genetic", "geographic", "small100_ft", "small100_noft",
                               "small100_ft-small100_noft", "key:source_lang", "key:pair"]
    assert X["small100_ft-small100_noft"].tolist() == [15.0, 20.0]
    assert X["key:pair"].tolist() == ["eng|afr", "afr|eng"]


def test_spec_round_trips_through_json():
    data = json.loads(json.dumps(SPEC.to_dict()))
    assert FeatureSpec.from_dict(data) == SPEC
    with pytest.raises(FeatureError, match=r"unknown field\(s\) \['extra'\]"):
        FeatureSpec.from_dict({**data, "extra": 1})


def test_missing_feature_is_named_with_a_hint():
    with pytest.raises(FeatureError, match=r"proxy score\(s\) \['small100_noft'\].*Run those proxy models"):
        build_features(rows().drop(columns="small100_noft"), SPEC)
    with pytest.raises(FeatureError, match=r"URIEL distance\(s\) \['geographic'\].*typology_source='urielplus'"):
        build_features(rows().drop(columns="geographic"), SPEC)


def test_non_numeric_value_is_named_by_row_and_language_pair():
    with pytest.raises(FeatureError, match=r"Proxy score 'small100_ft' is missing or not a number in row 1 \(afr -> eng\)"):
        build_features(rows(small100_ft=[20.0, "n/a"]), SPEC)


def test_spec_refuses_contrasts_of_unknown_columns_and_unknown_keys():
    with pytest.raises(FeatureError, match="Contrasts must be pairs of the spec's proxies"):
        FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("a",), contrasts=(("a", "b"),))
    with pytest.raises(FeatureError, match=r"Unknown collaborative key\(s\) \['language'\]"):
        FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("a",), keys=("language",))
    with pytest.raises(FeatureError, match="Unknown feature kind 'proxies'. Did you mean: 'proxy'"):
        FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("a",), kinds=("proxies",))


def test_without_drops_a_feature_everywhere_it_appears():
    spec = SPEC.without("small100_noft", "pair")
    assert spec.proxies == ("small100_ft",) and spec.contrasts == () and spec.keys == ("source_lang",)


def test_urielplus_typology_is_computed_from_the_language_codes(tmp_path):
    from proxylm_harness.languages.typology import Typology

    spec = FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("small100_ft",),
                       typology=("genetic", "geographic"), typology_source="urielplus")
    frame = rows().drop(columns=["genetic", "geographic"])
    X = build_features(frame, spec, typology=Typology(cache_dir=tmp_path))
    expected = Typology(cache_dir=tmp_path).distances("eng", "afr")
    assert X["genetic"].tolist() == [expected["genetic"]] * 2
    assert np.isfinite(X["geographic"]).all()
