"""Run models (proxies, or the target) on lm-eval tasks through lm-eval's Python API, through the result cache.

One model is loaded once and run task by task, so each (model, task) result is cached as soon as it
exists: an interrupted sweep resumes where it stopped, and a model that fails to load costs only its
own results.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from .._io import folder_digest
from ..known_models import model_key
from .proxies import ModelSpec
from .run_cache import CacheKey, config_hash
from .seq2seq_model import SEQ2SEQ_MODEL

__all__ = ["ModelRunError", "RunContext", "RunSettings", "TaskRun", "documents_digest", "lm_eval_model",
           "model_revision", "run_model", "store_name", "task_fingerprint"]

log = logging.getLogger(__name__)


class ModelRunError(RuntimeError):
    """A model could not be loaded or run; the message names the model and, where known, the task."""


@dataclass(frozen=True)
class RunSettings:
    """The lm-eval settings every run shares (the ``lm_eval run`` flags of the same names)."""

    num_fewshot: int | None = None
    limit: float | None = None
    batch_size: Any = 1
    device: str | None = None
    seed: tuple = (0, 1234, 1234, 1234)
    gen_kwargs: Any = None
    backend: str = "auto"  # auto | hf | vllm
    extra_model_args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RunContext:
    """What every model run of one invocation shares: lm-eval's settings, the result cache, the task manager the
    tasks came from (without it lm-eval indexes all of its own tasks again, for every call), for models that
    take language tokens each task's ``(source, target)`` languages, and the tasks' fingerprints."""

    settings: RunSettings
    cache: Any = None  # the records store (``get(key)`` / ``put(key, result)``), or None
    task_manager: Any = None
    languages: dict | None = None
    #: ``{task: task_fingerprint(task)}`` taken before any run; the tasks' keys are computed now where missing
    fingerprints: dict | None = None


@dataclass
class TaskRun:
    """One model's lm-eval result on one task: the task's ``results`` entry, and whether it came from the cache."""

    model: str
    task: str
    metrics: dict
    n_samples: int | None
    version: Any
    cached: bool
    backend: str = ""


def _vllm_usable() -> bool:
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def lm_eval_model(spec: ModelSpec, settings: RunSettings) -> tuple[str, dict]:
    """The lm-eval model name and model arguments that run ``spec`` under ``settings``.

    Encoder-decoder models go through the plugin's ``proxylm-seq2seq`` (HF ``seq2seq`` plus language
    tokens; vLLM cannot run them); decoder-only models through ``vllm`` when CUDA and vLLM are
    present (and ``settings.backend`` allows), else through HF ``hf``.
    """
    args = {"pretrained": spec.pretrained, **({"revision": spec.revision} if not spec.local else {})}
    if spec.architecture == "seq2seq":
        if settings.backend == "vllm":
            raise ModelRunError(f"{spec.name} is an encoder-decoder model, which vLLM cannot run. "
                                "Hint: use --proxy-backend auto or hf.")
        if spec.language_codes:
            return SEQ2SEQ_MODEL, {**args, "language_codes": spec.language_codes, **settings.extra_model_args}
        return "hf", {**args, "backend": "seq2seq", **settings.extra_model_args}
    use_vllm = settings.backend == "vllm" or (settings.backend == "auto" and _vllm_usable())
    if use_vllm:
        # On vLLM's CPU backend the same flag reserves that share of host memory: ask for less there.
        share = 0.8 if settings.device in (None, "cuda") or str(settings.device).startswith("cuda") else 0.3
        return "vllm", {**args, "dtype": "auto", "gpu_memory_utilization": share, **settings.extra_model_args}
    return "hf", {**args, "backend": "causal", **settings.extra_model_args}


def model_revision(spec: ModelSpec) -> str:
    """The revision of a hub model, or, for a local folder, a digest of its files' names, sizes and times."""
    return folder_digest(spec.pretrained) if spec.local else spec.revision


def store_name(spec: ModelSpec) -> str:
    """The model as the records store names it: a local folder by its digest, a hub id with ``@revision`` unless it
    is ``main`` (as a run of it is stored)."""
    if spec.local:
        return folder_digest(spec.pretrained)
    return model_key(spec.pretrained, spec.revision)


def task_fingerprint(task) -> tuple[str, str]:
    """(version, hash) of a loaded lm-eval task as the user asked for it: its whole config (data folders included;
    n-shot None and 0 alike) and a digest of its documents, so that changed data are never served from the cache.

    Take it before the task runs: lm-eval writes into a task's config when it runs it (None n-shot becomes 0).
    """
    config = task.dump_config() if hasattr(task, "dump_config") else dict(task.config)
    version = (config.get("metadata") or {}).get("version")
    config.pop("metadata", None)
    config["num_fewshot"] = config.get("num_fewshot") or 0
    metadata = dict(task.config.metadata or {})
    metadata.pop("config_source", None)  # where the YAML sits does not change the score
    return str(version), config_hash({"config": config, "metadata": metadata, "documents": documents_digest(task)})


def documents_digest(task) -> str:
    """SHA-256 of the documents lm-eval built for a task: its test (or validation) documents and few-shot pool."""
    digest = hashlib.sha256()
    fewshot = task.fewshot_docs() if hasattr(task, "fewshot_docs") else None
    for part, docs in (("eval", task.eval_docs), ("fewshot", fewshot or ())):
        digest.update(f"\x1e{part}".encode())
        for doc in docs:
            digest.update(json.dumps(doc, sort_keys=True, default=str).encode("utf-8") + b"\x1f")
    return digest.hexdigest()


