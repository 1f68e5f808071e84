"""Predictor artifacts: a folder holding a JSON manifest, the fitted predictor in safe formats and a short card.

``save_artifact`` writes the folder atomically (a temporary folder renamed into place); ``load_artifact``
checks the format version and every file's SHA-256 before it reads anything. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import UnlistedFileError, fix_mode, only_reading, sha256_file
from ..features.builders import build_features, unknown_typology
from ..features.spec import FeatureError, FeatureSpec
from . import metrics
from .predictor import ProxyPredictor

__all__ = ["ArtifactError", "FORMAT", "FORMAT_VERSION", "PredictorArtifact", "load_artifact", "save_artifact"]

FORMAT = "proxylm-harness-predictor"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CARD = "CARD.md"
MODEL_DIR = "model"


class ArtifactError(ValueError):
    """A predictor folder that cannot be written or read; the message names the folder or file."""


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("proxylm-harness", "xgboost-cpu", "xgboost", "lightgbm", "scikit-learn", "numpy", "pandas", "urielplus"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class PredictorArtifact:
    """A loaded (or just saved) predictor folder: its manifest, feature spec and fitted predictor."""

    directory: Path
    manifest: dict
    spec: FeatureSpec
    predictor: ProxyPredictor

    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def task_family(self) -> str:
        return self.spec.task_family

    @property
    def metric(self) -> str:
        return self.spec.metric

    @property
    def target(self) -> str:
        return self.manifest["target"]["model"]

    def features(self, rows: pd.DataFrame, *, typology=None) -> pd.DataFrame:
        """The feature matrix of ``rows`` under this predictor's spec (the training code path)."""
        return build_features(rows, self.spec, typology=typology)

    def estimate(self, rows: pd.DataFrame, *, coverage: float | None = None, typology=None) -> pd.DataFrame:
        """Estimates for ``rows``: columns ``estimate``, ``lower``, ``upper``, ``coverage``, ``out_of_range``.

        Estimates and bounds are clipped to the metric's range. ``out_of_range`` lists, per row, the inputs
        outside the range the predictor was trained on (``name=value``, ``;``-separated; such an estimate is an
        extrapolation) and the URIEL+ distances unknown for the row's languages (``name=unknown``: the interval
        does not account for them).
        """
        X = self.features(rows, typology=typology)
        estimate, lower, upper = self.predictor.predict_with_interval(X, coverage)
        low, high = self.metric_range
        flags = [[] for _ in range(len(X))]
        for row, name, value in self.predictor.out_of_range(X):
            flags[row].append(f"{name}={value:g}")
        for row, kinds in enumerate(unknown_typology(X, self.spec)):
            flags[row].extend(f"{kind}=unknown" for kind in kinds)
        return pd.DataFrame({
            "estimate": np.clip(estimate, low, high),
            "lower": np.maximum(lower, low),
            "upper": np.minimum(upper, high),
            "coverage": self.predictor.coverage if coverage is None else coverage,
            "out_of_range": [";".join(f) for f in flags],
        }, index=rows.index)

    @property
    def metric_range(self) -> tuple[float, float]:
        """The range of the estimated scores (the family's metric range, on the records' scale)."""
        from ..families import FAMILIES

        if self.task_family not in FAMILIES:
            return -np.inf, np.inf
        family = FAMILIES.get(self.task_family)
        return family.metric_range[0] * family.scale, family.metric_range[1] * family.scale


_INTERVAL_NAMES = {"cv": "estimate ± out-of-fold error quantile (K-fold CV)", "cv+": "CV+"}


#: The card's last line names the manifest's SHA-256, so an edited manifest is caught unless the card is edited too.
_CARD_DIGEST = "Manifest SHA-256:"


