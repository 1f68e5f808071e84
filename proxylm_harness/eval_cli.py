"""The ``proxylm-eval`` command: lm-eval's own command line (``lm_eval run`` flags) plus the plugin's flags."""

from __future__ import annotations

import json
import os
import sys
import time

try:
    from lm_eval._cli import HarnessCLI
except ImportError as error:  # lm-eval is an optional dependency of the package
    raise SystemExit(f"proxylm-eval needs lm-eval 0.4.13 ({error}). Hint: pip install 'proxylm-harness[lm]' "
                     "(install torch first: pip install torch==2.13.0 for a CPU build).") from None

__all__ = ["ProxyEvalCLI", "main"]

#: argparse destinations of the flags this command adds; removed before lm-eval sees the arguments.
OWN = ("target_model", "target_model_args", "proxies", "predictor", "alongside", "measure", "coverage", "records", "plot",
       "proxy_cache_dir", "no_proxy_cache", "clear_proxy_cache", "proxy_backend")


class ProxyEvalCLI(HarnessCLI):
    """``lm-eval`` with the plugin's flags on its ``run`` subcommand; other subcommands are lm-eval's."""

    def __init__(self):
        super().__init__()
        self._parser.prog = "proxylm-eval"
        run = self._subparsers.choices["run"]
        group = run.add_argument_group(
            "proxylm-eval", "estimate the target model's scores from proxy models (default: no target model is run)")
        group.add_argument("--target_model", "--target-model", dest="target_model", metavar="NAME",
                           help="model whose scores are wanted: HF id, local folder, or records name (m2m100, aya...)")
        group.add_argument("--target_model_args", "--target-model-args", dest="target_model_args", default=None,
                           metavar="ARGS", help="extra model arguments for the target, like --model_args (k=v,k2=v2)")
        group.add_argument("--proxies", default=None, metavar="LIST",
                           help="comma-separated proxies: registry names (small100, smollm_135m, smollm_360m, "
                                "bloomz_560m) or NAME=PATH for a local copy or another model (default: per task family)")
        group.add_argument("--predictor", default="auto", metavar="PATH|auto",
                           help="predictor folder, or auto: the shipped one for (target, task family, metric)")
        mode = group.add_mutually_exclusive_group()
        mode.add_argument("--alongside", action="store_true",
                          help="also run the target on every task and report each estimate's error")
        mode.add_argument("--measure", type=int, default=0, metavar="K",
                          help="run the target on the K most informative tasks per family, fit a predictor on them, "
                               "estimate the rest")
        group.add_argument("--coverage", type=float, default=None, help="interval coverage (default: 0.9)")
        group.add_argument("--records", default=None,
                           help="ProxyLM records whose rows of the same setting join --measure's training rows "
                                "(default: $PROXYLM_RECORDS, else ../shared/data/proxylm where it exists)")
        group.add_argument("--plot", default=None, metavar="PNG",
                           help="plot of the estimates per task, with intervals and measured scores")
        group.add_argument("--proxy_cache_dir", "--proxy-cache-dir", dest="proxy_cache_dir", default=None,
                           help="folder of the proxy-result cache (default: $PROXYLM_HARNESS_CACHE or "
                                "~/.cache/proxylm-harness)")
        group.add_argument("--no_proxy_cache", "--no-proxy-cache", dest="no_proxy_cache", action="store_true",
                           help="neither read nor write the proxy-result cache")
        group.add_argument("--clear_proxy_cache", "--clear-proxy-cache", dest="clear_proxy_cache", action="store_true",
                           help="empty the proxy-result cache first")
        group.add_argument("--proxy_backend", "--proxy-backend", dest="proxy_backend", default="auto",
                           choices=("auto", "hf", "vllm"),
                           help="backend for decoder-only models: vllm where CUDA and vLLM are present (auto), or hf")

    def execute(self, args) -> int:
        if getattr(args, "command", None) != "run":
            super().execute(args)
            return 0
        own = {name: getattr(args, name) for name in OWN}
        for name in OWN:
            delattr(args, name)
        return _run(args, own)


def _error(message: str) -> int:
    print(f"proxylm-eval: error: {message}", file=sys.stderr)
    return 2


def _model_args(text) -> dict:
    if not text:
        return {}
    if isinstance(text, dict):
        return text
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)
    from lm_eval.utils import simple_parse_args_string

    return simple_parse_args_string(text)


