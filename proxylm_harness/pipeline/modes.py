"""How proxylm-eval uses the target model: never (``EstimateOnly``), on every task (``Alongside``), or on K tasks that
a predictor is then fitted on (``Measure``). One small class per mode; the pipeline asks each the same questions."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..features.documents import DOCUMENT_FEATURES
from .plan import FamilyPlan
from .predictors import FittedPredictor
from .request import EstimationError, Request

__all__ = ["Alongside", "EstimateOnly", "FamilyWork", "Measure", "Mode"]


@dataclass
class FamilyWork:
    """One family between the stages: the proxies whose runs are used, the feature rows, the tasks every such proxy
    ran on (``complete``), the tasks the target runs on, and its scores there."""

    plan: FamilyPlan
    proxies: list
    rows: pd.DataFrame
    complete: list[str]
    proxy_columns: list[str]
    target_tasks: list[str] = field(default_factory=list)
    measured: dict = field(default_factory=dict)
    #: the records store's completion of the family, where the store can give one
    completion: object = None

    @property
    def source(self):
        """The records store's view of the family (``completion_stage.CompletionSource``), or None."""
        return self.plan.source


class Mode:
    """What the pipeline asks a mode: its checks, which tasks the target runs on, and which predictor estimates.

    The answers here are those of estimate-only; the other modes override what differs.
    """

    name = "estimate"
    #: Whether the mode fits its predictor on this run (else the plan chooses one before any model runs).
    fits_own_predictor = False

    def check(self, family_plan: FamilyPlan) -> None:
        """Refuse, before any model runs, a family this mode cannot serve."""

    def planned_target_runs(self, family_plan: FamilyPlan) -> int:
        return 0

    def usable_proxies(self, family_plan: FamilyPlan, runs: dict, warnings: list) -> list:
        """The proxies whose runs feed the predictor (all of the plan's: its predictor needs each of them)."""
        return list(family_plan.proxies)

    def target_tasks(self, work: FamilyWork) -> list[str]:
        return []

    #: whether completion, computed before the target runs, must not see the target's scores already in the store
    hide_target = False

    def before_target(self, work: FamilyWork, request: Request, warnings: list) -> None:
        """Complete the family from the records before the target runs (the target's stored scores count as
        measured, unless ``hide_target``)."""
        if work.source is None or (work.plan.predictor is not None and work.source.why_not() is not None):
            return
        try:
            work.completion = work.source.complete(request.coverage, hide_target=self.hide_target)
        except EstimationError as error:
            warnings.append(str(error) if work.plan.predictor is None else
                            f"completion from the records not used: {error}")

    def fit(self, work: FamilyWork, estimates: dict, request: Request, warnings: list):
        """The plan's predictor, or completion from the records where it has no predictor or a lower
        cross-validated MAE."""
        from .completion_stage import better_of

        return better_of(work.plan.predictor, work.completion)

    def tasks_to_estimate(self, work: FamilyWork) -> list[str]:
        return work.complete


class EstimateOnly(Mode):
    """Estimate only: the target model is never loaded; the plan's predictor estimates every task."""


class Alongside(Mode):
    """Estimate every task, and run the target on every task too, so each estimate's error is known."""

    name = "alongside"
    hide_target = True  # each estimate is made as if the target's score were unknown, then checked against it

    def planned_target_runs(self, family_plan: FamilyPlan) -> int:
        return len(family_plan.tasks)

    def target_tasks(self, work: FamilyWork) -> list[str]:
        return list(work.plan.tasks)


