"""Evaluation protocols: how a problem's rows are split into training and test parts, with ProxyLM's definitions.

Each protocol is a function ``fn(problem, seeds, datasets) -> list[Split]`` registered with
``@register_protocol(name)``; ``datasets`` names the record datasets available (cross-dataset needs
its test dataset). An empty list means the protocol does not apply to that problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .._registry import Registry
from ..languages.codes import normalize

if TYPE_CHECKING:  # the protocols' names are needed (by the command line) before the records are
    from ..records.regression_problems import Problem

__all__ = [
    "DEFAULT_SEEDS",
    "INCREMENTAL_PORTIONS",
    "PROTOCOLS",
    "Split",
    "get_protocol",
    "protocol_names",
    "register_protocol",
]

DEFAULT_SEEDS = (42, 43, 44, 45, 46)
TEST_SIZE = 0.3
INCREMENTAL_PORTIONS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 0.9, 1.0)


@dataclass(frozen=True)
class Split:
    """One fit of a predictor and the test sets it is scored on.

    ``train`` are row positions in the problem; ``tests`` maps a test-set name to row positions in
    the problem, or, when ``test_dataset`` is set, in that dataset's problem for the same target and
    metric. ``calibration`` says how the predictor's CV+ folds are drawn: ``rows`` (K-fold),
    ``runs`` (whole fine-tuning runs held out) or ``languages`` (whole languages held out), so that
    the interval is honest about what the test rows have that the training rows lack.
    ``drop_features`` are features the predictor must not use (absent from the test dataset).
    """

    protocol: str
    label: str
    train: np.ndarray
    tests: dict
    calibration: str = "rows"
    seed: int = DEFAULT_SEEDS[0]
    portion: float | None = None
    group: str | None = None
    test_dataset: str | None = None
    drop_features: tuple = field(default=())


#: Protocols by name: ``fn(problem, seeds, datasets) -> list[Split]``.
PROTOCOLS = Registry("protocol")


def register_protocol(name: str):
    """Decorator: make ``fn(problem, seeds, datasets) -> list[Split]`` available as protocol ``name``."""
    return PROTOCOLS.register(name)


def protocol_names() -> list[str]:
    return PROTOCOLS.names()


def get_protocol(name: str):
    return PROTOCOLS.get(name)


def _random_split(problem: Problem, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """ProxyLM's 70/30 split: ``train_test_split(test_size=0.3, random_state=seed, stratify=...)``."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(problem))
    train, test = train_test_split(positions, test_size=TEST_SIZE, random_state=seed, stratify=problem.strata())
    return train, test


@register_protocol("random")
def random_protocol(problem: Problem, seeds: Sequence[int], datasets=()) -> list[Split]:
    """70/30 split per seed, stratified as upstream (MT560: same domain or not; others: source language)."""
    out = []
    for seed in seeds:
        train, test = _random_split(problem, seed)
        out.append(Split("random", f"seed={seed}", train, {"test": test}, "rows", seed))
    return out


@register_protocol("grouped")
def grouped_protocol(problem: Problem, seeds: Sequence[int], datasets=()) -> list[Split]:
    """Like random, but whole fine-tuning runs go to one side: no run is scored on both sides."""
    from sklearn.model_selection import GroupShuffleSplit

    runs = problem.runs()
    out = []
    for seed in seeds:
        splitter = GroupShuffleSplit(n_splits=1, test_size=TEST_SIZE, random_state=seed)
        train, test = next(splitter.split(np.zeros(len(runs)), groups=runs))
        out.append(Split("grouped", f"seed={seed}", train, {"test": test}, "runs", seed))
    return out


@register_protocol("lolo")
def lolo_protocol(problem: Problem, seeds: Sequence[int], datasets=(), languages=None) -> list[Split]:
    """Leave one language out: train on rows with L on neither side, test on source = L and target = L."""
    source = problem.rows["source_lang"].to_numpy()
    target = problem.rows["target_lang"].to_numpy()
    out = []
    for language in languages if languages is not None else problem.languages():
        train = np.flatnonzero((source != language) & (target != language))
        tests = {"source": np.flatnonzero(source == language), "target": np.flatnonzero(target == language)}
        tests = {name: rows for name, rows in tests.items() if len(rows)}
        if tests and len(train):
            out.append(Split("lolo", f"lang={language}", train, tests, "languages", seeds[0], group=language))
    return out


def _unseen_splits(problem, seeds, protocol, test_unseen: bool) -> list[Split]:
    from ..records.regression_problems import M2M100_UNSEEN

    unseen = {normalize(code) for code in M2M100_UNSEEN}
    present = problem.languages()
    held = [lang for lang in present if (lang in unseen) == test_unseen]
    # Needs test languages, and at least two training languages to calibrate language-out intervals.
    if problem.dataset != "mt560" or not held or len(present) - len(held) < 2:
        return []
    source = problem.rows["source_lang"].to_numpy()
    target = problem.rows["target_lang"].to_numpy()
    train = np.flatnonzero(~(np.isin(source, held) | np.isin(target, held)))
    tests = {}
    for language in held:
        for side, column in (("source", source), ("target", target)):
            rows = np.flatnonzero(column == language)
            if len(rows):
                tests[f"{side}:{language}"] = rows
    label = "test=unseen" if test_unseen else "test=seen"
    return [Split(protocol, label, train, tests, "languages", seeds[0])]


@register_protocol("unseen")
def unseen_protocol(problem: Problem, seeds: Sequence[int], datasets=()) -> list[Split]:
    """MT560: train on languages M2M100 saw in pre-training, test per language it did not see (each side)."""
    return _unseen_splits(problem, seeds, "unseen", test_unseen=True)


@register_protocol("unseen_reverse")
def unseen_reverse_protocol(problem: Problem, seeds: Sequence[int], datasets=()) -> list[Split]:
    """MT560: train on the languages M2M100 did not see, test per language it saw (each side)."""
    return _unseen_splits(problem, seeds, "unseen_reverse", test_unseen=False)


@register_protocol("cross_dataset")
def cross_dataset_protocol(problem: Problem, seeds: Sequence[int], datasets=()) -> list[Split]:
    """Train on all of MT560, test on all of NusaTranslation (``eng_target`` dropped, as upstream)."""
    if problem.dataset != "mt560" or "nusa" not in datasets:
        return []
    return [Split("cross_dataset", "mt560->nusa", np.arange(len(problem)), {"test": None}, "languages", seeds[0],
                  test_dataset="nusa", drop_features=("eng_target",))]


@register_protocol("incremental")
def incremental_protocol(problem: Problem, seeds: Sequence[int], datasets=(),
                         portions: Sequence[float] = INCREMENTAL_PORTIONS) -> list[Split]:
    """Random split per seed, then the training part subsampled (stratified as the split) to each portion."""
    from sklearn.model_selection import train_test_split

    strata = problem.strata()
    out = []
    for portion in portions:
        for seed in seeds:
            train, test = _random_split(problem, seed)
            if portion < 1.0:
                _, train = train_test_split(train, test_size=portion, random_state=seed, stratify=strata[train])
            out.append(Split("incremental", f"portion={portion:g} seed={seed}", train, {"test": test},
                             "rows", seed, portion=portion, group=f"{portion:g}"))
    return out
