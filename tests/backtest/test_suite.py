"""`proxylm-harness benchmark --quick`: every protocol on the headline cells, as JSON rows, a markdown table and a plot."""

from __future__ import annotations

import json
import math
import subprocess

import pytest
from conftest import console_script

from proxylm_harness.backtest.report import markdown_table, update_results_markdown
from proxylm_harness.backtest.references import reference_cells, reference_rmse

REQUIRED = {"dataset", "target", "metric", "protocol", "regressor", "rmse", "rmse_std", "mae", "spearman",
            "coverage", "reference_rmse"}


@pytest.fixture(scope="module")
def quick(records_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    results = folder / "RESULTS.md"
    results.write_text("# Results\n\nNotes above.\n\n<!-- benchmark-table:start -->\nold table\n<!-- benchmark-table:end -->\n\nNotes below.\n")
    run = subprocess.run([console_script("proxylm-harness"), "benchmark", "--records", str(records_dir), "--quick",
                          "--output", str(folder / "quick.json"), "--markdown", str(results),
                          "--plot", str(folder / "quick.png"), "--no-progress"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return folder, json.loads((folder / "quick.json").read_text())


def test_rows_have_the_documented_keys_for_every_cell(quick):
    _, rows = quick
    cells = [r for r in rows if r["protocol"] != "typology_agreement"]
    assert all(REQUIRED <= set(r) for r in rows)
    protocols = {r["protocol"] for r in cells}
    assert protocols == {"random", "grouped", "lolo", "unseen", "unseen_reverse", "cross_dataset", "incremental"}
    assert {r["dataset"] for r in cells} == {"mt560", "nusa", "massive_intent"}
    assert {r["metric"] for r in cells} == {"spBLEU", "comet", "accuracy"}  # --quick keeps the headline metrics
    for r in cells:
        assert r["rmse"] > 0 and math.isfinite(r["rmse"]) and 0.0 <= r["coverage"] <= 1.0
        assert r["reference_rmse"] == reference_rmse(r["dataset"], r["target"], r["metric"], r["protocol"], r["portion"])


def test_headline_cells_are_near_or_below_proxylm(quick):
    """A regression guard on the quick run (seed 42 only): the full suite's figures are in benchmarks/RESULTS.md."""
    _, rows = quick
    by_cell = {(r["dataset"], r["target"], r["metric"], r["protocol"]): r for r in rows if r["portion"] is None}
    for cell in [("mt560", "m2m100", "spBLEU", "random"), ("mt560", "m2m100", "comet", "random"),
                 ("massive_intent", "aya", "accuracy", "random"), ("mt560", "m2m100", "spBLEU", "cross_dataset")]:
        row = by_cell[cell]
        assert row["rmse"] < 1.1 * row["reference_rmse"], (cell, row["rmse"], row["reference_rmse"])


def test_typology_agreement_rows_cover_the_six_distances(quick):
    _, rows = quick
    agreement = [r for r in rows if r["protocol"] == "typology_agreement"]
    assert {r["distance"] for r in agreement} == {"genetic", "geographic", "syntactic", "inventory",
                                                  "phonological", "featural"}
    mt = {r["distance"]: r for r in agreement if r["dataset"] == "mt560"}
    assert mt["genetic"]["spearman"] > 0.9 and mt["genetic"]["n_pairs"] == 50


def test_markdown_section_is_replaced_and_the_rest_kept(quick):
    folder, rows = quick
    text = (folder / "RESULTS.md").read_text()
    assert text.startswith("# Results\n\nNotes above.") and text.rstrip().endswith("Notes below.")
    assert "old table" not in text and "| mt560 | m2m100 | spBLEU | random | xgb |" in text
    assert "Produced by `proxylm-harness benchmark" in text
    assert (folder / "quick.png").stat().st_size > 5000
    update_results_markdown(folder / "new.md", rows, "cmd")
    assert markdown_table(rows) in (folder / "new.md").read_text()


def test_references_are_upstreams_published_figures():
    assert reference_rmse("mt560", "m2m100", "spBLEU", "random") == 3.2052
    assert reference_rmse("massive_intent", "aya", "accuracy", "lolo") == 11.1158
    assert reference_rmse("mt560", "nllb", "spBLEU", "incremental", 0.05) == 6.8253
    assert reference_rmse("nusa", "m2m100", "comet", "random") is None
    assert len(reference_cells()) == 24 + 16