def _card(manifest: dict, manifest_sha256: str) -> str:
    v, i, t = manifest["validation"], manifest["interval"], manifest["training_data"]
    spec = manifest["feature_spec"]
    lines = [
        f"# Predictor `{manifest['id']}`",
        "",
        f"Estimates **{manifest['target']['model']}** ({manifest['target']['column']}) in **{manifest['metric']}** "
        f"on the **{manifest['task_family']}** task family, from proxy scores and language/dataset features.",
        "",
        f"- Trained on {t['rows']} rows of {', '.join(t['datasets'])} (records SHA-256 `{t['records_sha256'][:16]}...`).",
        f"- Proxies: {', '.join(spec['proxies'])}.",
        f"- Features: {len(spec['dataset_features'])} dataset, {len(spec['typology'])} URIEL "
        f"({spec['typology_source']}), {len(spec['contrasts'])} proxy contrasts, collaborative keys "
        f"{', '.join(spec['keys']) or 'none'}.",
        f"- Cross-validated error ({v['calibration']} folds, k={v['folds']}): RMSE {v['rmse']:.4g}, "
        f"MAE {v['mae']:.4g}, Spearman {v['spearman']:.3f}.",
        f"- Intervals: {_INTERVAL_NAMES.get(i['method'], i['method'])} at {i['coverage']:.0%}, calibrated on "
        f"{i['n_residuals']} out-of-fold residuals "
        f"({i['calibration']} folds); out-of-fold coverage {v['coverage']:.3f}.",
        f"- Regressor: `{manifest['predictor']['params']['regressor']}`. Made by proxylm-harness "
        f"{manifest['versions'].get('proxylm-harness', '?')} on {manifest['created'][:10]}.",
        "",
        "Load it with `proxylm_harness.estimators.load_artifact(folder)`, or "
        "`proxylm-harness predict --predictor FOLDER --input rows.csv`.",
        "",
        f"{_CARD_DIGEST} `{manifest_sha256}`",
        "",
    ]
    return "\n".join(lines)


