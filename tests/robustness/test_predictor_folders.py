"""Predictor folders: only files the manifest vouches for are read, an edited manifest is caught, a broken folder does
not stop ``--predictor auto`` from using a good one (issue 10, items 7 and 11)."""

from __future__ import annotations

import json
import logging
import shutil
import warnings

import pandas as pd
import pytest
from conftest import REPO_ROOT

from proxylm_harness.estimators.artifacts import ArtifactError, load_artifact

M2M100 = REPO_ROOT / "predictors" / "m2m100-zeroshot-translation-spBLEU"
NLLB = REPO_ROOT / "predictors" / "nllb-zeroshot-translation-spBLEU"
ROWS = pd.DataFrame({"source_lang": ["eng"], "target_lang": ["afr"], "test_dataset": ["flores"],
                     "small100_noft": [5.0]})


def test_a_model_file_dropped_from_the_manifest_and_swapped_is_not_read(tmp_path):
    copy = shutil.copytree(M2M100, tmp_path / "p")
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["files"]["model/members/full/model.ubj"]
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.copy(NLLB / "model/members/full/model.ubj", copy / "model/members/full/model.ubj")
    with pytest.raises(ArtifactError, match="manifest.json does not match the SHA-256 that CARD.md names"):
        load_artifact(copy)
    # with the card edited too (a mix-up, not an accident), the unlisted file is still never read
    (copy / "CARD.md").write_text("no digest here\n")
    with pytest.warns(UserWarning, match="names no SHA-256"), \
            pytest.raises(ArtifactError, match=r"would read model/members/full/model.ubj, which manifest.json does "
                                               r"not list"):
        load_artifact(copy)


def test_an_edited_target_in_the_manifest_is_refused(tmp_path):
    copy = shutil.copytree(M2M100, tmp_path / "p")
    text = (copy / "manifest.json").read_text().replace('"model": "m2m100"', '"model": "nllb"')
    (copy / "manifest.json").write_text(text)
    with pytest.raises(ArtifactError, match="the manifest was edited after training"):
        load_artifact(copy)


def test_the_shipped_predictors_are_protected_and_load_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for folder in (M2M100, NLLB):
            artifact = load_artifact(folder)
            assert "Manifest SHA-256:" in (folder / "CARD.md").read_text()
            assert 0 <= artifact.estimate(ROWS)["estimate"].iloc[0] <= 100


def test_auto_skips_a_broken_folder_and_uses_the_one_that_fits(tmp_path, monkeypatch, caplog):
    from proxylm_harness.families import get_family
    from proxylm_harness.pipeline.predictors import _find_predictor

    shutil.copytree(M2M100, tmp_path / "b-m2m100")
    broken = shutil.copytree(NLLB, tmp_path / "a-broken")
    (broken / "model" / "predictor.json").write_text("{}")
    monkeypatch.setenv("PROXYLM_PREDICTORS", str(tmp_path))
    with caplog.at_level(logging.WARNING):
        artifact = _find_predictor("facebook/m2m100_1.2B", get_family("translation"))
    assert artifact.directory.name == "b-m2m100"
    assert any("skipping the broken predictor folder" in r.getMessage() and "a-broken" in r.getMessage()
               for r in caplog.records)
