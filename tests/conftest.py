"""Shared fixtures: where the ProxyLM record files live (../shared beside the clone)."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RECORDS_DIR = Path(os.environ.get("PROXYLM_RECORDS", REPO_ROOT.parent / "shared" / "data" / "proxylm"))
#: The 70 lm-eval results files (0.3-era format) of 14 models that the records store and completion are tested on.
LMEVAL_RESULTS_DIR = REPO_ROOT.parent / "shared" / "data" / "lm-eval-results"


@pytest.fixture(scope="session")
def records_dir() -> Path:
    if not (RECORDS_DIR / "mt560_experiments.csv").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"ProxyLM record files not found in {RECORDS_DIR}; CI needs ../shared beside the clone")
        pytest.skip(f"ProxyLM record files not found in {RECORDS_DIR}; set PROXYLM_RECORDS")
    return RECORDS_DIR


@pytest.fixture(scope="session")
def lm_eval_results_dir() -> Path:
    if not (LMEVAL_RESULTS_DIR / "bloom").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"lm-eval results files not found in {LMEVAL_RESULTS_DIR}; CI needs ../shared beside the clone")
        pytest.skip(f"lm-eval results files not found in {LMEVAL_RESULTS_DIR}")
    return LMEVAL_RESULTS_DIR


def console_script(name: str) -> str:
    """Path of an installed console script of this environment (works without an activated venv)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"console script {name!r} is not installed; run `pip install -e .` first")
    return found


@pytest.fixture
def read_only(tmp_path):
    """``read_only(path)`` takes write permission away (restored after the test, so tmp_path can be removed)."""
    changed = []

    def make(path):
        path.chmod(0o555 if path.is_dir() else 0o444)
        changed.append(path)
        return path

    yield make
    for path in changed:
        path.chmod(0o755 if path.is_dir() else 0o644)
