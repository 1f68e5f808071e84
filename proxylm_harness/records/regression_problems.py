"""Regression problems: the rows, features and target of one (dataset, target model, metric), as ProxyLM set them up.

A :class:`Problem` is what every protocol splits and every predictor fits. What differs between the
record datasets (row filters, stratification, the identity of a fine-tuning run, the hub language)
is data in ``DATASETS``, not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .._registry import did_you_mean
from ..families import get_family
from ..features.builders import build_features, default_spec, target_values
from ..features.spec import FeatureSpec
from ..languages.codes import normalize
from .layouts import LAYOUTS
from .table import Records

__all__ = ["DATASETS", "DatasetSetup", "Problem", "ProblemError", "make_problem", "problem_keys"]

# ProxyLM scored COMET on MT560 only for pairs that involve one of these languages (mt/utils.py).
_COMET_LANGUAGES = (
    "afr amh hye bel mya kat guj hau ind jav kan kaz khm kir plt mar pan snd sin som tam cym xho deu zho "
    "fra kor rus vie"
).split()
# Languages of MT560 that M2M100 (and so SMaLL-100) did not see in pre-training (ProxyLM's list, filtered
# to the languages the MT560 records hold).
M2M100_UNSEEN = tuple("dik ewe fao hne kin kir lmo mri sna tat tuk".split())


class ProblemError(ValueError):
    """A (dataset, target, metric) that the records cannot make into a regression problem."""


@dataclass(frozen=True)
class DatasetSetup:
    """How ProxyLM treated one record dataset.

    ``stratify`` names what the random 70/30 split is stratified on (``same_domain``:
    ``train_dataset == test_dataset``; else a column). ``run_columns`` identify one fine-tuning run
    (one fine-tuned model, possibly scored on several test sets). ``hub`` is a language on one side of
    every row (it is never left out). ``metric_languages`` restricts a metric to rows with one of the
    listed languages on either side.
    """

    stratify: str
    run_columns: tuple
    hub: str | None = None
    metric_languages: dict = field(default_factory=dict)


DATASETS = {
    "mt560": DatasetSetup(
        stratify="same_domain",
        run_columns=("source_lang", "target_lang", "train_dataset", "dataset_size"),
        hub="eng",
        metric_languages={"comet": _COMET_LANGUAGES},
    ),
    "nusa": DatasetSetup(
        stratify="source_lang", run_columns=("source_lang", "target_lang", "train_dataset", "dataset_size")
    ),
    # A MASSIVE fine-tuning run is one model tuned on the source language, scored on every test language.
    "massive_intent": DatasetSetup(stratify="source_lang", run_columns=("source_lang",)),
    "massive_slot": DatasetSetup(stratify="source_lang", run_columns=("source_lang",)),
}


@dataclass(frozen=True)
class Problem:
    """One regression problem: ``rows`` (from ``Records.wide``), their features ``X`` and target ``y``.

    ``target`` is a model name (``m2m100``); the estimated column is ``spec.target`` (``m2m100_ft``).
    """

    dataset: str
    target: str
    metric: str
    rows: pd.DataFrame
    spec: FeatureSpec

    @property
    def setup(self) -> DatasetSetup:
        return DATASETS[self.dataset]

    @property
    def task_family(self) -> str:
        return self.spec.task_family

    @cached_property
    def X(self) -> pd.DataFrame:
        return build_features(self.rows, self.spec)

    @cached_property
    def y(self) -> np.ndarray:
        return target_values(self.rows, self.spec)

    def __len__(self) -> int:
        return len(self.rows)

    def strata(self) -> np.ndarray:
        if self.setup.stratify == "same_domain":
            return (self.rows["train_dataset"] == self.rows["test_dataset"]).to_numpy()
        return self.rows[self.setup.stratify].astype(str).to_numpy()

    def runs(self) -> np.ndarray:
        """One label per row naming its fine-tuning run."""
        parts = [self.rows[c].astype(str) for c in self.setup.run_columns]
        label = parts[0]
        for part in parts[1:]:
            label = label + "|" + part
        return label.to_numpy()

    def languages(self) -> list[str]:
        """Languages of the rows (sorted), without the hub language: the languages lolo leaves out."""
        found = set(self.rows["source_lang"]) | set(self.rows["target_lang"])
        found.discard(self.setup.hub)
        return sorted(found)

    def language_pairs(self) -> np.ndarray:
        """``(n, 2)`` array of (source, target) with the hub language replaced by the other side.

        Language-out cross-validation folds (``intervals.cv_splits``) read this: a fold that held out the
        hub would leave no training rows.
        """
        pairs = self.rows[["source_lang", "target_lang"]].to_numpy(dtype=object).copy()
        hub = self.setup.hub
        if hub is not None:
            pairs[pairs[:, 0] == hub, 0] = pairs[pairs[:, 0] == hub, 1]
            pairs[pairs[:, 1] == hub, 1] = pairs[pairs[:, 1] == hub, 0]
        return pairs

    def with_rows(self, rows: pd.DataFrame, spec: FeatureSpec | None = None) -> "Problem":
        return Problem(self.dataset, self.target, self.metric, rows.reset_index(drop=True), spec or self.spec)


def _targets_of(records: Records, dataset: str, metric: str) -> list[str]:
    family = LAYOUTS[dataset].task_family
    proxies = set(get_family(family).records_proxies)
    return [m for m, s in records.models(dataset, metric) if s == "ft" and f"{m}_ft" not in proxies]


def problem_keys(records: Records) -> list[tuple[str, str, str]]:
    """Every (dataset, target, metric) the records hold, in file order."""
    keys = []
    for dataset in records.datasets():
        if dataset not in DATASETS:
            continue
        for metric in records.metrics(dataset):
            keys.extend((dataset, target, metric) for target in _targets_of(records, dataset, metric))
    return keys


def make_problem(records: Records, dataset: str, target: str, metric: str, **spec_options) -> Problem:
    """The problem for ``target`` on ``dataset`` in ``metric``, with ProxyLM's rows and "all features" inputs.

    ``spec_options`` go to :func:`proxylm_harness.features.default_spec` (``collaborative``,
    ``contrasts``, ``typology_source``, ``proxies``, ``target_setting``, ``dataset_features``, ``keys``).
    With a zero-shot target (``target_setting="noft"``) duplicate rows of one scored test set are dropped.
    """
    if dataset not in records.datasets():
        raise ProblemError(f"No records for dataset {dataset!r}. Known: {records.datasets()}.")
    metrics = records.metrics(dataset)
    if metric not in metrics:
        raise ProblemError(f"No {metric!r} scores for dataset {dataset!r}.{did_you_mean(metric, metrics)} "
                           f"Known: {metrics}.")
    targets = _targets_of(records, dataset, metric)
    if target not in targets:
        raise ProblemError(f"No target model {target!r} in the {dataset!r} records.{did_you_mean(target, targets)} "
                           f"Known targets: {targets}.")
    setup = DATASETS[dataset]
    rows = records.wide(dataset, metric)
    keep = setup.metric_languages.get(metric)
    if keep is not None:
        wanted = {normalize(code) for code in keep}
        rows = rows[rows["source_lang"].isin(wanted) | rows["target_lang"].isin(wanted)]
    setting = spec_options.get("target_setting", "ft")
    column = f"{target}_{setting}"
    if column not in rows.columns:
        raise ProblemError(f"No {setting!r} scores of {target!r} in the {dataset!r} records (no column {column!r}).")
    rows = rows[rows[column].notna()]
    if setting != "ft":
        # A zero-shot score does not depend on the fine-tuning run: keep one row per scored test set.
        rows = rows.drop_duplicates([c for c in ("source_lang", "target_lang", "test_dataset") if c in rows.columns])
    rows = rows.reset_index(drop=True)
    spec = default_spec(rows, LAYOUTS[dataset].task_family, target, metric, **spec_options)
    return Problem(dataset, target, metric, rows, spec)