def save_artifact(predictor: ProxyPredictor, spec: FeatureSpec, directory, *, dataset: str, target: str,
                  records_sha256: str, validation: dict, provenance: dict, calibration: str,
                  overwrite: bool = False) -> PredictorArtifact:
    """Write a fitted predictor and its manifest into ``directory``.

    The folder appears complete or not at all: everything is written into a temporary folder beside it,
    which is renamed into place. An existing folder is replaced only with ``overwrite=True``.
    """
    directory = Path(directory)
    if directory.exists() and not overwrite:
        raise ArtifactError(f"{directory} already exists. Hint: choose another --out folder or pass --overwrite.")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        files = [f"{MODEL_DIR}/{name}" for name in predictor.save(staging / MODEL_DIR)]
        numeric = [c for c in predictor.feature_names_in_ if not str(c).startswith("key:")]
        digest = hashlib.sha256(json.dumps([spec.to_dict(), records_sha256], sort_keys=True).encode()).hexdigest()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "id": f"{dataset}-{target}-{spec.metric}-{digest[:8]}",
            "target": {"model": target, "column": spec.target},
            "task_family": spec.task_family,
            "metric": spec.metric,
            "feature_spec": spec.to_dict(),
            "proxies": provenance,
            "training_data": {"datasets": [dataset], "rows": int(len(predictor.residuals_)),
                              "records_sha256": records_sha256},
            "predictor": {"class": type(predictor).__name__, "params": predictor.get_params(),
                          "reference": predictor.reference_},
            "validation": {"calibration": calibration, "folds": len(predictor.fold_models_), **validation},
            "interval": {"method": predictor.interval, "coverage": float(predictor.coverage), "calibration": calibration,
                         "n_residuals": int(len(predictor.residuals_))},
            "feature_ranges": {str(c): [float(lo), float(hi)] for c, lo, hi in
                               zip(numeric, predictor.feature_min_, predictor.feature_max_)},
            "versions": _versions(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": {name: sha256_file(staging / name) for name in sorted(files)},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                        encoding="utf-8")
        (staging / CARD).write_text(_card(manifest, sha256_file(staging / MANIFEST)), encoding="utf-8")
        fix_mode(staging)
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PredictorArtifact(directory, manifest, spec, predictor)


def load_artifact(directory) -> PredictorArtifact:
    """Read a predictor folder, refusing one that is incomplete, tampered with, or of another format version."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"No predictor folder at {directory}. Hint: train one with `proxylm-harness train ... --out {directory}`.")
    path = directory / MANIFEST
    if not path.is_file():
        raise ArtifactError(f"{directory} has no {MANIFEST}: it is not a predictor folder, or it was written partially. "
                            "Hint: train it again with `proxylm-harness train`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{path} is not readable JSON ({error}). Hint: train the predictor again.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(f"{path} is not a proxylm-harness predictor manifest (format {manifest.get('format')!r}, "
                            f"expected {FORMAT!r})." if isinstance(manifest, dict) else f"{path} is not a manifest.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        made_by = manifest.get("versions", {}).get("proxylm-harness", "an unknown version")
        raise ArtifactError(
            f"{directory} holds predictor format version {version!r} (made by proxylm-harness {made_by}); this "
            f"proxylm-harness reads format version {FORMAT_VERSION}. Hint: retrain it with `proxylm-harness train`, "
            "or use the proxylm-harness version that made it."
        )
    _check_card(directory, path)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ArtifactError(f"{path} lists no model files. Hint: train the predictor again.")
    for name, expected in sorted(files.items()):
        file = directory / name
        if not file.is_file():
            raise ArtifactError(f"{directory}: the file {name} listed in {MANIFEST} is missing. "
                                "Hint: copy the whole folder, or train the predictor again.")
        if sha256_file(file) != expected:
            raise ArtifactError(f"{directory}: {name} does not match the SHA-256 in {MANIFEST}; it was modified "
                                "after training. Hint: restore the original file or train the predictor again.")
    try:
        spec = FeatureSpec.from_dict(manifest["feature_spec"])
        with only_reading(directory / name for name in files):  # what the manifest vouches for, nothing else
            predictor = ProxyPredictor.load(directory / MODEL_DIR)
    except UnlistedFileError as error:
        raise ArtifactError(f"{directory}: the predictor would read {error.path.relative_to(directory)}, "
                            f"which {MANIFEST} does not list with its SHA-256; a file was added or its entry removed. "
                            "Hint: restore the folder as it was saved, or train the predictor again.") from None
    except (KeyError, TypeError, ValueError, FeatureError) as error:
        raise ArtifactError(f"{directory}: cannot rebuild the predictor ({error}).") from error
    if list(predictor.feature_names_in_) != spec.columns:
        raise ArtifactError(f"{directory}: the model's inputs {list(predictor.feature_names_in_)} differ from the "
                            f"manifest's feature spec {spec.columns}.")
    return PredictorArtifact(directory, manifest, spec, predictor)


def _check_card(directory: Path, manifest_path: Path) -> None:
    """The card names the manifest's SHA-256; a manifest edited after saving is refused. A card of the first
    predictor folders, which names none, is accepted with a warning."""
    import warnings

    card = directory / CARD
    text = card.read_text(encoding="utf-8", errors="replace") if card.is_file() else ""
    named = [line.split("`")[1] for line in text.splitlines() if line.startswith(_CARD_DIGEST) and line.count("`") >= 2]
    if not named:
        warnings.warn(f"{directory}: {CARD} names no SHA-256 of {MANIFEST}, so an edit of the manifest cannot be "
                      "detected. Hint: train the predictor again to protect it.", stacklevel=3)
        return
    if named[-1] != sha256_file(manifest_path):
        raise ArtifactError(f"{directory}: {MANIFEST} does not match the SHA-256 that {CARD} names; the manifest was "
                            "edited after training. Hint: restore the original manifest or train the predictor again.")


def validation_summary(predictor: ProxyPredictor, y) -> dict:
    """Cross-validated errors of a fitted predictor, for its manifest.

    Point errors compare the out-of-fold estimates with ``y``. Interval coverage is checked fold by
    fold: each fold's rows get the split-conformal interval calibrated on the *other* folds' residuals,
    so no row judges an interval it helped to calibrate.
    """
    y = np.asarray(y, dtype=float)
    oof, residuals, fold_of = predictor.oof_, predictor.residuals_, predictor.fold_of_
    scores = metrics.score_estimates(y, oof)
    covered, widths = [], []
    alpha = 1.0 - predictor.coverage
    for fold in np.unique(fold_of):
        inside, outside = fold_of == fold, residuals[fold_of != fold]
        rank = int(np.ceil((1 - alpha) * (len(outside) + 1) - 1e-9))
        q = np.inf if rank > len(outside) else np.sort(outside)[rank - 1]
        covered.append(residuals[inside] <= q)
        widths.append(np.full(inside.sum(), 2 * q))
    out = {k: float(scores[k]) for k in ("rmse", "mae", "spearman", "kendall")}
    out["coverage"] = float(np.concatenate(covered).mean())
    out["width"] = float(np.concatenate(widths).mean())
    return out
