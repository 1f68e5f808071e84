"""``proxylm-harness complete`` as the automated checks call it: inputs of every kind, the output CSV, the plot, and the
refusals (one line, exit 2) (issue 12)."""

import csv

import pytest

from proxylm_harness.cli.harness import main
from proxylm_harness.records.store import RecordsStore

COLUMNS = ["task", "metric", "estimate", "lower", "upper", "source", "estimator", "warning"]


def _run(capsys, *argv):
    code = main(["complete", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_of_results_files_is_completed_into_a_csv_and_a_plot(capsys, tmp_path, lm_eval_results_dir):
    factors = tmp_path / "factors.csv"
    factors.write_text("model,params_b,family\nbigscience/bloom-2b,2.0,bloom\n")
    code, out, err = _run(capsys, "--records", lm_eval_results_dir, "--target", "bigscience/bloom-2b",
                          "--model-factors", factors, "--tasks", "xwinograd_*", "paws_*", "--coverage", "0.8",
                          "--output", tmp_path / "out.csv", "--plot", tmp_path / "out.png")
    assert code == 0, err
    with open(tmp_path / "out.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS and len(rows) == 13
    assert {r["source"] for r in rows} == {"estimated"} and {r["estimator"] for r in rows} == {"stack"}
    assert all(float(r["lower"]) <= float(r["estimate"]) <= float(r["upper"]) for r in rows)
    assert "0 cell(s) known, 13 estimated" in out and "cross-validated MAE" in out
    assert (tmp_path / "out.png").stat().st_size > 1000


def test_a_store_file_is_read_and_known_cells_come_back_measured(capsys, tmp_path, lm_eval_results_dir):
    store = RecordsStore(tmp_path / "records.sqlite3")
    store.add([lm_eval_results_dir])
    store.remove(source=lm_eval_results_dir / "xglm" / "xglm-2.9B" / "xglm-2.9B_xwinograd_0-shot.json")
    store.close()
    code, out, err = _run(capsys, "--records", tmp_path / "records.sqlite3", "--target", "facebook/xglm-2.9B",
                          "--tasks", "xwinograd_*", "xcopa_*")
    assert code == 0, err
    rows = list(csv.DictReader(out.splitlines()))  # without --output the CSV goes to stdout, the summary to stderr
    assert sum(r["source"] == "measured" for r in rows) == 11 and sum(r["source"] == "estimated" for r in rows) == 6
    assert "11 cell(s) known, 6 estimated" in err


def test_proxylm_record_files_are_imported_too(capsys, tmp_path, records_dir):
    factors = tmp_path / "factors.csv"
    factors.write_text("model,params_b,family\norg/new-8b,8,aya\n")
    code, out, err = _run(capsys, "--records", records_dir / "intent_experiments.csv", "--target", "org/new-8b",
                          "--model-factors", factors, "--tasks", "massive_intent:de-*", "--output", tmp_path / "o.csv")
    assert code == 0, err
    with open(tmp_path / "o.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 51 and all(0 <= float(r["estimate"]) <= 100 for r in rows)  # accuracy in the records' 0-100


@pytest.mark.parametrize("argv, message", [
    (["--target", "bigscience/bloom-7b"], "no model 'bigscience/bloom-7b' in the records and no factors for it. "
                                          "Did you mean: 'bigscience/bloom-7b1'"),
    (["--target", "bigscience/bloom-7b1", "--tasks", "xnli_*", "xnil_*"], "the task pattern 'xnil_*' matches no task"),
    (["--target", "bigscience/bloom-7b1", "--estimator", "stak"], "Unknown completion estimator 'stak'"),
])
def test_requests_that_cannot_be_served_end_in_one_line_and_exit_2(capsys, lm_eval_results_dir, argv, message):
    code, out, err = _run(capsys, "--records", lm_eval_results_dir, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and not out


def test_a_store_with_fewer_than_two_other_models_is_refused(capsys, lm_eval_results_dir):
    code, _, err = _run(capsys, "--records", lm_eval_results_dir / "bloom" / "bloom-560m",
                        lm_eval_results_dir / "bloom" / "bloom-1b1", "--target", "bigscience/bloom-560m")
    assert code == 2 and "1 model(s) besides 'bigscience/bloom-560m'" in err and len(err.strip().splitlines()) == 1


def test_arguments_are_checked_before_any_work(capsys, tmp_path, lm_eval_results_dir):
    code, _, err = _run(capsys, "--records", tmp_path / "missing", "--target", "x")
    assert code == 2 and "no such file or folder" in err
    (tmp_path / "dir").mkdir()
    code, _, err = _run(capsys, "--records", lm_eval_results_dir, "--target", "x", "--output", tmp_path / "dir")
    assert code == 2 and "--output" in err
    bad = tmp_path / "factors.csv"
    bad.write_text("model,size\nx,1\n")
    code, _, err = _run(capsys, "--records", lm_eval_results_dir, "--target", "x", "--model-factors", bad)
    assert code == 2 and "lacks column(s)" in err


def test_benchmark_suites_check_their_arguments(capsys, tmp_path):
    assert main(["benchmark", "--suite", "completion", "--lm-eval-results", str(tmp_path / "none")]) == 2
    assert "--lm-eval-results" in capsys.readouterr().err
    assert main(["benchmark", "--records", str(tmp_path)]) == 2  # --suite proxylm needs --output
    assert "--output" in capsys.readouterr().err
