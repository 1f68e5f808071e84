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

from ._arguments import coverage  # noqa: E402

__all__ = ["ProxyEvalCLI", "main"]

#: argparse destinations of the flags this command adds; removed before lm-eval sees the arguments.
OWN = ("target_model", "target_model_args", "proxies", "predictor", "alongside", "measure", "coverage", "records", "metric",
       "plot",
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
        group.add_argument("--coverage", type=coverage, default=None, help="interval coverage in (0, 1) (default: 0.9)")
        group.add_argument("--records", action="extend", nargs="+", default=None, metavar="PATH",
                           help="a records store file (runs are kept there; default $PROXYLM_RECORDS_DB or "
                                "~/.cache/proxylm-harness/records.sqlite3), and ProxyLM record files whose rows of "
                                "the same setting join a fit (default: $PROXYLM_RECORDS, else ../shared/data/proxylm)")
        group.add_argument("--metric", default=None, metavar="NAME",
                           help="the lm-eval metric to estimate, one of the tasks' metric_list (default: the task "
                                "family's, else the tasks' first)")
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


def _task_names(tasks) -> list[str]:
    return tasks.split(",") if isinstance(tasks, str) else [t for task in tasks for t in str(task).split(",")]


def _run(args, own) -> int:
    from lm_eval.config.evaluate_config import EvaluatorConfig

    from .. import _paths
    from ..estimators.artifacts import ArtifactError
    from ..lm_eval_bridge.model_runs import RunSettings
    from ..lm_eval_bridge.proxies import ProxyError, parse_proxies
    from ..records.layouts import RecordsError
    from ..pipeline.api import DEFAULT_SEED, make_mode, run_pipeline, task_manager_for
    from ..pipeline.report import ResultsNotWrittenError, output_problem, results_dict, write_results
    from ..pipeline.request import EstimationError, Request

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
    problem = output_problem(cfg.output_path) if cfg.output_path else None
    if problem:
        return _error(f"{problem}. Hint: choose another --output_path; nothing was run.")
    try:
        names = _task_names(cfg.tasks)
        manager = task_manager_for(names, cfg.include_path, cfg.metadata)
        mode = make_mode(measure=own["measure"], alongside=own["alongside"])
        request = Request(
            tasks=names, target=own["target_model"], target_model_args=_model_args(own["target_model_args"]),
            proxies=parse_proxies(own["proxies"]), predictor=own["predictor"], coverage=own["coverage"],
            records=tuple(p for p in own["records"] or () if not _is_store(p)) or (_paths.default_records(),),
            metric=own["metric"],
        )
        seed = tuple(cfg.seed) if cfg.seed else DEFAULT_SEED
        settings = RunSettings(num_fewshot=cfg.num_fewshot, limit=cfg.limit, batch_size=cfg.batch_size,
                               device=cfg.device, seed=seed, gen_kwargs=cfg.gen_kwargs,
                               backend=own["proxy_backend"])
        cache = None if own["no_proxy_cache"] else _store(own)
        if cache is not None and own["clear_proxy_cache"]:
            print(f"cleared {cache.clear()} cached runs from {cache.path}", file=sys.stderr)
        report = run_pipeline(request, mode, task_manager=manager, settings=settings, cache=cache,
                              progress_factory=_progress)
    except (EstimationError, ProxyError, ArtifactError, RecordsError, json.JSONDecodeError) as error:
        return _error(str(error))
    results = results_dict(report)
    if cfg.output_path:
        started = time.perf_counter()
        try:
            path = write_results(results, cfg.output_path, request.target)
        except (OSError, ResultsNotWrittenError) as error:
            _print_summary(report, results)
            print(f"proxylm-eval: error: {error}; every model result is kept in the cache, so a second run with "
                  "another --output_path runs no model.", file=sys.stderr)
            return 1
        print(f"results written to {path} ({time.perf_counter() - started:.3f} s)", file=sys.stderr)
    if own["plot"]:
        from ..pipeline.report import plot_task_estimates

        plot_task_estimates(results["proxylm"]["tasks"], own["plot"], title=f"{request.target} ({report.mode})")
    _print_summary(report, results)
    return 1 if report.failures else 0


def _store(own):
    """The records store runs go to: a store file among --records, else --proxy_cache_dir's, else the default."""
    from pathlib import Path

    from ..records.layouts import RecordsError
    from ..records.store import STORE_FILE, RecordsStore

    stores = [p for p in own["records"] or () if _is_store(p)]
    if len(stores) > 1:
        raise RecordsError(f"--records names {len(stores)} store files ({', '.join(stores)}); runs go to one",
                           hint="name one store, and results files or record files besides")
    if stores:
        return RecordsStore(stores[0])
    return RecordsStore(Path(own["proxy_cache_dir"]) / STORE_FILE if own["proxy_cache_dir"] else None)


def _is_store(path) -> bool:
    """A SQLite file (or a path ending .sqlite3 / .db, to be made)."""
    from pathlib import Path

    path = Path(path)
    if path.is_file():
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    return path.suffix in (".sqlite3", ".sqlite", ".db")


def _print_summary(report, results) -> None:
    from ..pipeline.report import estimate_table

    print(f"proxylm-eval ({report.mode}), target: {report.request.target}, tasks: {len(report.estimates)}")
    print(estimate_table(results))
    check = results["proxylm"]["check"]
    if check:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in check.items() if v is not None and k != "tasks")
        print(f"estimates against the target's own scores on {check['tasks']} task(s): {shown}")
    cost = report.cost
    line = f"cost: proxies {cost['proxy_seconds']:.1f} s, target {cost['target_seconds']:.1f} s"
    if cost["speedup"] is not None:
        line += (f" on {cost['target_cells_computed']} cell(s), {cost['target_seconds_per_cell']:.1f} s a cell; "
                 f"running the target on all {cost['cells']} cells would take ~{cost['full_run_seconds']:.0f} s: "
                 f"{cost['speedup']:.1f}x less")
    print(line)
    for failure in report.failures:
        print(f"proxylm-eval: {failure['role']} {failure['model']} failed: {failure['error']}", file=sys.stderr)
    for name, item in results["proxylm"]["tasks"].items():
        for warning in item["warnings"]:
            print(f"proxylm-eval: warning: {name}: {warning}", file=sys.stderr)
    for warning in report.warnings:
        print(f"proxylm-eval: warning: {warning}", file=sys.stderr)


def _progress(total):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="proxylm-eval model runs", unit="run", disable=None)


def main(argv: list[str] | None = None) -> int:
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    cli = ProxyEvalCLI()
    args = cli.parse_args()
    try:
        code = cli.execute(args) or 0
    except KeyboardInterrupt:
        print("proxylm-eval: interrupted; every model result finished so far is kept in the cache, so the same "
              "command resumes where it stopped.", file=sys.stderr)
        code = 130
    if "vllm" in sys.modules:
        # vLLM's CPU workers can abort the interpreter's teardown ("terminate called without an active
        # exception") after everything was written; every result is already saved, so skip that teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
