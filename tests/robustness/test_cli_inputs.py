"""Bad input to ``proxylm-harness`` ends in one line and exit status 2, before any work; no number is silently wrong
(issue 10, items 4, 5, 10, 11, 12, 13, 14, 15)."""

from __future__ import annotations

import os
import random
import stat
import string
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO_ROOT
from faults import run_unprivileged

PREDICTOR = REPO_ROOT / "predictors" / "m2m100-zeroshot-translation-spBLEU"
HEADER = "source_lang,target_lang,test_dataset,small100_noft\n"


def _cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", *map(str, args)], capture_output=True,
                          text=True, check=False, timeout=900, **kwargs)


def _predict(tmp_path, text, *extra):
    rows = tmp_path / "rows.csv"
    rows.write_text(text, encoding="utf-8")
    return _cli("predict", "--predictor", PREDICTOR, "--input", rows, *extra)


def _one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# -- item 4: no language is read as 'nan' -------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["", "None", "null", "n/a"])
def test_a_missing_language_cell_is_an_error_naming_the_line(tmp_path, cell):
    result = _predict(tmp_path, HEADER + "eng,afr,flores,5\n" + f"eng,{cell},flores,5\n")
    _one_line_error(result, "line 3", "target_lang")


# -- item 5: ragged rows ------------------------------------------------------------------------------------------
def test_a_row_with_an_extra_field_is_refused_not_shifted(tmp_path):
    result = _predict(tmp_path, HEADER + "eng,afr,flores,5\neng,afr,flores,5,9\n")
    _one_line_error(result, "line 3", "5 fields but the header has 4")


# -- item 12: physical line numbers -------------------------------------------------------------------------------
def test_line_numbers_are_the_files_own_after_blank_lines(tmp_path):
    result = _predict(tmp_path, HEADER + "\neng,afr,flores,5\n\n\neng,zul,flores,x\n")
    _one_line_error(result, "row 6")
    result = _predict(tmp_path, HEADER + "\neng,afr,flores,5\n\n\neng,zul,flores,4\n", "--output", tmp_path / "o.csv")
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(tmp_path / "o.csv")["line"].tolist() == [3, 6]


# -- item 10: tracebacks that became one line --------------------------------------------------------------------
def test_infinite_feature_is_refused(tmp_path):
    _one_line_error(_predict(tmp_path, HEADER + "eng,afr,flores,inf\n"), "small100_noft", "row 2",
                    "not a finite number")


@pytest.mark.parametrize("value", ["1.5", "0", "-0.2", "x"])
def test_coverage_outside_0_1_is_refused_before_work(tmp_path, value):
    result = _predict(tmp_path, HEADER + "eng,afr,flores,5\n", "--coverage", value)
    assert result.returncode == 2 and "--coverage" in result.stderr and "(0, 1)" in result.stderr
    result = _cli("train", "--dataset", "nusa", "--target", "nllb", "--metric", "spBLEU", "--out", tmp_path / "p",
                  "--coverage", value)
    assert result.returncode == 2 and "(0, 1)" in result.stderr and not (tmp_path / "p").exists()


def test_unknown_key_is_refused_by_the_parser(tmp_path):
    result = _cli("train", "--dataset", "nusa", "--target", "nllb", "--metric", "spBLEU", "--out", tmp_path / "p",
                  "--keys", "nope")
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr and "Traceback" not in result.stderr


def test_output_to_a_folder_is_refused_before_work(tmp_path):
    (tmp_path / "folder").mkdir()
    _one_line_error(_predict(tmp_path, HEADER + "eng,afr,flores,5\n", "--output", tmp_path / "folder"),
                    "is a folder")


def test_output_to_an_unwritable_place_is_refused_before_work(tmp_path, read_only):
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "eng,afr,flores,5\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked)
    result = run_unprivileged([sys.executable, "-m", "proxylm_harness.cli.harness", "predict", "--predictor",
                               str(PREDICTOR), "--input", str(rows), "--output", str(locked / "o.csv")])
    _one_line_error(result, "cannot be written", "no write permission")


# -- item 11: refuse before training -------------------------------------------------------------------------------
def test_train_into_an_existing_folder_is_refused_before_training(tmp_path, records_dir):
    (tmp_path / "exists").mkdir()
    result = _cli("train", "--records", records_dir, "--dataset", "mt560", "--target", "m2m100", "--metric", "spBLEU",
                  "--out", tmp_path / "exists")
    _one_line_error(result, "already exists", "nothing was trained")


# -- item 13: --records repeated -----------------------------------------------------------------------------------
def test_repeated_records_flags_take_every_file(records_dir):
    result = _cli("records", "problems", "--records", records_dir / "intent_experiments.csv", "--records",
                  records_dir / "nusa_experiments.csv")
    assert result.returncode == 0, result.stderr
    assert "massive_intent: 2601 units" in result.stdout and "nusa: 224 units" in result.stdout


# -- item 14: sparse typology -------------------------------------------------------------------------------------
def test_unknown_uriel_distances_are_flagged(tmp_path):
    result = _predict(tmp_path, HEADER + "eng,deu,flores,5\neng,aqt,flores,5\n", "--output", tmp_path / "o.csv")
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(tmp_path / "o.csv", keep_default_na=False).set_index("line")
    assert out.loc[2, "out_of_range"] == ""
    assert "genetic=unknown" in out.loc[3, "out_of_range"] and out.loc[3, "out_of_range"].count("=unknown") == 5
    assert "unknown URIEL+ distances" in result.stderr


# -- item 15: smaller ones ----------------------------------------------------------------------------------------
def test_intervals_stay_inside_the_metrics_range(tmp_path):
    result = _predict(tmp_path, HEADER + "eng,afr,flores,0\neng,zul,flores,0\n", "--output", tmp_path / "o.csv")
    out = pd.read_csv(tmp_path / "o.csv")
    assert result.returncode == 0 and (out["lower"] >= 0).all() and (out["upper"] <= 100).all()
    assert (out["estimate"] >= out["lower"]).all()


def test_outputs_get_the_users_umask_not_0600(tmp_path):
    result = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "predict", "--predictor",
                             str(PREDICTOR), "--input", str(_rows(tmp_path)), "--output", str(tmp_path / "o.csv")],
                            capture_output=True, text=True, preexec_fn=lambda: os.umask(0o022), check=False)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "o.csv").stat().st_mode) == 0o644


def _rows(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "eng,afr,flores,5\n")
    return rows


def test_an_error_quotes_at_most_200_characters_of_the_input(tmp_path):
    giant = "".join(random.Random(0).choices(string.ascii_letters, k=5_000_000))
    result = _predict(tmp_path, HEADER + f"eng,{giant},flores,5\n")
    assert result.returncode == 2 and len(result.stderr) < 1000, len(result.stderr)
    result = _cli("predict", "--predictor", PREDICTOR, "--input", _giant_line(tmp_path))
    assert result.returncode == 2 and len(result.stderr) < 1000, len(result.stderr)


def _giant_line(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_text("".join(random.Random(1).choices(string.printable[:-6], k=5_000_000)))
    return path


def test_a_proxy_given_an_empty_path_is_refused():
    from proxylm_harness.lm_eval_bridge.proxies import ProxyError, parse_proxies

    with pytest.raises(ProxyError, match="gives no path after '='"):
        parse_proxies("small100=")
    with pytest.raises(ProxyError, match="no name before '='"):
        parse_proxies("=/models/x")
