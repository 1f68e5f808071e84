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
    ``records`` is the ProxyLM records store whose rows of the same setting join a fit.
    """

    tasks: list
    target: str
    target_model_args: dict = field(default_factory=dict)
    proxies: list[ModelSpec] | None = None
    predictor: str = "auto"
    coverage: float | None = None
    records: str | None = None
