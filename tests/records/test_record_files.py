"""Tests for proxylm_harness.records: the three real record files, a slot-shaped file, and broken inputs."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import RECORDS_DIR

from proxylm_harness.languages import UnknownLanguageError, language_key
from proxylm_harness.records import LAYOUTS, Records, RecordsError, RecordsWarning, detect_layout, load_records

MT560, NUSA, INTENT = "mt560_experiments.csv", "nusa_experiments.csv", "intent_experiments.csv"

# MASSIVE locales, keyed by the short codes the intent file uses (the slot file uses the locales).
MASSIVE_LOCALES = {
    locale.split("-")[0] if locale not in ("zh-CN", "zh-TW") else locale: locale
    for locale in (
        "af-ZA am-ET ar-SA az-AZ bn-BD cy-GB da-DK de-DE el-GR en-US es-ES fa-IR fi-FI fr-FR he-IL hi-IN "
        "hu-HU hy-AM id-ID is-IS it-IT ja-JP jv-ID ka-GE km-KH kn-IN ko-KR lv-LV ml-IN mn-MN ms-MY my-MM "
        "nb-NO nl-NL pl-PL pt-PT ro-RO ru-RU sl-SL sq-AL sv-SE sw-KE ta-IN te-IN th-TH tl-PH tr-TR ur-PK "
        "vi-VN zh-CN zh-TW"
    ).split()
}


@pytest.fixture(scope="module")
def records_dir() -> Path:
    path = RECORDS_DIR
    if not (path / MT560).exists():
        pytest.skip(f"ProxyLM record files not found in {path} (set PROXYLM_RECORDS)")
    return path


@pytest.fixture(scope="module")
def records(records_dir) -> Records:
    return load_records(records_dir)


def read_csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])
    return path


def small_copy(records_dir, name, tmp_path, n=20, out_name=None):
    """The header and first ``n`` records of a real file, as (header, rows, path written)."""
    header, rows = read_csv_rows(records_dir / name)
    rows = [list(r) for r in rows[:n]]
    return header, rows, tmp_path / (out_name or name)


def slot_shaped(header, rows):
    """Turn intent-file content into the MASSIVE slot layout (F1 columns, locales, 'directional_indicator')."""
    header = [c.replace("_accuracy", "_f1").replace("direction_indicator", "directional_indicator") for c in header]
    rows = [[MASSIVE_LOCALES[r[0]], MASSIVE_LOCALES[r[1]], *r[2:]] for r in rows]
    return header, rows


def assert_names(error, *parts):
    message = str(error.value)
    for part in parts:
        assert str(part) in message, f"{part!r} not in {message!r}"


# ----------------------------------------------------------------------------------------------
# The real files
# ----------------------------------------------------------------------------------------------

def test_real_files_load_into_one_table(records):
    assert records.datasets() == ["massive_intent", "mt560", "nusa"]  # sorted file names
    units = records.frame.drop_duplicates(["dataset", "source_lang", "target_lang", "train_dataset",
                                           "dataset_size", "test_dataset"])
    assert units["dataset"].value_counts().to_dict() == {"mt560": 1954, "massive_intent": 2601, "nusa": 224}
    assert len(records) == 1954 * 42 + 224 * 42 + 2601 * 5
    assert len(records.dropped) == 0


def test_models_metrics_and_settings(records):
    mt_metrics = ["spBLEU", "chrF2++", "BLEU", "chrF2", "TER", "comet"]
    assert records.metrics("mt560") == mt_metrics
    assert records.metrics("nusa") == mt_metrics  # NUSA's comet_score is normalised to comet
    systems = {(m, s) for m in ("m2m100", "nllb", "small100") for s in ("ft", "noft")} | {("trfm", "scratch")}
    assert set(records.models("mt560", "comet")) == systems
    assert set(records.models("nusa", "spBLEU")) == systems
    assert records.models("massive_intent", "accuracy") == [
        ("aya", "ft"), ("llama3", "ft"), ("smollm_135m", "ft"), ("smollm_360m", "ft"), ("bloomz_560m", "ft")]
    frame = records.frame
    assert frame.groupby("dataset")["task_family"].unique().map(list).to_dict() == {
        "mt560": ["translation"], "nusa": ["translation"], "massive_intent": ["intent"]}
    intent = frame[frame["dataset"] == "massive_intent"]
    assert set(intent["train_dataset"]) == set(intent["test_dataset"]) == {"massive"}
    assert intent["dataset_size"].isna().all() and intent["score_se"].isna().all()
    assert str(frame["dataset_size"].dtype) == "Int64"


@pytest.mark.parametrize("name, line, column, model, setting, metric", [
    (MT560, 2, "nllb_noft_chrF2++", "nllb", "noft", "chrF2++"),
    (MT560, 1955, "trfm_TER", "trfm", "scratch", "TER"),
    (NUSA, 100, "m2m100_ft_comet_score", "m2m100", "ft", "comet"),
    (NUSA, 225, "small100_noft_BLEU", "small100", "noft", "BLEU"),
])
def test_mt_values_match_the_csv(records, records_dir, name, line, column, model, setting, metric):
    header, rows = read_csv_rows(records_dir / name)
    raw = dict(zip(header, rows[line - 2]))
    frame = records.frame
    row = frame[(frame["source_file"] == str(records_dir / name)) & (frame["source_row"] == line)
                & (frame["model"] == model) & (frame["setting"] == setting) & (frame["metric"] == metric)]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["score"] == float(raw[f"{column}_mean"]) and row["score_se"] == float(raw[f"{column}_se"])
    assert (row["source_code"], row["target_code"]) == (raw["source_lang"], raw["target_lang"])
    assert row["source_lang"] == language_key(raw["source_lang"])
    assert (row["train_dataset"], row["test_dataset"]) == (raw["train_dataset"], raw["test_dataset"])
    assert row["dataset_size"] == int(raw["dataset_size"])
    for feature in ("genetic", "featural", "ttr_train", "dev_test_st_similarity"):
        assert row[feature] == float(raw[feature])
    if name == MT560:
        assert row["eng_target"] == float(raw["eng_target"])
    else:
        assert np.isnan(row["eng_target"])


def test_intent_values_match_the_csv(records, records_dir):
    header, rows = read_csv_rows(records_dir / INTENT)
    raw = dict(zip(header, rows[16]))  # line 18
    frame = records.frame
    unit = frame[(frame["dataset"] == "massive_intent") & (frame["source_row"] == 18)].set_index("model")
    assert list(unit.index) == ["aya", "llama3", "smollm_135m", "smollm_360m", "bloomz_560m"]
    for model in unit.index:
        assert unit.loc[model, "score"] == float(raw[f"{model}_accuracy"])
    assert unit["direction_indicator"].eq(float(raw["direction_indicator"])).all()
    assert unit["train_test_jsd"].eq(float(raw["train_test_jsd"])).all()
    assert unit["dev_size"].isna().all()  # an MT-only feature


@pytest.mark.parametrize("name, dataset, suffix", [
    (MT560, "mt560", "_mean"), (NUSA, "nusa", "_mean"), (INTENT, "massive_intent", "")])
def test_wide_round_trips_the_scores(records, records_dir, name, dataset, suffix):
    header, rows = read_csv_rows(records_dir / name)
    columns = dict(zip(header, zip(*rows)))
    for metric in records.metrics(dataset):
        wide = records.wide(dataset, metric)
        assert list(wide["source_code"]) == list(columns["source_lang"])  # file order
        spelled = "comet_score" if (dataset, metric) == ("nusa", "comet") else metric
        for model, setting in records.models(dataset, metric):
            prefix = model if setting in ("scratch",) or dataset == "massive_intent" else f"{model}_{setting}"
            expected = np.array(columns[f"{prefix}_{spelled}{suffix}"], dtype=float)
            np.testing.assert_array_equal(wide[f"{model}_{setting}"].to_numpy(), expected)
            if suffix:
                np.testing.assert_array_equal(wide[f"{model}_{setting}_se"].to_numpy(),
                                              np.array(columns[f"{prefix}_{spelled}_se"], dtype=float))


def test_wide_keeps_only_the_datasets_features(records):
    mt, nusa, intent = (records.wide(d, m) for d, m in
                        (("mt560", "spBLEU"), ("nusa", "comet"), ("massive_intent", "accuracy")))
    assert "eng_target" in mt and "eng_target" not in nusa and "eng_target" not in intent
    assert "direction_indicator" in intent and "dev_size" not in intent
    assert list(intent.columns[:8]) == ["dataset", "source_lang", "target_lang", "train_dataset",
                                        "dataset_size", "test_dataset", "source_code", "target_code"]
    assert {"trfm_scratch", "small100_noft_se", "m2m100_ft"} <= set(mt.columns)
    assert len(mt) == 1954 and len(nusa) == 224 and len(intent) == 2601


def test_wide_is_cached_and_safe_to_modify(records):
    first = records.wide("massive_intent", "accuracy")
    first["aya_ft"] = -1.0
    again = records.wide("massive_intent", "accuracy")
    assert (again["aya_ft"] > 0).all()
    with pytest.raises(RecordsError, match="known"):
        records.wide("massive_intent", "spBLEU")


def test_fingerprint_is_stable_and_content_only(records, records_dir, tmp_path):
    fingerprint = records.fingerprint()
    assert len(fingerprint) == 64 and fingerprint == records.fingerprint()
    for name in (MT560, NUSA, INTENT):
        shutil.copy(records_dir / name, tmp_path / f"copy_{name}")
    reordered = load_records([tmp_path / f"copy_{NUSA}", tmp_path / f"copy_{INTENT}", tmp_path / f"copy_{MT560}"])
    assert reordered.fingerprint() == fingerprint  # row order and file paths do not count
    header, rows, path = small_copy(records_dir, INTENT, tmp_path, out_name="a.csv")
    before = load_records(write_csv(path, header, rows)).fingerprint()
    rows[3][2] = str(float(rows[3][2]) + 1e-9)
    assert load_records(write_csv(path, header, rows)).fingerprint() != before


def test_concat_and_add(records_dir, tmp_path):
    nusa, intent = load_records(records_dir / NUSA), load_records(records_dir / INTENT)
    both = nusa + intent
    assert both.datasets() == ["nusa", "massive_intent"] and len(both) == len(nusa) + len(intent)
    assert both.fingerprint() == load_records([records_dir / INTENT, records_dir / NUSA]).fingerprint()
    assert sum([nusa, intent]).fingerprint() == both.fingerprint()
    with pytest.raises(RecordsError) as error:
        nusa + load_records(shutil.copy(records_dir / NUSA, tmp_path / "again.csv"))
    assert_names(error, "duplicated unit", NUSA, "again.csv", "line 2")
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    small = load_records(write_csv(path, header, rows))
    with pytest.raises(RecordsError) as error:  # MASSIVE units have no dataset_size (NA)
        small + load_records(write_csv(tmp_path / "b.csv", header, rows[10:]))
    assert_names(error, "duplicated unit", "b.csv line 2", f"{INTENT} line 12")


# ----------------------------------------------------------------------------------------------
# Layout detection and the slot importer
# ----------------------------------------------------------------------------------------------

def test_detection_ignores_file_names(records_dir, tmp_path):
    shutil.copy(records_dir / NUSA, tmp_path / "intent_experiments.csv")
    shutil.copy(records_dir / INTENT, tmp_path / "mt560_results.csv")
    (tmp_path / "SOURCE.md").write_text("not a record file\n")
    loaded = load_records(tmp_path)
    assert loaded.datasets() == ["nusa", "massive_intent"]
    shutil.copy(records_dir / NUSA, tmp_path / "records.txt")  # any name when given explicitly
    assert load_records(tmp_path / "records.txt").datasets() == ["nusa"]


def test_slot_file_is_imported(records_dir, tmp_path):
    header, rows = read_csv_rows(records_dir / INTENT)
    header, rows = slot_shaped(header, rows[:300])
    path = write_csv(tmp_path / "whatever.csv", header, rows)
    slot = load_records(path)
    assert slot.datasets() == ["massive_slot"]
    assert slot.metrics("massive_slot") == ["f1"]
    frame = slot.frame
    assert set(frame["task_family"]) == {"slot"} and set(frame["setting"]) == {"ft"}
    assert "directional_indicator" not in frame and frame["direction_indicator"].notna().all()
    wide = slot.wide("massive_slot", "f1")
    assert list(wide["source_code"]) == [r[0] for r in rows]
    np.testing.assert_array_equal(wide["llama3_ft"].to_numpy(), np.array([r[3] for r in rows], dtype=float))
    # locales normalise to the same language keys as the intent file's short codes
    intent = load_records(records_dir / INTENT).wide("massive_intent", "accuracy").head(300)
    assert list(wide["source_lang"]) == list(intent["source_lang"])
    assert list(wide["target_lang"]) == list(intent["target_lang"])


def test_every_layout_is_detected_from_its_own_columns():
    for name, layout in LAYOUTS.items():
        assert detect_layout(reversed(sorted(layout.columns))) is layout, name


# ----------------------------------------------------------------------------------------------
# Malformed input: every refusal names the file, the line and the column
# ----------------------------------------------------------------------------------------------

def test_missing_column(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, MT560, tmp_path, out_name="broken.csv")
    drop = header.index("eng_target")
    write_csv(path, header[:drop] + header[drop + 1:], [r[:drop] + r[drop + 1:] for r in rows])
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, "broken.csv", "line 1", "'eng_target'", "'mt560'", "missing 1 column")
    assert error.value.column == "eng_target" and error.value.line == 1


def test_extra_column(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path, out_name="extra.csv")
    write_csv(path, header + ["qwen_accuracy"], [r + ["50.0"] for r in rows])
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, "extra.csv", "line 1", "'qwen_accuracy'", "'massive_intent'", "unexpected 1 column")


def test_unrelated_csv_names_the_closest_layout(tmp_path):
    path = write_csv(tmp_path / "other.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, "other.csv", "line 1", "closest is", "'source_lang'", "'a'")


@pytest.mark.parametrize("column, value", [("aya_accuracy", "abc"), ("genetic", "0,5"), ("ttr_test", "inf")])
def test_non_numeric_value(records_dir, tmp_path, column, value):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    rows[15][header.index(column)] = value  # line 17
    write_csv(path, header, rows)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, INTENT, "line 17", f"'{column}'", repr(value))
    assert (error.value.line, error.value.column) == (17, column)


def test_duplicated_unit_names_both_lines(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, MT560, tmp_path)
    duplicate = list(rows[1])  # line 3
    duplicate[header.index("m2m100_ft_BLEU_mean")] = "1.0"  # same unit, different scores
    write_csv(path, header, rows + [duplicate])
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, MT560, "line 22", "line 3", "source_lang", "test_dataset", "duplicated")


def test_same_file_twice_is_refused(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, NUSA, tmp_path)
    write_csv(path, header, rows)
    other = write_csv(tmp_path / "second.csv", header, rows[5:])
    with pytest.raises(RecordsError) as error:
        load_records([path, other])
    assert_names(error, "second.csv", "line 2", f"{NUSA} line 7", "duplicated")


@pytest.mark.parametrize("content, problem", [(b"", "empty"), (b"\n\n", "empty")])
def test_empty_file(tmp_path, content, problem):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, "empty.csv", "line 1", problem)


def test_header_only_file(records_dir, tmp_path):
    header, _, path = small_copy(records_dir, INTENT, tmp_path)
    write_csv(path, header, [])
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, INTENT, "line 1", "no records")


def test_utf16_file(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, INTENT, "line 1", "UTF-16", "expected UTF-8")


def test_latin1_file(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, NUSA, tmp_path)
    rows[4][header.index("train_dataset")] = "kalimat_é"  # line 6
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, NUSA, "line 6", "'train_dataset'", "not valid UTF-8", "expected UTF-8", "0xe9")


def test_unknown_language_code(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    rows[3][1] = "q9q"  # line 5, target_lang
    write_csv(path, header, rows)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, INTENT, "line 5", "'target_lang'", "'q9q'")
    assert isinstance(error.value.__cause__, UnknownLanguageError)


def test_empty_score_cell_is_dropped_with_a_warning(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    rows[7][header.index("smollm_360m_accuracy")] = ""  # line 9
    write_csv(path, header, rows)
    with pytest.warns(RecordsWarning, match=r"line 9 \('smollm_360m_accuracy'\)"):
        loaded = load_records(path)
    assert len(loaded.wide("massive_intent", "accuracy")) == len(rows) - 1
    assert 9 not in set(loaded.frame["source_row"])
    assert loaded.dropped.to_dict("records") == [
        {"source_file": str(path), "source_row": 9, "columns": "smollm_360m_accuracy"}]


def test_empty_score_cell_can_be_refused(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, MT560, tmp_path)
    rows[7][header.index("trfm_comet_se")] = "NaN"  # line 9
    write_csv(path, header, rows)
    with pytest.raises(RecordsError) as error:
        load_records(path, on_missing="raise")
    assert_names(error, MT560, "line 9", "'trfm_comet_se'", "empty", "on_missing='drop'")
    with pytest.raises(ValueError, match="on_missing"):
        load_records(path, on_missing="ignore")


def test_empty_key_cell_is_refused(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, MT560, tmp_path)
    rows[2][header.index("test_dataset")] = ""  # line 4
    write_csv(path, header, rows)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, MT560, "line 4", "'test_dataset'", "empty")


def test_ragged_row(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    rows[10] = rows[10][:-3]  # line 12
    write_csv(path, header, rows)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, INTENT, "line 12", "22 fields", "header has 25", "'phonological'")


def test_duplicated_header_column(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    write_csv(path, header + ["genetic"], [r + [r[header.index("genetic")]] for r in rows])
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, INTENT, "line 1", "'genetic'", "twice")


def test_fractional_dataset_size(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, NUSA, tmp_path)
    rows[0][header.index("dataset_size")] = "1000.5"  # line 2
    write_csv(path, header, rows)
    with pytest.raises(RecordsError) as error:
        load_records(path)
    assert_names(error, NUSA, "line 2", "'dataset_size'", "whole")


def test_missing_paths(tmp_path):
    with pytest.raises(RecordsError) as error:
        load_records(tmp_path / "nope.csv")
    assert_names(error, "nope.csv", "cannot read")
    with pytest.raises(RecordsError, match="no \\*.csv"):
        load_records(tmp_path)


def test_crlf_and_blank_lines_keep_line_numbers(records_dir, tmp_path):
    header, rows, path = small_copy(records_dir, INTENT, tmp_path)
    lines = [",".join(r) for r in [header, *rows]]
    lines.insert(3, "")  # a blank line 4, so records after it move down one line
    path.write_bytes(("\r\n".join(lines) + "\r\n\r\n").encode())
    loaded = load_records(path)
    assert sorted(set(loaded.frame["source_row"])) == [2, 3] + list(range(5, len(rows) + 3))
    codes = [r[0] for r in rows]
    assert list(loaded.wide("massive_intent", "accuracy")["source_code"]) == codes
