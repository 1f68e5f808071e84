"""Tests for proxylm_harness.languages.typology: URIEL+ distances, their cache, and agreement with lang2vec records."""

import json
import logging
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import RECORDS_DIR

from proxylm_harness.languages import typology
from proxylm_harness.languages import UnknownLanguageError
from proxylm_harness.languages.typology import DISTANCE_KINDS, Typology, UnknownTypologyError, agreement


@pytest.fixture(scope="module")
def uriel():
    """URIEL+ loaded once for the module (about 2 s)."""
    return typology._load_urielplus()


@pytest.fixture
def typ(tmp_path, uriel):
    return Typology(cache_dir=tmp_path)


def cache_files(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def test_distances_has_the_six_kinds_in_zero_one(typ):
    result = typ.distances("de", "en")
    assert tuple(result) == DISTANCE_KINDS
    assert all(0.0 <= value <= 1.0 for value in result.values())


def test_distances_are_symmetric(typ):
    assert typ.distances("sw-KE", "jpn") == typ.distances("ja", "swh_Latn")


def test_identical_languages_are_at_distance_zero(typ):
    assert set(typ.distances("deu", "de-DE").values()) == {0.0}


def test_related_languages_are_closer_than_unrelated_ones(typ):
    close, far = typ.distances("deu", "nld"), typ.distances("deu", "jpn")
    for kind in ("genetic", "geographic", "syntactic", "featural"):
        assert close[kind] < far[kind], kind


def test_macrolanguage_spellings_give_the_same_distances(typ):
    assert typ.distances("zh-TW", "en") == typ.distances("cmn", "eng") == typ.distances("zho_Hans", "en-US")


def test_btk_is_looked_up_as_toba_batak(typ):
    assert typ.distances("btk", "ind") == typ._compute("bbc", "ind", ("bbc", "ind"))


def test_missing_data_of_one_kind_is_nan_not_an_error(typ):
    result = typ.distances("bew", "ind")  # Betawi: family and location only
    assert not math.isnan(result["genetic"]) and not math.isnan(result["geographic"])
    assert math.isnan(result["syntactic"])


def test_vectorised_distances_equal_urielplus_new_distance(uriel):
    for kind in DISTANCE_KINDS:
        for a, b in [("deu", "eng"), ("zho", "jpn"), ("swa", "yor"), ("fin", "hun")]:
            assert uriel.distance(kind, a, b) == pytest.approx(uriel.uriel.new_distance(kind, a, b), abs=1e-9), (kind, a, b)


def test_unknown_language_error_names_the_language(typ, uriel, monkeypatch):
    monkeypatch.setattr(typology, "_STAND_INS", {})
    with pytest.raises(UnknownTypologyError, match=r"'btk'.*Hint:"):
        typ.distances("btk", "en")
    with pytest.raises(UnknownLanguageError, match="'xqz'"):
        typ.distances("xqz", "en")


def test_distance_frame_has_one_row_per_pair(typ):
    frame = typ.distance_frame([("de", "en"), ("en", "de"), ("fr", "zh-TW")])
    assert list(frame.columns) == list(DISTANCE_KINDS)
    assert frame.index.names == ["source_lang", "target_lang"]
    assert len(frame) == 3
    assert frame.iloc[0].equals(frame.iloc[1])


def test_distance_frame_can_give_nan_rows_for_unknown_languages(typ, monkeypatch):
    monkeypatch.setattr(typology, "_STAND_INS", {})
    frame = typ.distance_frame([("btk", "en"), ("de", "en")], errors="nan")
    assert frame.iloc[0].isna().all() and frame.iloc[1].notna().all()
    with pytest.raises(ValueError, match="errors must be"):
        typ.distance_frame([("de", "en")], errors="ignore")


def test_second_instance_reads_the_disk_cache_without_loading_urielplus(tmp_path, uriel, monkeypatch):
    first = Typology(cache_dir=tmp_path).distances("de", "en")

    def fail():
        raise AssertionError("URIEL+ must not be loaded when the cache has the pair")

    monkeypatch.setattr(typology, "_load_urielplus", fail)
    assert Typology(cache_dir=tmp_path).distances("en", "de-DE") == first


def test_cache_file_is_json_keyed_by_urielplus_version(typ, tmp_path):
    typ.distances("de", "en")
    (name,) = cache_files(tmp_path)  # written atomically: no temporary file left behind
    assert typology._urielplus_version() in name
    content = json.loads((tmp_path / name).read_text())
    assert content["header"]["urielplus"] == typology._urielplus_version()
    assert list(content["pairs"]) == ["deu|eng"]  # symmetric pairs are stored once


def test_a_new_urielplus_version_does_not_reuse_the_cache(tmp_path, uriel, monkeypatch):
    Typology(cache_dir=tmp_path).distances("de", "en")
    monkeypatch.setattr(typology, "_urielplus_version", lambda: "9.9.9")
    Typology(cache_dir=tmp_path).distances("de", "en")
    assert len(cache_files(tmp_path)) == 2


def test_nan_survives_the_disk_cache(tmp_path, uriel):
    Typology(cache_dir=tmp_path).distances("bew", "ind")
    again = Typology(cache_dir=tmp_path).distances("bew", "ind")
    assert math.isnan(again["syntactic"])


@pytest.mark.parametrize("garbage", ["{not json", "[]", '{"header": 1}', "\x00\xff", ""])
def test_corrupt_cache_file_is_ignored_with_a_warning_and_rebuilt(tmp_path, uriel, garbage):
    expected = Typology(cache_dir=tmp_path / "clean").distances("de", "en")
    path = Typology(cache_dir=tmp_path)._cache_path()
    path.write_text(garbage, encoding="latin-1")
    with pytest.warns(UserWarning, match="Ignoring unreadable typology cache"):
        assert Typology(cache_dir=tmp_path).distances("de", "en") == expected
    assert "deu|eng" in json.loads(path.read_text())["pairs"]


def test_unwritable_cache_dir_warns_and_keeps_working(tmp_path, uriel):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="Could not write typology cache"):
        result = Typology(cache_dir=blocker / "typology").distances("de", "en")
    assert set(result) == set(DISTANCE_KINDS)


