"""proxylm-eval's own overhead: a whole invocation whose proxy runs all come from the cache (no model compute), beside
lm-eval's own start-up (``python -c "import lm_eval, lm_eval.tasks"``) and both commands' ``--help``, in one run.

Usage: python benchmarks/eval_overhead.py [--tasks N] [--repeats R] [--markdown benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import task_fixtures as fx  # noqa: E402

from proxylm_harness.backtest.report import replace_markdown_section  # noqa: E402

CODES = ["afr_Latn", "deu_Latn", "fra_Latn", "zul_Latn", "hau_Latn", "ibo_Latn", "yor_Latn", "xho_Latn"]


def _command(root: Path, tasks: list[str], out: Path) -> list[str]:
    script = Path(sys.executable).parent / "proxylm-eval"
    return [str(script), "run", "--target_model", "facebook/m2m100_1.2B", "--proxies", f"small100={root / 'm2m'}",
            "--tasks", ",".join(tasks), "--metadata", json.dumps({"flores_dir": str(root / "flores")}),
            "--device", "cpu", "--gen_kwargs", "max_gen_toks=8", "--output_path", str(out)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16, help="FLORES-200 tasks per invocation (default: 16)")
    parser.add_argument("--repeats", type=int, default=5, help="cached invocations timed (default: 5)")
    parser.add_argument("--markdown", help="markdown file whose 'eval-overhead' section is replaced")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="proxylm-overhead-"))
    tokens = sorted({"__en__", *(f"__{c.split('_')[0][:2]}__" for c in CODES)})
    fx.build_seq2seq_model(root / "m2m", language_tokens=tokens + ["__ha__", "__ig__", "__yo__", "__xh__", "__zu__"])
    fx.build_spm_model(root / "flores200.model")
    fx.write_flores(root / "flores", ["eng_Latn", *CODES])
    pairs = [f"flores200_eng_Latn-{c}" for c in CODES] + [f"flores200_{c}-eng_Latn" for c in CODES]
    tasks = pairs[: args.tasks]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PROXYLM_FLORES200_SPM": str(root / "flores200.model"), "PROXYLM_HARNESS_CACHE": str(root / "cache")}

    started = time.perf_counter()
    first = subprocess.run(_command(root, tasks, root / "first"), env=env, capture_output=True, text=True, check=False)
    first_wall = time.perf_counter() - started
    if first.returncode != 0:
        sys.exit(f"the first (uncached) invocation failed:\n{first.stderr[-3000:]}")

    def wall(argv) -> float:
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        return time.perf_counter() - started

    scripts = Path(sys.executable).parent
    startup_cmd = [sys.executable, "-c", "import lm_eval, lm_eval.tasks"]
    # what `lm_eval run --tasks X` does before it can run anything: import, then index every task it ships
    run_startup_cmd = [sys.executable, "-c", "import lm_eval, lm_eval.tasks; lm_eval.tasks.TaskManager()"]
    helps = {"proxylm-eval --help": [str(scripts / "proxylm-eval"), "--help"],
             "proxylm-eval run --help": [str(scripts / "proxylm-eval"), "run", "--help"],
             "proxylm-harness --help": [str(scripts / "proxylm-harness"), "--help"]}
    walls, phases, startups, run_startups, help_walls = [], [], [], [], {name: [] for name in helps}
    for i in tqdm(range(args.repeats), desc="cached invocations"):
        startups.append(wall(startup_cmd))  # interleaved, so both see the same machine load
        run_startups.append(wall(run_startup_cmd))
        for name, argv in helps.items():
            help_walls[name].append(wall(argv))
        out = root / f"cached-{i}"
        started = time.perf_counter()
        run = subprocess.run(_command(root, tasks, out), env=env, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - started)
        if run.returncode != 0:
            sys.exit(f"a cached invocation failed:\n{run.stderr[-3000:]}")
        results = json.loads(next(out.rglob("results_*.json")).read_text())
        assert all(r["cached"] for r in results["proxylm"]["proxy_runs"]), "a cached invocation ran a model"
        phases.append(results["proxylm"]["timings"])

    median, startup = statistics.median(walls), statistics.median(startups)
    run_startup = statistics.median(run_startups)
    phase = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    rest = median - sum(phase.values())
    helps_median = {name: statistics.median(values) for name, values in help_walls.items()}
    command = f"python benchmarks/eval_overhead.py --tasks {args.tasks} --repeats {args.repeats}" + (
        f" --markdown {args.markdown}" if args.markdown else "")
    lines = [
        f"On {os.cpu_count()} CPU cores, no GPU. One proxylm-eval invocation on {len(tasks)} FLORES-200 tasks whose proxy results are all in the cache, so it "
        "runs no model: what is left is the plugin's own overhead. Median of "
        f"{args.repeats} invocations (the first, uncached one, with a tiny random SMaLL-100-shaped proxy, took "
        f"{first_wall:.1f} s).",
        "",
        "| phase | median s |",
        "|---|---|",
        f"| whole invocation (wall, process start to exit) | **{median:.2f}** |",
        f"| lm-eval's own start-up, `python -c \"import lm_eval, lm_eval.tasks\"` (same run, interleaved) | **{startup:.2f}** |",
        f"| proxylm-eval beyond lm-eval's start-up | {median - startup:.2f} |",
        f"| lm-eval's start-up before a run: import and `TaskManager()` over the tasks it ships (what `lm_eval run` "
        f"does first) | {run_startup:.2f} |",
        f"| resolve tasks, check predictor, load task documents | {phase['tasks_s']:.3f} |",
        f"| proxy results from the cache | {phase['proxy_runs_s']:.3f} |",
        f"| features and prediction | {phase['features_prediction_s']:.3f} |",
        f"| start-up (imports, argument parsing) and writing results | {rest:.3f} |",
        *(f"| `{name}` | {value:.2f} |" for name, value in helps_median.items()),
        "",
        f"Bar: at most lm-eval's start-up + 1.0 s per invocation; measured {median:.2f} s against "
        f"{startup:.2f} + 1.0 = {startup + 1.0:.2f} s with the bare import as lm-eval's start-up "
        f"({'met' if median <= startup + 1.0 else 'NOT met'}); against the start-up `lm_eval run` really has "
        f"({run_startup:.2f} s), {'met' if median <= run_startup + 1.0 else 'NOT met'}. "
        f"Bar: each `--help` under 1 s ({'met' if max(helps_median.values()) < 1.0 else 'NOT met'}).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        replace_markdown_section(args.markdown, "eval-overhead", text, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
