"""`proxylm-harness train` / `predict`: predictor folders with a manifest, no pickle, and refusals that say why."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import console_script

from proxylm_harness.estimators.artifacts import FORMAT_VERSION, ArtifactError, load_artifact
from proxylm_harness.cli.harness import main
from proxylm_harness.records.regression_problems import make_problem
from proxylm_harness.records import load_records

CLI = [sys.executable, "-m", "proxylm_harness.cli.harness"]


@pytest.fixture(scope="module")
def trained(records_dir, tmp_path_factory):
    """A NusaTranslation predictor for NLLB spBLEU, trained through the console script."""
    out = tmp_path_factory.mktemp("predictors") / "nusa-nllb"
    run = subprocess.run([console_script("proxylm-harness"), "train", "--records", str(records_dir), "--dataset", "nusa",
                          "--target", "nllb", "--metric", "spBLEU", "--out", str(out)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "cross-validated RMSE" in run.stdout
    return out


def copy_of(trained, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(trained, folder)
    return folder


def test_folder_holds_manifest_card_and_safe_model_files(trained, records_dir):
    manifest = json.loads((trained / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["target"] == {"model": "nllb", "column": "nllb_ft"}
    assert manifest["task_family"] == "translation" and manifest["metric"] == "spBLEU"
    assert manifest["feature_spec"]["proxies"] == ["trfm_scratch", "small100_ft", "small100_noft", "nllb_noft"]
    assert manifest["training_data"]["records_sha256"] == load_records(records_dir).fingerprint()
    assert manifest["training_data"]["rows"] == 224
    assert manifest["proxies"]["small100_ft"]["fine_tuned"] is True
    assert manifest["proxies"]["nllb_noft"] == {**manifest["proxies"]["nllb_noft"], "fine_tuned": False, "n_shot": 0}
    assert manifest["interval"] == {"method": "cv", "coverage": 0.9, "calibration": "languages", "n_residuals": 224}
    assert 0.8 < manifest["validation"]["coverage"] <= 1.0 and manifest["validation"]["rmse"] > 0
    assert {"xgboost-cpu", "scikit-learn", "numpy", "python"} <= set(manifest["versions"])
    files = [p for p in trained.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".joblib")]
    assert sorted(manifest["files"]) == sorted(str(p.relative_to(trained)) for p in files
                                               if p.name not in ("manifest.json", "CARD.md"))
    assert "Estimates **nllb**" in (trained / "CARD.md").read_text()


def test_loaded_predictor_reproduces_the_training_fit(trained, records_dir):
    from proxylm_harness.estimators.training import fit_problem

    artifact = load_artifact(trained)
    problem = make_problem(load_records(records_dir), "nusa", "nllb", "spBLEU")
    out = artifact.estimate(problem.rows)
    assert list(out.columns) == ["estimate", "lower", "upper", "coverage", "out_of_range"]
    refit = fit_problem(problem, {"random_state": 0}, "languages").predict_with_interval(problem.X)
    np.testing.assert_array_equal(out["estimate"], refit[0])
    np.testing.assert_array_equal(out["upper"], refit[2])
    assert np.sqrt(np.mean((out["estimate"] - problem.y) ** 2)) < 0.5 * problem.y.std()
    assert (out["lower"] <= out["estimate"]).all() and (out["estimate"] <= out["upper"]).all()
    assert (out["out_of_range"] == "").all()


def test_predict_reads_a_record_file_or_a_plain_table_alike(trained, records_dir, tmp_path):
    from_records = tmp_path / "a.csv"
    assert main(["predict", "--predictor", str(trained), "--input", str(records_dir / "nusa_experiments.csv"),
                 "--output", str(from_records), "--plot", str(tmp_path / "a.png")]) == 0
    a = pd.read_csv(from_records)
    assert len(a) == 224 and {"estimate", "lower", "upper", "measured", "error"} <= set(a.columns)
    assert (tmp_path / "a.png").stat().st_size > 1000

    spec = load_artifact(trained).spec
    wide = make_problem(load_records(records_dir), "nusa", "nllb", "spBLEU").rows
    plain = wide[list(dict.fromkeys(["source_code", "target_code", "train_dataset", "dataset_size", "test_dataset",
                                     *spec.dataset_features, *spec.typology, *spec.proxies]))].rename(
        columns={"source_code": "source_lang", "target_code": "target_lang"})
    plain.to_csv(tmp_path / "plain.csv", index=False)
    assert main(["predict", "--predictor", str(trained), "--input", str(tmp_path / "plain.csv"),
                 "--output", str(tmp_path / "b.csv")]) == 0
    b = pd.read_csv(tmp_path / "b.csv")
    np.testing.assert_allclose(a["estimate"], b["estimate"])
    assert "measured" not in b.columns


def test_predict_warns_about_inputs_outside_the_training_range(trained, records_dir, tmp_path, capsys):
    rows = pd.read_csv(records_dir / "nusa_experiments.csv").head(3)
    rows.loc[0, "small100_ft_spBLEU_mean"] = 95.0
    rows.to_csv(tmp_path / "far.csv", index=False)
    assert main(["predict", "--predictor", str(trained), "--input", str(tmp_path / "far.csv"),
                 "--output", str(tmp_path / "far-out.csv")]) == 0
    assert "1 of 3 rows have inputs outside the training range" in capsys.readouterr().err
    assert "small100_ft=95" in pd.read_csv(tmp_path / "far-out.csv")["out_of_range"].iloc[0]


def test_tampered_missing_or_foreign_files_are_refused(trained, tmp_path):
    folder = copy_of(trained, tmp_path)
    (folder / "model" / "members" / "full" / "model.ubj").write_bytes(b"not a model")
    with pytest.raises(ArtifactError, match=r"model/members/full/model.ubj does not match the SHA-256"):
        load_artifact(folder)
    shutil.rmtree(folder)

    folder = copy_of(trained, tmp_path)
    (folder / "model" / "calibration.npz").unlink()
    with pytest.raises(ArtifactError, match=r"the file model/calibration.npz listed in manifest.json is missing"):
        load_artifact(folder)
    shutil.rmtree(folder)

    folder = copy_of(trained, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"predictor format version 2 .* reads format version 1\. Hint: retrain"):
        load_artifact(folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="manifest.json is not readable JSON"):
        load_artifact(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(ArtifactError, match="has no manifest.json"):
        load_artifact(folder)
    with pytest.raises(ArtifactError, match="No predictor folder at"):
        load_artifact(tmp_path / "nowhere")


def test_cli_errors_are_one_line_with_exit_status_2(trained, records_dir, tmp_path):
    def run(*args):
        return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)

    result = run("train", "--records", str(records_dir), "--dataset", "nusa", "--target", "nllb",
                 "--metric", "spBLEU", "--out", str(trained))
    assert result.returncode == 2 and "already exists. Hint: choose another --out folder or pass --overwrite" in result.stderr
    assert "Traceback" not in result.stderr

    result = run("train", "--records", str(records_dir), "--dataset", "nusa", "--target", "nlb",
                 "--metric", "spBLEU", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "No target model 'nlb'" in result.stderr and "Did you mean: 'nllb'" in result.stderr

    rows = pd.read_csv(records_dir / "nusa_experiments.csv").head(2).drop(columns=["small100_ft_spBLEU_mean"])
    rows.to_csv(tmp_path / "short.csv", index=False)
    result = run("predict", "--predictor", str(trained), "--input", str(tmp_path / "short.csv"))
    assert result.returncode == 2 and "line 1, column 'small100_ft_spBLEU_mean': header matches no known" in result.stderr

    spec = load_artifact(trained).spec
    plain = make_problem(load_records(records_dir), "nusa", "nllb", "spBLEU").rows.head(2)
    plain[list(dict.fromkeys([c for c in spec.columns if not c.startswith("key:") and "-" not in c and c != "small100_ft"]
                             + ["source_lang", "target_lang", "train_dataset", "dataset_size", "test_dataset"]))].to_csv(
        tmp_path / "plain.csv", index=False)
    result = run("predict", "--predictor", str(trained), "--input", str(tmp_path / "plain.csv"))
    assert result.returncode == 2 and "proxy score(s) ['small100_ft']" in result.stderr

    plain = pd.DataFrame({"source_lang": ["ind", "xx1"], "target_lang": ["jav", "jav"]})
    plain.to_csv(tmp_path / "codes.csv", index=False)
    result = run("predict", "--predictor", str(trained), "--input", str(tmp_path / "codes.csv"))
    assert result.returncode == 2 and "line 3, column 'source_lang': Unknown language code 'xx1'" in result.stderr

    result = run("predict", "--predictor", str(tmp_path / "nowhere"), "--input", str(tmp_path / "codes.csv"))
    assert result.returncode == 2 and "No predictor folder at" in result.stderr
    assert not (tmp_path / "x").exists()
