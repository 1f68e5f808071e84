"""Speed of ``complete``: one target over 1,000 cells with 50 other models (generated scores), the default estimator.

The matrix is generated (a rank-3 logit structure plus noise, 5 task families, 40 languages, sizes 0.1-70 B in 5
families); the target knows 10 of its cells. The URIEL+ distances of these languages come from the typology cache
(the first run computes and caches them: its time is reported apart). The bar: under 5 s on 2 cores.

Usage: python benchmarks/completion_speed.py [--cells 1000] [--models 50] [--repeats 3] [--markdown benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

LANGUAGES = ("ar bg de el en es fr hi ru sw th tr ur vi zh et ht id it qu ta eu my te ja ko pt fi hu cs pl nl sv da "
             "no he fa bn ka am").split()
FAMILIES = ("xnli", "xcopa", "xstorycloze", "xwinograd", "pawsx")


def generated_matrix(n_cells: int, n_models: int, seed: int = 0):
    """A ``RecordsMatrix`` of ``n_models`` + 1 models (the last, ``target``, knows 10 cells) x ``n_cells`` cells."""
    from proxylm_harness.records.store_views import RecordsMatrix

    rng = np.random.default_rng(seed)
    family = [FAMILIES[i % len(FAMILIES)] for i in range(n_cells)]
    language = [LANGUAGES[(i // len(FAMILIES)) % len(LANGUAGES)] for i in range(n_cells)]
    cells = pd.DataFrame({"id": range(n_cells), "task": [f"{f}_{lang}_{i}" for i, (f, lang) in enumerate(zip(family, language))],
                          "metric": "acc", "n_shot": 0, "setting": "", "family": family, "dataset": family,
                          "source_lang": language, "target_lang": language, "features": [{}] * n_cells})
    cells.index = [f"{t}:acc" for t in cells["task"]]
    models = [f"org/model-{i}" for i in range(n_models)] + ["org/target"]
    size = np.exp(rng.uniform(np.log(0.1), np.log(70), len(models)))
    U, V = rng.normal(size=(len(models), 3)), rng.normal(size=(n_cells, 3))
    logit = 0.6 * np.log(size)[:, None] + U @ V.T * 0.4 + rng.normal(0, 0.2, (len(models), n_cells)) - 0.5
    scores = pd.DataFrame(1 / (1 + np.exp(-logit)), index=models, columns=cells.index)
    scores.iloc[-1, 10:] = np.nan
    factors = pd.DataFrame({"params_b": size, "family": [f"fam{i % 5}" for i in range(len(models))],
                            "params_source": "factors"}, index=models)
    return RecordsMatrix(scores, cells, factors)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", help="markdown file whose 'completion-speed' section is replaced")
    args = parser.parse_args(argv)
    from proxylm_harness.backtest.report import replace_markdown_section
    from proxylm_harness.estimators.completion import complete

    matrix = generated_matrix(args.cells, args.models)
    started = time.perf_counter()
    result = complete(matrix, "org/target")
    first = time.perf_counter() - started
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = complete(matrix, "org/target")
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(result.summary())
    body = (f"| cells | other models | known target cells | first call (typology cache filled) | median of {args.repeats} "
            f"(s) | bar |\n|---|---|---|---|---|---|\n| {args.cells} | {args.models} | {result.known} | {first:.2f} s | "
            f"{median:.2f} s | {'met' if median < 5 else 'not met'} (< 5 s) |\n\n"
            f"Default estimator (`stack`, conformal intervals), generated scores; {os.cpu_count()} CPU(s), "
            f"OMP/BLAS threads {os.environ.get('OMP_NUM_THREADS', 'default')}.\n")
    print(body)
    if args.markdown:
        command = "python benchmarks/completion_speed.py " + " ".join(sys.argv[1:] if argv is None else argv)
        replace_markdown_section(args.markdown, "completion-speed", body, command.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
