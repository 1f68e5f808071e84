"""The package's layout holds: subpackages in layers with no import running back up, a predictor core free of lm-eval
and torch, and rooms kept small (modules, functions)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "proxylm_harness"

_BOTTOM = {"_io", "_registry", "_paths", "_sqlite", "known_models"}
_CORE = {"languages", "features", "records", "estimators", "backtest"}
#: What each room may import (besides itself). Together they form layers: languages at the bottom, then features,
#: records, estimators, backtest; lm_eval_bridge beside the core (it sees only languages and families); pipeline
#: and cli on top; the package itself only reaches the one-call API.
ALLOWED = {
    "_io": set(),
    "_registry": {"_io"},
    "_paths": set(),
    "_sqlite": set(),
    "_plotting": {"_io"},
    "families": {"_registry"},
    "known_models": set(),
    "languages": _BOTTOM,
    "features": _BOTTOM | {"families", "languages"},
    "records": _BOTTOM | {"families", "languages", "features"},
    "estimators": _BOTTOM | {"families", "languages", "features", "records"},
    "backtest": _BOTTOM | {"_plotting", "families", "languages", "features", "records", "estimators"},
    "lm_eval_bridge": _BOTTOM | {"families", "languages"},
    "pipeline": _BOTTOM | {"_plotting", "families", "lm_eval_bridge"} | _CORE,
    "cli": _BOTTOM | {"_plotting", "families", "lm_eval_bridge", "pipeline"} | _CORE,
    "": {"_registry", "pipeline"},
}
#: Functions allowed over the size limit, with the reason. None so far.
LONG_FUNCTIONS: dict[str, str] = {}
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 450, 80


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _room(path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "" if parts == ("__init__",) else parts[0]


def _imported_rooms(path) -> set[tuple[str, int]]:
    """(room, line) of every proxylm_harness module ``path`` imports, at module level or inside functions."""
    package = ".".join(("proxylm_harness", *path.relative_to(PACKAGE).parent.parts))
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [stem] if node.module else [f"{stem}.{alias.name}" for alias in node.names]
        for target in targets:
            parts = target.split(".")
            if parts[0] == "proxylm_harness" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def test_the_allowed_imports_form_layers():
    # a room reachable from itself through ALLOWED would be a cycle
    def reach(room, seen):
        for other in ALLOWED[room]:
            if other not in seen:
                seen.add(other)
                reach(other, seen)
        return seen

    for room in ALLOWED:
        assert room not in reach(room, set()), room


def test_no_import_runs_back_up():
    bad = []
    for path in _modules():
        room = _room(path)
        assert room in ALLOWED, f"{path}: room {room!r} is not in the layer map; add it to ALLOWED"
        for other, line in _imported_rooms(path):
            if other != room and other not in ALLOWED[room]:
                bad.append(f"{path.relative_to(REPO_ROOT)}:{line} ({room or 'package'} imports {other})")
    assert not bad, "imports that run back up:\n" + "\n".join(bad)


def test_predictor_core_imports_neither_lm_eval_nor_torch():
    code = """
import importlib, json, sys
import proxylm_harness.records, proxylm_harness.features, proxylm_harness.estimators, proxylm_harness.backtest
for name in ("records", "features", "estimators", "estimators.regressors", "backtest", "languages"):
    module = importlib.import_module("proxylm_harness." + name)
    for attribute in module.__all__:
        getattr(module, attribute)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("lm_eval", "torch"))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert json.loads(out.stdout) == []


def test_importing_a_subpackage_imports_nothing_heavy():
    code = "import sys, proxylm_harness.pipeline, proxylm_harness.lm_eval_bridge, proxylm_harness.estimators; " \
           "print(sorted(m for m in ('pandas', 'sklearn', 'xgboost', 'lm_eval', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]"


def test_modules_and_functions_are_small():
    too_long = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"module {path.relative_to(REPO_ROOT)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                name = f"{path.relative_to(PACKAGE).with_suffix('')}.{node.name}".replace("/", ".")
                if length > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS:
                    too_long.append(f"function {name}: {length} lines")
    assert not too_long, "\n".join(too_long)


@pytest.mark.parametrize("package", ["languages", "records", "features", "estimators", "backtest", "lm_eval_bridge",
                                     "pipeline"])
def test_every_subpackage_re_exports_what_its_all_names(package):
    import importlib

    module = importlib.import_module(f"proxylm_harness.{package}")
    assert module.__doc__ and "add" in module.__doc__, "the docstring says how to extend the subpackage"
    for name in module.__all__:
        assert getattr(module, name) is not None, name