@dataclass
class Measure(Mode):
    """Run the target on the ``k`` most informative tasks of each family, fit a predictor on them, estimate the rest."""

    k: int = 3
    name = "measure"
    fits_own_predictor = True

    def check(self, family_plan: FamilyPlan) -> None:
        family, n = family_plan.family.name, len(family_plan.tasks)
        if self.k >= n:
            raise EstimationError(f"--measure {self.k} leaves none of the {n} {family} task(s) to "
                                  "estimate. Hint: measure fewer languages, or run lm-eval on all of them.")
        if self.k < 3:
            raise EstimationError(f"--measure needs at least 3 measured languages to fit anything; got {self.k}.")

    def planned_target_runs(self, family_plan: FamilyPlan) -> int:
        return self.k

    def usable_proxies(self, family_plan: FamilyPlan, runs: dict, warnings: list) -> list:
        # The predictor is fitted here, so it can do without a proxy that failed.
        names, family = family_plan.tasks, family_plan.family.name
        failed = [p.name for p in family_plan.proxies if not any((p.name, n) in runs for n in names)]
        if failed:
            warnings.append(f"{family}: fitted without proxy {', '.join(failed)}, which failed")
        usable = [p for p in family_plan.proxies if p.name not in failed]
        if not usable:
            warnings.append(f"{family}: every proxy failed; nothing estimated")
        return usable

    def before_target(self, work: FamilyWork, request: Request, warnings: list) -> None:
        """Nothing: completion here waits for the target's scores on the measured tasks."""

    def target_tasks(self, work: FamilyWork) -> list[str]:
        """The K tasks that most reduce the expected error of the rest under the completion's model of the records
        (where they hold two other models' scores), else the K that best span the proxies' and documents' space."""
        from .measured import most_informative

        if work.source is not None:
            chosen = work.source.choose(work.complete, self.k)
            if chosen is not None:
                return chosen
        return most_informative(work.rows.loc[work.complete], [*work.proxy_columns, *DOCUMENT_FEATURES], self.k)

    def fit(self, work: FamilyWork, estimates: dict, request: Request, warnings: list):
        """A predictor fitted on the measured tasks, or the records' completion with them known, whichever has the
        lower cross-validated MAE."""
        from .completion_stage import FittedCompletion, better_of

        for name in (n for n in work.target_tasks if n in work.measured):
            estimates[name].source = "measured"
            estimates[name].estimate = work.measured[name]
        notes: list = []
        fitted = self._fit_on_measured(work, request, notes)
        if work.source is not None and work.source.why_not() is None:
            try:
                work.completion = work.source.complete(request.coverage, measured=work.measured)
            except EstimationError as error:
                notes.append(f"completion from the records not used: {error}")
        chosen = better_of(fitted, work.completion)
        if not isinstance(chosen, FittedCompletion):  # why the fit on the measured tasks failed matters only then
            warnings.extend(notes)
        return chosen

    def _fit_on_measured(self, work: FamilyWork, request: Request, warnings: list) -> FittedPredictor | None:
        from .measured import TARGET, fit_measured, measure_spec, records_rows

        family = work.plan.family
        train_names = [n for n in work.target_tasks if n in work.measured and n in work.complete]
        if len(train_names) < 3:
            warnings.append(f"{family.name}: the target gave scores on {len(train_names)} of the "
                            f"{len(work.target_tasks)} measured tasks; at least 3 are needed to fit a predictor.")
            return None
        train = work.rows.loc[train_names].copy()
        train[TARGET] = [work.measured[n] * family.scale for n in train_names]
        spec = measure_spec(family, work.proxy_columns, work.rows.loc[work.complete])
        extra = records_rows(request.records, request.target, family, work.proxy_columns)
        if extra is not None:  # the records lack document features: fit on what both have
            spec = spec.without(*spec.dataset_features)
            train = pd.concat([train, extra])
        try:
            predictor, spec = fit_measured(spec, train, request.coverage or 0.9)
        except EstimationError as error:  # keep the measurements; say why nothing else is estimated
            warnings.append(f"{family.name}: {error}")
            return None
        return FittedPredictor.from_measured(spec, predictor, family, train_names,
                                             0 if extra is None else len(extra))

    def tasks_to_estimate(self, work: FamilyWork) -> list[str]:
        return [n for n in work.complete if n not in work.measured or n not in work.target_tasks]
