"""Score a predictor under a protocol: fit on each split's training part, predict its test sets, summarise.

``evaluate_split`` does one fit; ``summarize`` turns the outcomes of one protocol's splits into the
figures the benchmark reports (RMSE headline, MAE, rank correlations, interval coverage and width).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..estimators import metrics
from ..estimators.folds import calibration_groups
from ..estimators.predictor import ProxyPredictor
from ..records.regression_problems import Problem
from .protocols import Split

__all__ = ["Outcome", "evaluate_split", "summarize"]


@dataclass
class Outcome:
    """Predictions of one split on each of its test sets: ``{name: (y, estimate, lower, upper, extrapolated)}``.

    ``extrapolated`` marks test rows with an input outside the training range (the predictor warns on those).
    """

    split: Split
    tests: dict
    fit_seconds: float = float("nan")


def evaluate_split(problem: Problem, split: Split, predictor_params: dict | None = None,
                   test_problem: Problem | None = None) -> Outcome:
    """Fit a ``ProxyPredictor(**predictor_params)`` on ``split.train`` and predict every test set."""
    import time

    spec = problem.spec.without(*split.drop_features) if split.drop_features else problem.spec
    X = problem.X.loc[:, spec.columns]
    params = {"random_state": split.seed, **(predictor_params or {})}
    predictor = ProxyPredictor(**params)
    started = time.perf_counter()
    groups = calibration_groups(problem, split.calibration, split.train)
    predictor.fit(X.iloc[split.train], problem.y[split.train], groups=groups)
    seconds = time.perf_counter() - started
    if split.test_dataset is not None:
        if test_problem is None:
            raise ValueError(f"Split {split.label!r} tests on dataset {split.test_dataset!r}; pass its problem.")
        target = test_problem.with_rows(test_problem.rows, spec)
        X_test, y_test = target.X, target.y
        tests = {name: np.arange(len(target)) if rows is None else rows for name, rows in split.tests.items()}
    else:
        X_test, y_test, tests = X, problem.y, split.tests
    out = {}
    for name, rows in tests.items():
        Xt = X_test.iloc[rows]
        estimate, lower, upper = predictor.predict_with_interval(Xt)
        extrapolated = np.zeros(len(rows), dtype=bool)
        extrapolated[[row for row, _, _ in predictor.out_of_range(Xt)]] = True
        out[name] = (y_test[rows], estimate, lower, upper, extrapolated)
    return Outcome(split, out, seconds)


def _mean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def _std(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.std(ddof=1)) if len(values) > 1 else float("nan")


def summarize(outcomes: list[Outcome]) -> dict:
    """Figures of one protocol cell.

    Per test set (a seed's 30% for random, one side of one language for lolo, ...) RMSE, MAE and rank
    correlations are computed; the cell's figure is their mean over test sets (as ProxyLM averages
    over seeds and over languages and sides) and ``*_std`` their standard deviation. Coverage and
    width pool every test prediction of the cell; ``extrapolated`` is the share of test rows with an input
    outside the training range (where intervals are least to be trusted).
    """
    per_test, names = [], []
    y_all, lower_all, upper_all, far_all = [], [], [], []
    for outcome in outcomes:
        for name, (y, estimate, lower, upper, extrapolated) in outcome.tests.items():
            per_test.append(metrics.score_estimates(y, estimate))
            names.append(f"{outcome.split.group or outcome.split.label}:{name}")
            y_all.append(y)
            lower_all.append(lower)
            upper_all.append(upper)
            far_all.append(extrapolated)
    if not per_test:
        raise ValueError("Nothing to summarise: the protocol produced no test sets.")
    y_all, lower_all, upper_all, far_all = (np.concatenate(a) for a in (y_all, lower_all, upper_all, far_all))
    return {
        "rmse": _mean([s["rmse"] for s in per_test]),
        "rmse_std": _std([s["rmse"] for s in per_test]),
        "mae": _mean([s["mae"] for s in per_test]),
        "spearman": _mean([s["spearman"] for s in per_test]),
        "kendall": _mean([s["kendall"] for s in per_test]),
        "coverage": metrics.coverage(y_all, lower_all, upper_all),
        "width": metrics.mean_width(lower_all, upper_all),
        "extrapolated": float(far_all.mean()),
        "n_test_sets": len(per_test),
        "n_test_points": int(len(y_all)),
        "fit_seconds": _mean([o.fit_seconds for o in outcomes]),
        "per_test_rmse": {name: s["rmse"] for name, s in zip(names, per_test)},
    }
