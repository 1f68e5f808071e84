"""benchmarks/records_scale.py runs, writes its RESULTS.md section, and a loaded file stays within 4x its size."""

import json
import subprocess
import sys

from conftest import REPO_ROOT


def test_records_scale_writes_its_section_and_memory_stays_within_4x(records_dir, tmp_path):
    markdown, raw = tmp_path / "RESULTS.md", tmp_path / "raw.json"
    markdown.write_text("# Benchmark results\n\nkept text\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "records_scale.py"), "--sizes", "5",
                          "--records", str(records_dir), "--markdown", str(markdown), "--json", str(raw)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    text = markdown.read_text(encoding="utf-8")
    assert "kept text" in text and "<!-- records-scale:start -->" in text and "<!-- records-scale:end -->" in text
    assert "| 5.0 MB |" in text and "peak RSS increase" in text
    (result,) = json.loads(raw.read_text(encoding="utf-8"))
    assert result["units"] > 4000 and result["long_rows"] == 42 * result["units"]
    assert 0 < result["peak_increase"] <= 4 * result["bytes"], result  # memory, not time: no timing is asserted
    assert not list(tmp_path.glob("*.csv"))  # the synthetic files live in a temporary folder, removed after
