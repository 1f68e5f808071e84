"""Broken and read-only caches, and cache keys that survive lm-eval's changes to a task (issue 10, items 2, 3, 8, 9)."""

from __future__ import annotations

import os
import sqlite3
import textwrap
import warnings

import pytest
from faults import python_code

from proxylm_harness.lm_eval_bridge.run_cache import CacheKey
from proxylm_harness.records.layouts import RecordsError
from proxylm_harness.records.store import RecordsStore, StoreWarning


def _key(i=0):
    return CacheKey("m", "main", "{}", f"task{i}", "1.0", "hash", None, None, "[0]", "0.4.13")


def _cache(folder):  # the run cache is the records store
    return RecordsStore(folder / "records.sqlite3")


def _filled(folder, n=300):
    cache = _cache(folder)
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
        assert connection.execute("SELECT count(*) FROM runs").fetchone() == (300,)
    cache = _cache(tmp_path)
    with pytest.warns(StoreWarning, match="unreadable.*moved to"):
        assert cache.get(_key(3)) is None
    assert list(tmp_path.glob("records.sqlite3.corrupt-*"))
    cache.put(_key(3), {"metrics": {"acc,none": 0.5}})
    assert cache.get(_key(3)) == {"metrics": {"acc,none": 0.5}} and cache.run_count() == 1


def test_clearing_a_damaged_cache_works(tmp_path):
    path = _filled(tmp_path)
    _damage_a_page(path)
    with pytest.warns(StoreWarning):
        assert _cache(tmp_path).clear() == 0
    assert _cache(tmp_path).run_count() == 0


# -- item 9: read-only file and folder ----------------------------------------------------------------------------
_READ_BACK = textwrap.dedent("""
    import json, sys, warnings
    from pathlib import Path
    from proxylm_harness.lm_eval_bridge.run_cache import CacheKey
    from proxylm_harness.records.store import RecordsStore
    key = CacheKey("m", "main", "{}", "task3", "1.0", "hash", None, None, "[0]", "0.4.13")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = RecordsStore(Path(sys.argv[1]) / "records.sqlite3")
        found = cache.get(key)
        cache.put(CacheKey("m", "main", "{}", "new", "1.0", "hash", None, None, "[0]", "0.4.13"), {"metrics": {}})
        print(json.dumps({"found": found is not None, "rows": cache.run_count(), "read_only": cache.read_only,
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
    code = ("import sys\nfrom proxylm_harness.records.store import RecordsStore\n"
            "from proxylm_harness.records.layouts import RecordsError\n"
            f"try:\n    RecordsStore({str(tmp_path / 'records.sqlite3')!r}).clear()\nexcept RecordsError as e:\n"
            "    print('refused:', e)\n")
    out = python_code(code)
    assert out.returncode == 0 and out.stdout.startswith("refused:") and "read-only" in out.stdout
    assert issubclass(RecordsError, ValueError)


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
        assert _cache(tmp_path).get(_key(2))["metrics"]["acc,none"] == pytest.approx(2 / 5)
