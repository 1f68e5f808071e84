"""Records fingerprints never change: shipped predictors' ids and manifests hold them.

The digests below were computed by the loader of commit aa1a735 (one long table in memory), before the records
were held as a units table and a scores table; every later loader must give the same bytes.
"""

import csv
import warnings

import pytest

from proxylm_harness.records import Records, load_records

MT560, NUSA, INTENT = "mt560_experiments.csv", "nusa_experiments.csv", "intent_experiments.csv"

FINGERPRINTS = {
    "folder": "2f9c4b0b9cf0abfdc599218f6a0841dcac09d8fb5626504f11282b06041e88f4",
    MT560: "c9e93d63be9b94803580b5326b775611c877607c5a25c9d987580dce51aac2d5",
    NUSA: "7ea26a7d180ecb5d044c0b2ac8d829ef685f4100a262e12fdc42ad051c07f3a5",
    INTENT: "c8dac5f0710220dfd8cd773d1a2be7a823423bf716f427566b543a3f95d81f4d",
    "dropped": "48e2f2a42dae5bc6d1ead0da67fded27b238581cd84ee3bdfba8c1aa4fb6c885",
    "slot": "3c6183f653db97b38cdbef5bd35355a8a87c29a6faeb5f3a383bf870850d4dd5",
    "mixed": "422e1488de2edd59753ea921d92b59539b3014b3036c33f73a3f3bbd6712c4be",
    "nusa+slot": "ab405058449875a34d3b2b3ad5c7c53902cfab93f91c9d0f52762043eecd9eab",
}


def read_csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def made_files(records_dir, tmp_path_factory):
    """An MT560 file with two incomplete rows and a blank line, and a MASSIVE slot file (as in the digests)."""
    folder = tmp_path_factory.mktemp("made")
    rows = read_csv_rows(records_dir / MT560)
    header, body = rows[0], [list(r) for r in rows[1:120]]
    body[5][header.index("nllb_ft_BLEU_mean")] = ""
    body[9][header.index("genetic")] = "NA"
    lines = [",".join(r) for r in [header, *body]]
    lines.insert(4, "")
    (folder / "dropped.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = read_csv_rows(records_dir / INTENT)
    header = [c.replace("_accuracy", "_f1").replace("direction_indicator", "directional_indicator") for c in rows[0]]
    with open(folder / "slot.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows[1:200]])
    return folder / "dropped.csv", folder / "slot.csv"


def load(paths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_records(paths)


@pytest.mark.parametrize("name", ["folder", MT560, NUSA, INTENT])
def test_real_files_keep_their_fingerprints(records_dir, name):
    assert load(records_dir if name == "folder" else records_dir / name).fingerprint() == FINGERPRINTS[name]


def test_dropped_rows_slot_files_and_mixed_layouts_keep_their_fingerprints(records_dir, made_files):
    dropped, slot = made_files
    assert load(dropped).fingerprint() == FINGERPRINTS["dropped"]
    assert load(slot).fingerprint() == FINGERPRINTS["slot"]
    assert load([slot, dropped, records_dir / NUSA]).fingerprint() == FINGERPRINTS["mixed"]
    assert (load(records_dir / NUSA) + load(slot)).fingerprint() == FINGERPRINTS["nusa+slot"]


def test_a_shuffled_long_frame_keeps_the_fingerprint(records_dir, made_files):
    records = load([records_dir / NUSA, *made_files])
    shuffled = records.frame.sample(frac=1, random_state=0)
    assert Records(shuffled).fingerprint() == records.fingerprint() == FINGERPRINTS["mixed"]
    assert Records(records.frame).frame.equals(records.frame)
