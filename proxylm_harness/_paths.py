"""Every default path and environment variable of the plugin, defined once."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "PREDICTORS_ENV", "RECORDS_ENV", "REPO_ROOT", "SHIPPED_PREDICTORS", "TASKS_DIR", "cache_root",
           "default_lm_eval_results", "default_records", "fetched_records_dir", "predictors_dir", "trained_predictors_dir", "typology_cache_dir"]

#: Root of everything the plugin keeps between runs (default ``~/.cache/proxylm-harness``).
CACHE_ENV = "PROXYLM_HARNESS_CACHE"
#: ProxyLM record files (a file, a folder or several); default ``../shared/data/proxylm`` from the working directory.
RECORDS_ENV = "PROXYLM_RECORDS"
#: Folder of predictor folders that ``--predictor auto`` searches; default the shipped ``predictors/``.
PREDICTORS_ENV = "PROXYLM_PREDICTORS"

#: The checkout (or editable install) holding the package, its ``tasks/`` and ``predictors/``.
REPO_ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = REPO_ROOT / "tasks"
SHIPPED_PREDICTORS = REPO_ROOT / "predictors"


def cache_root() -> Path:
    root = os.environ.get(CACHE_ENV)
    return Path(root) if root else Path.home() / ".cache" / "proxylm-harness"


def typology_cache_dir() -> Path:
    return cache_root() / "typology"


def trained_predictors_dir() -> Path:
    """Where ``--predictor auto`` keeps the predictors it trained from the records."""
    return cache_root() / "predictors"


def fetched_records_dir() -> Path:
    """Where ``proxylm-harness records fetch`` puts ProxyLM's record files."""
    return cache_root() / "records" / "proxylm"


def default_records() -> str:
    """``$PROXYLM_RECORDS``; else ``../shared/data/proxylm`` where it exists; else the fetched record files."""
    configured = os.environ.get(RECORDS_ENV)
    if configured:
        return configured
    shared = os.path.join("..", "shared", "data", "proxylm")
    if os.path.isdir(shared) or not fetched_records_dir().is_dir():
        return shared
    return str(fetched_records_dir())


def default_lm_eval_results() -> str:
    """The lm-eval results files the completion benchmark reads: ``../shared/data/lm-eval-results``."""
    return os.path.join("..", "shared", "data", "lm-eval-results")


def predictors_dir() -> Path:
    """Where ``--predictor auto`` looks: ``$PROXYLM_PREDICTORS``, else the shipped ``predictors/``."""
    return Path(os.environ.get(PREDICTORS_ENV) or SHIPPED_PREDICTORS)