def _lm_eval_version() -> str:
    from importlib.metadata import version

    return version("lm_eval")


def run_model(spec: ModelSpec, tasks: dict, context: RunContext, *,
              on_result: Callable[[TaskRun], None] | None = None) -> list[TaskRun]:
    """Run ``spec`` on ``tasks`` ({name: loaded lm-eval task}), taking what the cache holds.

    The model is loaded only when some task is not cached, and released at the end. Raises
    :class:`ModelRunError` (after the finished tasks were cached and reported to ``on_result``) when the model
    fails to load or run.
    """
    session = _ModelSession(spec, context)
    runs = []
    try:
        for name, task in tasks.items():
            run = session.run(name, task)
            runs.append(run)
            if on_result is not None:
                on_result(run)
    finally:
        session.close()
    return runs


class _ModelSession:
    """One model under one invocation: its lm-eval name and arguments, the parts of its cache keys, the model once loaded."""

    def __init__(self, spec: ModelSpec, context: RunContext):
        self.spec, self.context = spec, context
        self.model_name, self.model_args = lm_eval_model(spec, context.settings)
        self.revision = model_revision(spec)
        self.lm_eval_version = _lm_eval_version()
        self.args_text = json.dumps({"model": self.model_name, **self.model_args, "pretrained": None}, sort_keys=True,
                                    default=str)
        self.lm = None

    def key(self, name: str, task) -> tuple[CacheKey, Any]:
        settings, known = self.context.settings, self.context.fingerprints or {}
        version, task_hash = known[name] if name in known else task_fingerprint(task)
        key = CacheKey(model=self.spec.pretrained, revision=self.revision, model_args=self.args_text, task=name,
                       task_version=version, task_hash=task_hash, num_fewshot=settings.num_fewshot,
                       limit=settings.limit, seed=json.dumps(list(settings.seed)), lm_eval_version=self.lm_eval_version)
        return key, version

    def run(self, name: str, task) -> TaskRun:
        cache = self.context.cache
        key, version = self.key(name, task)
        stored = cache.get(key) if cache is not None else None
        if stored is not None:
            return TaskRun(self.spec.name, name, stored["metrics"], stored.get("n_samples"), stored.get("version"),
                           True, self.model_name)
        metrics, n_samples = self._evaluate(name, task)
        if cache is not None:
            cache.put(key, {"metrics": metrics, "n_samples": n_samples, "version": version})
        return TaskRun(self.spec.name, name, metrics, n_samples, version, False, self.model_name)

    def _evaluate(self, name: str, task) -> tuple[dict, int | None]:
        from lm_eval import simple_evaluate

        settings, languages = self.context.settings, self.context.languages
        if self.lm is None:
            self.lm = _load(self.spec, self.model_name, self.model_args, settings)
        if languages and hasattr(self.lm, "set_languages"):
            try:
                self.lm.set_languages(*languages[name])
            except ValueError as error:
                raise ModelRunError(f"{self.spec.name} on task {name!r}: {error}") from error
        try:
            out = simple_evaluate(
                model=self.lm, tasks=[task], num_fewshot=settings.num_fewshot, limit=settings.limit,
                gen_kwargs=settings.gen_kwargs, bootstrap_iters=0, log_samples=False,
                random_seed=settings.seed[0], numpy_random_seed=settings.seed[1],
                torch_random_seed=settings.seed[2], fewshot_random_seed=settings.seed[3],
                verbosity="WARNING", task_manager=self.context.task_manager,
            )
        except Exception as error:  # noqa: BLE001  (lm-eval and models raise anything; name the run)
            raise ModelRunError(f"{self.spec.name} ({self.spec.pretrained}) failed on task {name!r}: "
                                f"{type(error).__name__}: {error}") from error
        metrics = {k: v for k, v in out["results"][name].items() if k != "alias"}
        return metrics, (out.get("n-samples") or {}).get(name, {}).get("effective")

    def close(self) -> None:
        lm, self.lm = self.lm, None
        _release(lm)


def _release(lm) -> None:
    """Free a model before the next one loads; a vLLM engine is shut down (its worker would abort at exit)."""
    if lm is None:
        return
    engine = getattr(getattr(getattr(lm, "model", None), "llm_engine", None), "engine_core", None)
    if engine is not None and hasattr(engine, "shutdown"):
        try:
            engine.shutdown()
        except Exception as error:  # noqa: BLE001  (shutting down is best effort)
            log.warning("vLLM engine shutdown failed: %s", error)
    del lm
    import gc

    gc.collect()


def _load(spec: ModelSpec, model_name: str, model_args: dict, settings: RunSettings):
    from lm_eval.api.registry import get_model

    from .seq2seq_model import register

    register()
    additional = {"batch_size": settings.batch_size, "device": settings.device}
    try:
        return get_model(model_name).create_from_arg_obj(model_args, {k: v for k, v in additional.items() if v})
    except Exception as error:  # noqa: BLE001
        raise ModelRunError(f"Could not load {spec.name} from {spec.pretrained} with lm-eval's {model_name!r} backend: "
                            f"{type(error).__name__}: {error}. Hint: check the path or HF id (--proxies NAME=PATH "
                            "loads a local copy).") from error
