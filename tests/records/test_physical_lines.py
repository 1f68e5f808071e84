"""Rows read from a record file carry their physical line, past blank lines and dropped rows."""

import csv

import pytest

from proxylm_harness.features.spec import FeatureSpec
from proxylm_harness.records import RecordsWarning, load_records
from proxylm_harness.records.rows_to_estimate import read_rows

MT560, NUSA = "mt560_experiments.csv", "nusa_experiments.csv"
SPEC = FeatureSpec("translation", "m2m100_ft", "spBLEU", proxies=("small100_ft",))


@pytest.fixture
def gappy_file(records_dir, tmp_path):
    """20 MT560 records with a blank line 4 and an empty score on line 9; returns (path, kept (line, code))."""
    with open(records_dir / MT560, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], [list(r) for r in rows[1:21]]
    body[6][header.index("nllb_ft_BLEU_mean")] = ""  # on line 9, below the blank line 4
    lines = [",".join(r) for r in [header, *body]]
    lines.insert(3, "")
    path = tmp_path / "gappy.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    physical = [2, 3] + list(range(5, 23))
    kept = [(line, r[0]) for line, r in zip(physical, body) if line != 9]
    return path, kept


def test_wide_sources_give_each_unit_its_first_line(gappy_file):
    path, kept = gappy_file
    with pytest.warns(RecordsWarning, match="line 9"):
        records = load_records(path)
    sources = records.wide_sources("mt560", "spBLEU")
    assert list(sources["source_row"]) == [line for line, _ in kept]
    assert set(sources["source_file"]) == {str(path)}
    assert list(records.wide("mt560", "spBLEU")["source_code"]) == [code for _, code in kept]


def test_read_rows_indexes_rows_by_physical_line(gappy_file):
    path, kept = gappy_file
    with pytest.warns(RecordsWarning):
        rows = read_rows(path, SPEC)
    assert list(rows.index) == [line for line, _ in kept]  # not 2..20: line 4 is blank, line 9 was dropped
    assert 9 not in rows.index and 4 not in rows.index
    assert rows.loc[10, "source_code"] == dict(kept)[10]


def test_wide_sources_follow_wide_across_files(records_dir, gappy_file):
    path, kept = gappy_file
    with pytest.warns(RecordsWarning):
        records = load_records([records_dir / NUSA, path])
    sources = records.wide_sources("mt560", "comet")
    assert list(sources["source_row"]) == [line for line, _ in kept]
    nusa = records.wide_sources("nusa", "BLEU")
    assert list(nusa["source_row"]) == list(range(2, 226)) and set(nusa["source_file"]) == {str(records_dir / NUSA)}
