"""The predictors shipped in predictors/: loadable, usable by proxylm-eval, and rebuilt by the command in their README."""

import json
import shlex
import subprocess

import pytest
from conftest import REPO_ROOT, console_script

from proxylm_harness.estimators.artifacts import load_artifact
from proxylm_harness.records.regression_problems import ProblemError, make_problem
from proxylm_harness.records import load_records

PREDICTORS = REPO_ROOT / "predictors"
SHIPPED = sorted(p.parent for p in PREDICTORS.glob("*/manifest.json"))


def test_zero_shot_problem_keeps_one_row_per_scored_test_set(records_dir):
    records = load_records(records_dir / "mt560_experiments.csv")
    problem = make_problem(records, "mt560", "m2m100", "spBLEU", target_setting="noft", proxies=("small100_noft",),
                           dataset_features=False, typology_source="urielplus", keys=("source_lang", "target_lang"))
    assert len(problem) == 538 and problem.spec.target == "m2m100_noft"
    assert problem.spec.proxies == ("small100_noft",) and problem.spec.dataset_features == ()
    assert problem.spec.keys == ("source_lang", "target_lang") and problem.spec.typology_source == "urielplus"
    assert not problem.rows.duplicated(["source_lang", "target_lang", "test_dataset"]).any()
    with pytest.raises(Exception, match="cannot be one of its own proxies"):
        make_problem(records, "mt560", "m2m100", "spBLEU", target_setting="noft", proxies=("m2m100_noft",))
    with pytest.raises(Exception, match="No proxy score column"):
        make_problem(records, "mt560", "m2m100", "spBLEU", proxies=("small99_noft",))
    with pytest.raises(ProblemError, match="No 'scratch' scores"):
        make_problem(records, "mt560", "m2m100", "spBLEU", target_setting="scratch")


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_shipped_predictor_is_usable_by_proxylm_eval(folder):
    artifact = load_artifact(folder)
    spec = artifact.spec
    assert spec.typology_source == "urielplus" and spec.dataset_features == ()
    for column in spec.proxies:
        provenance = artifact.manifest["proxies"][column]
        assert provenance["fine_tuned"] is False and provenance["n_shot"] == 0
    assert artifact.manifest["target"]["column"].endswith("_noft")


def _documented_commands():
    text = (PREDICTORS / "README.md").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip().startswith("proxylm-harness train")]


def test_every_shipped_predictor_has_its_command_and_it_rebuilds_it(records_dir, tmp_path):
    commands = _documented_commands()
    assert len(commands) == len(SHIPPED) > 0
    for command in commands:
        argv = shlex.split(command)
        out = argv[argv.index("--out") + 1]
        assert (REPO_ROOT / out).resolve() in [p.resolve() for p in SHIPPED]
        argv[argv.index("--out") + 1] = str(tmp_path / "rebuilt")
        argv += ["--records", str(records_dir), "--overwrite"]
        run = subprocess.run([console_script("proxylm-harness"), *argv[1:]], capture_output=True, text=True,
                             timeout=600, check=False)
        assert run.returncode == 0, run.stderr
        rebuilt = json.loads((tmp_path / "rebuilt" / "manifest.json").read_text())
        shipped = json.loads((REPO_ROOT / out / "manifest.json").read_text())
        assert rebuilt["id"] == shipped["id"]
        if rebuilt["versions"] == shipped["versions"]:  # another XGBoost may round differently
            assert rebuilt["files"] == shipped["files"] and rebuilt["validation"] == shipped["validation"]
        else:
            assert rebuilt["validation"]["rmse"] == pytest.approx(shipped["validation"]["rmse"], rel=0.05)
