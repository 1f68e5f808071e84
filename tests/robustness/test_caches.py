"""Broken and read-only caches, and cache keys that survive lm-eval's changes to a task (issue 10, items 2, 3, 8, 9)."""

from __future__ import annotations

import os
import sqlite3
import textwrap
import warnings

import pytest
from faults import python_code

from proxylm_harness.lm_eval_bridge.run_cache import CacheError, CacheKey, CacheWarning, ResultCache


def _key(i=0):
    return CacheKey("m", "main", "{}", f"task{i}", "1.0", "hash", None, None, "[0]", "0.4.13")


def _filled(folder, n=300):
    cache = ResultCache(folder)
    for i in range(n):
        cache.put(_key(i), {"metrics": {"acc,none": i / n, "padding": "x" * 2000}})
    cache.close()
    return cache.path


def _damage_a_page(path, page=40):
    with open(path, "r+b") as handle:
        handle.seek(4096 * page)
        handle.write(os.urandom(4096))


# -- item 8: a damaged page ---------------------------------------------------------------------------------------
def test_a_damaged_page_is_found_at_open_and_the_file_set_aside(tmp_path):
    path = _filled(tmp_path)
    _damage_a_page(path)
    with sqlite3.connect(path) as connection:  # the damage the old open-time check missed
        assert connection.execute("SELECT count(*) FROM results").fetchone() == (300,)
    cache = ResultCache(tmp_path)
    with pytest.warns(CacheWarning, match="unreadable.*moved to"):
        assert cache.get(_key(3)) is None
    assert list(tmp_path.glob("proxy-results.sqlite3.corrupt-*"))
    cache.put(_key(3), {"metrics": {"acc,none": 0.5}})
    assert cache.get(_key(3)) == {"metrics": {"acc,none": 0.5}} and len(cache) == 1


def test_clearing_a_damaged_cache_works(tmp_path):
    path = _filled(tmp_path)
    _damage_a_page(path)
    with pytest.warns(CacheWarning):
        assert ResultCache(tmp_path).clear() == 0
    assert len(ResultCache(tmp_path)) == 0


# -- item 9: read-only file and folder ----------------------------------------------------------------------------
_READ_BACK = textwrap.dedent("""
    import json, sys, warnings
    from proxylm_harness.lm_eval_bridge.run_cache import CacheKey, ResultCache
    key = CacheKey("m", "main", "{}", "task3", "1.0", "hash", None, None, "[0]", "0.4.13")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResultCache(sys.argv[1])
        found = cache.get(key)
        cache.put(CacheKey("m", "main", "{}", "new", "1.0", "hash", None, None, "[0]", "0.4.13"), {"metrics": {}})
        print(json.dumps({"found": found is not None, "rows": len(cache), "read_only": cache.read_only,
                          "warnings": [str(w.message) for w in caught]}))
""")


def _read_back(folder):
    import json

    out = python_code(_READ_BACK.replace("sys.argv[1]", repr(str(folder))))
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_a_read_only_cache_file_is_read_and_never_discarded(tmp_path, read_only):
    path = _filled(tmp_path, n=10)
    before = path.read_bytes()
    read_only(path)
    result = _read_back(tmp_path)
    assert result["found"] and result["read_only"] and result["rows"] == 10  # read; the new result not kept
    assert any("read-only" in w and "will not be kept" in w for w in result["warnings"])
    assert path.read_bytes() == before and not list(tmp_path.glob("*.corrupt-*"))


def test_a_cache_in_a_read_only_folder_is_read(tmp_path, read_only):
    _filled(tmp_path, n=10)
    read_only(tmp_path)
    result = _read_back(tmp_path)
    assert result["found"] and result["read_only"] and result["rows"] == 10
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_a_read_only_folder_without_a_cache_runs_without_one(tmp_path, read_only):
    folder = tmp_path / "ro"
    folder.mkdir()
    read_only(folder)
    result = _read_back(folder / "cache")
    assert not result["found"] and any("memory only" in w for w in result["warnings"])


def test_clearing_a_read_only_cache_is_refused_in_one_line(tmp_path, read_only):
    _filled(tmp_path, n=3)
    read_only(tmp_path)
    code = ("import sys\nfrom proxylm_harness.lm_eval_bridge.run_cache import ResultCache, CacheError\n"
            f"try:\n    ResultCache({str(tmp_path)!r}).clear()\nexcept CacheError as e:\n    print('refused:', e)\n")
    out = python_code(code)
    assert out.returncode == 0 and out.stdout.startswith("refused:") and "read-only" in out.stdout
    assert issubclass(CacheError, ValueError)


# -- items 2 and 3: keys taken from the task as asked for, documents included ------------------------------------
class _Config:
    def __init__(self, metadata):
        self.metadata = metadata


class _Task:
    """The parts of an lm-eval task a fingerprint reads."""

    def __init__(self, docs, num_fewshot=None):
        self.eval_docs, self.num_fewshot = docs, num_fewshot
        self.config = _Config({"version": 1.0})

    def dump_config(self):
        return {"task": "t", "num_fewshot": self.num_fewshot, "metadata": {"version": 1.0}}

    def fewshot_docs(self):
        return None


def test_the_fingerprint_takes_none_and_zero_shots_alike_and_changes_with_the_documents():
    from proxylm_harness.lm_eval_bridge.model_runs import task_fingerprint

    docs = [{"source": "a", "target": "b"}, {"source": "c", "target": "d"}]
    assert task_fingerprint(_Task(docs, None)) == task_fingerprint(_Task(docs, 0))
    assert task_fingerprint(_Task(docs)) != task_fingerprint(_Task(docs + [{"source": "e", "target": "f"}]))
    assert task_fingerprint(_Task(docs)) != task_fingerprint(_Task([{"source": "a", "target": "B"}, docs[1]]))
    assert task_fingerprint(_Task(docs, 5)) != task_fingerprint(_Task(docs, 0))


def test_no_warning_for_a_healthy_cache(tmp_path):
    _filled(tmp_path, n=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ResultCache(tmp_path).get(_key(2))["metrics"]["acc,none"] == pytest.approx(2 / 5)
