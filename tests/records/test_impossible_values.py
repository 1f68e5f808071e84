"""Scores outside their metric's possible range are refused, and no error quotes more than 200 characters."""

import csv
import random
import string

import pytest

from proxylm_harness.records import SCORE_RANGES, SE_RANGE, RecordsError, load_records, score_range
from proxylm_harness.records.rows_to_estimate import InputError, read_rows
from proxylm_harness.features.spec import FeatureSpec

MT560, INTENT = "mt560_experiments.csv", "intent_experiments.csv"
QUOTE_LIMIT = 200


def read_csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [list(r) for r in rows[1:21]]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])
    return path


def made_file(records_dir, tmp_path, name, column, value, row=6):
    """The first 20 records of a real file (the intent file as a slot file for ``*_f1``), one cell set."""
    header, rows = read_csv_rows(records_dir / name)
    if column.endswith("_f1"):
        header = [c.replace("_accuracy", "_f1").replace("direction_indicator", "directional_indicator")
                  for c in header]
    rows[row][header.index(column)] = value
    return write_csv(tmp_path / "made.csv", header, rows)


def test_the_ranges_are_data():
    assert SCORE_RANGES["spBLEU"] == SCORE_RANGES["accuracy"] == SCORE_RANGES["f1"] == (0.0, 100.0)
    assert SCORE_RANGES["comet"] == (-3.0, 3.0) and SCORE_RANGES["TER"][0] == 0.0
    assert score_range("BLEU", "se") == SE_RANGE == (0.0, float("inf"))
    assert score_range("no-such-metric") == (-float("inf"), float("inf"))


@pytest.mark.parametrize("name, column, value", [
    (MT560, "m2m100_ft_spBLEU_mean", "-500"),
    (MT560, "m2m100_ft_spBLEU_mean", "1e12"),
    (MT560, "nllb_noft_BLEU_mean", "100.01"),
    (MT560, "small100_ft_chrF2++_mean", "-0.1"),
    (MT560, "trfm_chrF2_mean", "250"),
    (MT560, "nllb_ft_TER_mean", "-1"),
    (MT560, "nllb_ft_TER_mean", "1e12"),
    (MT560, "trfm_comet_mean", "3.5"),
    (MT560, "m2m100_noft_comet_mean", "-3.01"),
    (MT560, "small100_noft_spBLEU_se", "-0.2"),
    (MT560, "trfm_comet_se", "-1e-9"),
    (INTENT, "aya_accuracy", "100.5"),
    (INTENT, "llama3_accuracy", "-3"),
    (INTENT, "smollm_135m_f1", "101"),
    (INTENT, "bloomz_560m_f1", "-1e12"),
])
def test_impossible_score_is_refused(records_dir, tmp_path, name, column, value):
    path = made_file(records_dir, tmp_path, name, column, value)  # line 8
    with pytest.raises(RecordsError) as error:
        load_records(path)
    message = str(error.value)
    assert (error.value.path, error.value.line, error.value.column) == (path, 8, column)
    for part in ("made.csv", "line 8", repr(column), repr(value), "impossible"):
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize("name, column, value", [
    (MT560, "m2m100_ft_spBLEU_mean", "0"), (MT560, "m2m100_ft_spBLEU_mean", "100"),
    (MT560, "nllb_ft_TER_mean", "2853.1"),  # the real MT560 records reach this (English to Chinese)
    (MT560, "trfm_comet_mean", "-3"), (MT560, "trfm_comet_mean", "3"),
    (MT560, "small100_noft_spBLEU_se", "0"), (MT560, "small100_noft_spBLEU_se", "1e6"),
    (INTENT, "aya_accuracy", "100"), (INTENT, "smollm_135m_f1", "0"),
])
def test_scores_at_the_bounds_are_kept(records_dir, tmp_path, name, column, value):
    records = load_records(made_file(records_dir, tmp_path, name, column, value))
    frame = records.frame
    model_setting_metric = frame[frame["source_row"] == 8]
    assert float(value) in set(model_setting_metric["score"]) | set(model_setting_metric["score_se"])


def test_an_impossible_score_in_an_incomplete_row_is_still_refused(records_dir, tmp_path):
    header, rows = read_csv_rows(records_dir / MT560)
    rows[6][header.index("nllb_ft_BLEU_mean")] = ""
    rows[6][header.index("trfm_spBLEU_mean")] = "-500"
    with pytest.raises(RecordsError, match="impossible"):
        load_records(write_csv(tmp_path / "made.csv", header, rows))


# ----------------------------------------------------------------------------------------------
# Errors quote at most 200 characters of what the file holds
# ----------------------------------------------------------------------------------------------

def assert_short(error, limit=2000):
    message = str(error.value)
    assert len(message) < limit, f"{len(message)} characters: {message[:300]}..."


def random_line(n, seed=0):
    rng = random.Random(seed)
    return "".join(rng.choices(string.ascii_letters + string.digits + string.punctuation + " ", k=n))


def test_a_5mb_line_of_random_characters(tmp_path):
    path = tmp_path / "random.csv"
    path.write_text(random_line(5 << 20), encoding="utf-8")
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert len(str(error.value)) < 2000
    line = random_line(5 << 20)
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")  # a header, then a record
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert len(str(error.value)) < 2000 and "random.csv" in str(error.value)


def test_a_5mb_cell(records_dir, tmp_path):
    path = made_file(records_dir, tmp_path, INTENT, "aya_accuracy", "7" * (5 << 20))
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_short(error)
    assert "line 8" in str(error.value)


@pytest.mark.parametrize("column", ["aya_accuracy", "target_lang"])
def test_a_long_cell_is_quoted_cut(records_dir, tmp_path, column):
    path = made_file(records_dir, tmp_path, INTENT, column, "x" * 100_000)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_short(error, limit=QUOTE_LIMIT + 300)
    assert "(100002 characters)" in str(error.value) and error.value.line == 8


def test_a_long_column_name_is_quoted_cut(records_dir, tmp_path):
    header, rows = read_csv_rows(records_dir / INTENT)
    path = write_csv(tmp_path / "made.csv", header[:-1] + ["z" * 100_000], rows)
    with pytest.raises(RecordsError) as error:  # detect_layout's preview
        load_records(path)
    assert_short(error)
    path = write_csv(tmp_path / "made.csv", header + ["z" * 100_000], [r + ["1"] for r in rows])
    with pytest.raises(RecordsError) as error:  # the column named by the error
        load_records(path)
    assert_short(error)
    assert error.value.column == "z" * 100_000


def test_a_binary_file_with_a_long_first_line(tmp_path):
    rng = random.Random(0)
    data = bytearray(rng.choice(b"abc\x80\xff") for _ in range(5 << 20))
    data[3_000_000] = 0
    (tmp_path / "binary.csv").write_bytes(bytes(data))
    with pytest.raises(RecordsError) as error:
        load_records(tmp_path / "binary.csv")
    assert_short(error)
    assert "not valid UTF-8" in str(error.value)


def test_rows_to_estimate_refuses_a_giant_header_cell(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x" * (1 << 20) + "\n1\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_rows(path, FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("small100_ft",)))
    assert len(str(error.value)) < 500


def test_rows_to_estimate_cuts_a_long_language_code(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("source_lang,target_lang,small100_ft\n" + "q" * 100_000 + ",eng,10\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_rows(path, FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("small100_ft",)))
    assert len(str(error.value)) < 500 and "line 2" in str(error.value)
