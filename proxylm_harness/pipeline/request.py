"""What one proxylm-eval invocation asks for, and the error for a request that cannot be served."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..lm_eval_bridge.proxies import ModelSpec

__all__ = ["EstimationError", "Request"]


class EstimationError(ValueError):
    """A request proxylm-eval cannot serve; the message names the task, model or predictor and the fix."""


@dataclass(frozen=True)
class Request:
    """One invocation, after lm-eval's own flags were parsed: which tasks, which target, which proxies and predictor.

    How the target is used (never, on every task, on K tasks) is the pipeline's ``Mode``, not a field here.
    ``records`` are ProxyLM record files (or folders) whose rows of the same setting join a fit.
    """

    tasks: list
    target: str
    target_model_args: dict = field(default_factory=dict)
    proxies: list[ModelSpec] | None = None
    predictor: str = "auto"
    coverage: float | None = None
    records: tuple = ()
    metric: str | None = None  # lm-eval metric to estimate (default: the family's, else the tasks' first)

    def __post_init__(self):  # a bad request fails here, before any model loads
        if isinstance(self.records, (str, bytes)) or hasattr(self.records, "__fspath__"):
            object.__setattr__(self, "records", (str(self.records),))
        object.__setattr__(self, "records", tuple(str(p) for p in self.records or ()))
        if not self.target or not str(self.target).strip():
            raise EstimationError("A target model is required: the model whose scores are wanted (an HF id, a local "
                                  "folder, or a records name such as m2m100).")
        if not self.tasks:
            raise EstimationError("No tasks given. Hint: name lm-eval tasks or groups, e.g. --tasks xnli_sw.")
        if self.coverage is not None and not 0 < self.coverage < 1:
            raise EstimationError(f"The interval coverage must be in (0, 1), such as 0.9. Got {self.coverage!r} "
                                  "instead.")