def test_default_cache_dir_follows_the_environment(tmp_path, uriel, monkeypatch):
    monkeypatch.setenv("PROXYLM_HARNESS_CACHE", str(tmp_path))
    monkeypatch.setattr(typology, "_default_typology", None)
    typology.distances("de", "en")
    assert cache_files(tmp_path / "typology")


def test_constructor_only_assigns():
    assert Typology(cache_dir="somewhere").cache_dir == "somewhere"
    assert Typology()._uriel is None


def test_loading_urielplus_leaves_the_root_logger_alone(uriel):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    typology._import_urielplus()
    assert root.handlers == handlers and root.level == level


def test_agreement_reports_correlations_per_kind(typ):
    frame = pd.DataFrame(
        [("de", "en"), ("en", "de"), ("de", "ja"), ("fr", "en"), ("zh-CN", "zh-TW"), ("fr", "sw"), ("en", "en")],
        columns=["source_lang", "target_lang"],
    )
    ours = typ.distance_frame(list(zip(frame.source_lang, frame.target_lang)))
    for kind in DISTANCE_KINDS:
        frame[kind] = ours[kind].to_numpy()
    result = agreement(frame, typ)
    assert set(result) == set(DISTANCE_KINDS)
    for kind in DISTANCE_KINDS:
        assert result[kind]["n"] == 4  # de-en, de-ja, fr-en, fr-sw; same-language pairs left out
        assert result[kind]["pearson"] == pytest.approx(1.0)
        assert result[kind]["spearman"] == pytest.approx(1.0)


def test_agreement_counts_pairs_urielplus_cannot_score(typ, monkeypatch):
    monkeypatch.setattr(typology, "_STAND_INS", {})
    frame = pd.DataFrame({"source_lang": ["btk", "de", "de", "fr"], "target_lang": ["ind", "en", "ja", "en"]})
    for kind in DISTANCE_KINDS:
        frame[kind] = [0.5, 0.1, 0.9, 0.2]
    result = agreement(frame, typ)
    assert result["genetic"]["n"] == 3 and result["genetic"]["n_skipped"] == 1


def test_agreement_needs_the_distance_columns(typ):
    with pytest.raises(ValueError, match="agreement needs columns"):
        agreement(pd.DataFrame({"source_lang": ["de"], "target_lang": ["en"]}), typ)


def test_agreement_with_the_proxylm_mt560_records(typ):
    path = RECORDS_DIR / "mt560_experiments.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (set PROXYLM_RECORDS)")
    result = agreement(pd.read_csv(path), typ)
    assert result["genetic"]["spearman"] > 0.9
    assert result["geographic"]["spearman"] > 0.9
    assert result["genetic"]["n"] + result["genetic"]["n_skipped"] == 50