def _task_manager(cfg, include_paths):
    """The shipped tasks/ plus --include_path, and lm-eval's own tasks only when a requested task needs them."""
    from lm_eval.tasks import TaskManager

    metadata = dict(cfg.metadata or {})
    manager = TaskManager(include_path=include_paths, include_defaults=False, metadata=metadata)
    names = cfg.tasks.split(",") if isinstance(cfg.tasks, str) else [t for task in cfg.tasks for t in str(task).split(",")]
    if all(name in manager.task_index for name in names):
        return manager, names
    manager = TaskManager(include_path=include_paths, include_defaults=True, metadata=metadata)
    return manager, names


def _run(args, own) -> int:
    from lm_eval.config.evaluate_config import EvaluatorConfig

    from .artifact import ArtifactError
    from .cache import ResultCache
    from .estimation import EstimationError, Request, estimate_tasks
    from .eval_output import estimate_table, results_dict, write_results
    from .proxies import ProxyError, parse_proxies
    from .proxy_runs import RunSettings
    from .task_metadata import TASKS_DIR

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not own["target_model"]:
        return _error("--target_model is required: the model whose scores are wanted (an HF id, a local folder, or "
                      "a records name such as m2m100).")
    if own["measure"] and own["predictor"] != "auto":
        return _error("--measure fits its own predictor on the measured tasks; leave out --predictor.")
    try:
        cfg = EvaluatorConfig.from_cli(args)
    except ValueError as error:
        return _error(str(error))
    include = [str(TASKS_DIR)]
    if cfg.include_path:
        include += [cfg.include_path] if isinstance(cfg.include_path, str) else list(cfg.include_path)
    try:
        manager, names = _task_manager(cfg, include)
        request = Request(
            tasks=names, target=own["target_model"], target_model_args=_model_args(own["target_model_args"]),
            proxies=parse_proxies(own["proxies"]), predictor=own["predictor"],
            mode="measure" if own["measure"] else "alongside" if own["alongside"] else "estimate",
            measure=own["measure"] or 0, coverage=own["coverage"],
            records=own["records"] or os.environ.get("PROXYLM_RECORDS") or os.path.join("..", "shared", "data", "proxylm"),
        )
        seed = tuple(cfg.seed) if cfg.seed else (0, 1234, 1234, 1234)
        settings = RunSettings(num_fewshot=cfg.num_fewshot, limit=cfg.limit, batch_size=cfg.batch_size,
                               device=cfg.device, seed=seed, gen_kwargs=cfg.gen_kwargs,
                               backend=own["proxy_backend"])
        cache = None
        if not own["no_proxy_cache"]:
            cache = ResultCache(own["proxy_cache_dir"])
            if own["clear_proxy_cache"]:
                print(f"cleared {cache.clear()} cached proxy results from {cache.path}", file=sys.stderr)
        report = estimate_tasks(request, manager, settings, cache=cache, progress_factory=_progress)
    except (EstimationError, ProxyError, ArtifactError, json.JSONDecodeError) as error:
        return _error(str(error))
    results = results_dict(report)
    if cfg.output_path:
        started = time.perf_counter()
        path = write_results(results, cfg.output_path, request.target)
        print(f"results written to {path} ({time.perf_counter() - started:.3f} s)", file=sys.stderr)
    if own["plot"]:
        from .plots import plot_task_estimates

        plot_task_estimates(results["proxylm"]["tasks"], own["plot"], title=f"{request.target} ({request.mode})")
    print(f"proxylm-eval ({request.mode}), target: {request.target}, tasks: {len(report.estimates)}")
    print(estimate_table(results))
    check = results["proxylm"]["check"]
    if check:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in check.items() if v is not None and k != "tasks")
        print(f"estimates against the target's own scores on {check['tasks']} task(s): {shown}")
    for failure in report.failures:
        print(f"proxylm-eval: {failure['role']} {failure['model']} failed: {failure['error']}", file=sys.stderr)
    for name, item in results["proxylm"]["tasks"].items():
        for warning in item["warnings"]:
            print(f"proxylm-eval: warning: {name}: {warning}", file=sys.stderr)
    for warning in report.warnings:
        print(f"proxylm-eval: warning: {warning}", file=sys.stderr)
    return 1 if report.failures else 0


def _progress(total):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="proxylm-eval model runs", unit="run", disable=None)


def main(argv: list[str] | None = None) -> int:
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    cli = ProxyEvalCLI()
    args = cli.parse_args()
    code = cli.execute(args) or 0
    if "vllm" in sys.modules:
        # vLLM's CPU workers can abort the interpreter's teardown ("terminate called without an active
        # exception") after everything was written; every result is already saved, so skip that teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
