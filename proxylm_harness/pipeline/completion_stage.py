"""Completion inside proxylm-eval: a family's cells filled from the records store (the target's known scores count as
measured; the rest estimated from the other models', the proxies' and the target's own scores), and the cells
``--measure`` runs chosen where they teach the estimator most."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..lm_eval_bridge.model_runs import store_name
from ..lm_eval_bridge.proxies import parse_proxies
from .request import EstimationError

__all__ = ["CompletionSource", "FittedCompletion", "better_of"]


@dataclass
class CompletionSource:
    """The records store seen from one family of one run: its models x cells matrix over the family's tasks (metric,
    n-shot; lm-eval runs only), with this run's proxy scores (``runs``) laid over it, so that a read-only store or
    one the runner does not write still sees them."""

    store: object
    plan: object
    family_plan: object
    runs: dict = field(default_factory=dict)
    _factors: pd.DataFrame | None = field(default=None, repr=False)
    _stored: object = field(default=None, repr=False)

    @property
    def target(self) -> str:
        return store_name(parse_proxies(f"target={self.plan.request.target}")[0])

    def matrix(self, *, measured: dict | None = None, hide_target: bool = False):
        """The family's matrix; ``measured`` ({task: score}) laid over the target's row, or its row dropped."""
        from ..records.store_views import RecordsMatrix, cell_label

        family, metric = self.family_plan.family, self.family_plan.family.lm_eval_metric
        n_shot = int(self.plan.settings.num_fewshot or 0)
        if self._stored is None:  # read once: this run's own scores reach the matrix through ``runs`` and ``measured``
            self._stored = self.store.matrix(tasks=list(self.family_plan.tasks), metric=metric, n_shot=n_shot,
                                             setting="")
        found = self._stored
        scores, cells = found.scores.copy(), found.cells
        tasks = set(self.family_plan.tasks)
        cells = cells[cells["task"].isin(tasks)]
        scores = scores.reindex(columns=cells.index)
        if hide_target:
            scores = scores.drop(index=self.target, errors="ignore")
        extra = {}
        for proxy in self.family_plan.proxies:
            extra[store_name(proxy)] = {t: self.runs[(proxy.name, t)]["value"] for t in self.family_plan.tasks
                                        if (proxy.name, t) in self.runs}
        if measured:
            extra[self.target] = dict(measured)
        new = []
        for name in self.family_plan.tasks:
            label = cell_label(name, metric, n_shot)
            if label not in cells.index:
                lang = self.plan.languages[name]
                new.append(pd.Series({"id": None, "task": name, "metric": metric, "n_shot": n_shot, "setting": "",
                                      "family": family.name, "dataset": lang.dataset, "source_lang": lang.source_lang,
                                      "target_lang": lang.target_lang, "features": {}}, name=label))
        if new:
            cells = pd.concat([cells, pd.DataFrame(new)])
            cells.index.name = "cell"
            scores = scores.reindex(columns=cells.index)
        for model, values in extra.items():
            for task, value in values.items():
                scores.loc[model, cell_label(task, metric, n_shot)] = float(value)
        scores = scores.dropna(how="all")
        factors = found.factors.reindex(scores.index)
        return RecordsMatrix(scores.sort_index(), cells, factors)

    def others(self, matrix) -> list[str]:
        return [m for m in matrix.scores.index if m != self.target]

    def factors(self) -> pd.DataFrame:
        """Size and family of the target and this run's proxies: the store's factors, else the plugin's known models,
        else counted from the config without loading weights (kept in the store), else read from the name."""
        if self._factors is not None:
            return self._factors
        from ..known_models import KNOWN_MODELS
        from ..lm_eval_bridge.model_size import count_parameters
        from ..records.model_factors import family_from_name, params_from_name

        known_hub = {m.hub_id: m for m in KNOWN_MODELS.values()}
        rows = {}
        for spec in [parse_proxies(f"target={self.plan.request.target}")[0], *self.family_plan.proxies]:
            key = store_name(spec)
            stored = {name: number if number is not None else value for name, value, number in self.store.query(
                "SELECT name, value, number FROM factors WHERE model = ?", (key.partition("@")[0],))}
            params, family = stored.get("params_b"), stored.get("family")
            hub = known_hub.get(spec.pretrained)
            if params is None and hub is not None:
                params, family = hub.params_b, family or hub.family
            if params is None:
                params = count_parameters(spec.pretrained)
                if params is not None:
                    self.store.note_factor(key.partition("@")[0], "params_b", params, "config")
            if params is None:
                params = params_from_name(spec.pretrained)
            if family is None and not spec.local:
                family = family_from_name(spec.pretrained)
            rows[key] = {"params_b": params if params is not None else math.nan, "family": family}
        self._factors = pd.DataFrame.from_dict(rows, orient="index")
        return self._factors

    def why_not(self, *, proxies_to_run: int = 0) -> str | None:
        """Why completion cannot serve this family (None: it can): it needs two models besides the target with
        scores in the family's cells (the proxies about to run count), and the target's records or its size."""
        matrix = self.matrix()
        others = self.others(matrix)
        new = [p for p in self.family_plan.proxies if store_name(p) not in others and store_name(p) != self.target]
        count = len(others) + min(len(new), proxies_to_run)
        if count < 2:
            return (f"the records store holds {len(others)} model(s) with {self.family_plan.family.name} scores "
                    f"({self.family_plan.family.lm_eval_metric}) besides the target, and {len(new)} proxy(ies) will "
                    "run: completion needs two (proxylm-harness records add PATH adds other models' results)")
        if self.target not in matrix.scores.index and not np.isfinite(self.factors().loc[self.target, "params_b"]):
            return (f"the records store has no scores of {self.plan.request.target!r} on these tasks and its size is "
                    "unknown (proxylm-harness records factors FILE.csv gives it: model,params_b,family)")
        return None

    def complete(self, coverage, *, measured: dict | None = None, hide_target: bool = False) -> "FittedCompletion":
        """The target's row completed over the family's tasks, as a ``FittedCompletion``; ``EstimationError`` when
        the records cannot serve."""
        from ..estimators.completion import CompletionError, complete

        matrix = self.matrix(measured=measured, hide_target=hide_target)
        try:
            result = complete(matrix, self.target, coverage=coverage or 0.9, model_factors=self.factors())
        except CompletionError as error:
            raise EstimationError(f"{self.family_plan.family.name} tasks: {error}") from None
        return FittedCompletion.from_result(result)

    def choose(self, candidates: list[str], k: int) -> list[str] | None:
        """The ``k`` tasks among ``candidates`` whose scores would most reduce the expected error of the rest (greedy
        A-optimal design under the completion's Gaussian model), or None where the records cannot say."""
        from ..estimators.completion import CompletionError, choose_cells, unit_matrix

        matrix = self.matrix(hide_target=True)
        others = self.others(matrix)
        if len(others) < 2:
            return None
        cells = matrix.cells[matrix.cells["task"].isin(candidates)]
        cells = cells[matrix.scores[cells.index].notna().any(axis=0).to_numpy()]
        if len(cells) < k:
            return None
        try:
            problem = unit_matrix(matrix, [self.target] + others, cells, model_factors=self.factors())
            chosen = choose_cells(problem["Y"], problem["factors"], problem["features"], 0, k)
        except CompletionError:
            return None
        return [cells["task"].iloc[i] for i in chosen]


@dataclass
class FittedCompletion:
    """A completion as the pipeline uses a fitted predictor: what the results file says of it (``report``) and how it
    writes its figures into the estimates (``apply``)."""

    result: object
    report: dict

    @classmethod
    def from_result(cls, result) -> "FittedCompletion":
        return cls(result, {"id": f"completion:{result.estimator}", "estimator": result.estimator,
                            "leading_member": result.chosen, "weights": result.weights,
                            "validation": {"mae": float(result.cv_error), "unit": result.cv_error_unit,
                                           "method": "cross-validated on the records (folds over the target's "
                                                     "known cells, or the other models' rows hidden)"},
                            "known_cells": result.known, "strongest_model_flag": result.flag or None,
                            "notes": list(result.notes)})

    @property
    def mae(self) -> float:
        return float(self.result.cv_error)

    def apply(self, work, names, estimates: dict, coverage, *, measured_only: bool = False) -> None:
        """Fill every task of the family the run did not measure (completion needs no proxy row, so ``names``, the
        tasks with proxy rows, do not limit it); a score the store knows counts as measured (``measured_only``: set
        only those, where another predictor estimates the rest)."""
        table = self.result.table.set_index("task")
        for name in work.plan.tasks:
            item = estimates[name]
            if item.source == "measured" or name not in table.index:
                continue
            row = table.loc[name]
            if row["source"] == "measured":
                item.source, item.lower, item.upper = "measured", None, None
                item.estimate = item.measured = float(row["estimate"])
                item.warnings = []
                continue
            if measured_only:
                continue
            item.warnings = [w for w in item.warnings if not w.startswith("not estimated:")]
            item.estimate, item.lower, item.upper = (float(row[c]) for c in ("estimate", "lower", "upper"))
            if row["warning"]:
                item.warnings.append(str(row["warning"]))


def better_of(fitted, completion: FittedCompletion | None):
    """The one to use: ``fitted`` (a shipped or a measured-task predictor) unless completion's cross-validated MAE is
    lower than its own (both in the lm-eval metric's units); the winner's report says what it beat."""
    if completion is None:
        return fitted
    if fitted is None:
        return completion
    mae = fitted.report.get("validation", {}).get("mae")
    if mae is None or not np.isfinite(completion.mae) or completion.mae >= mae:
        chosen, other, other_mae = fitted, completion, completion.mae
    else:
        chosen, other, other_mae = completion, fitted, mae
    chosen = replace(chosen, report={**chosen.report, "chosen_over": {"id": other.report["id"], "mae": other_mae}})
    return chosen
