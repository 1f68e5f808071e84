"""``proxylm-harness records fetch``: files checked by SHA-256, nothing half-written kept; tested against a local
HTTP server that serves the shared record files, truncated ones and altered ones."""

from __future__ import annotations

import functools
import hashlib
import http.server
import subprocess
import sys
import threading

import pytest

from proxylm_harness.records.fetch import RECORD_FILES, RecordFile, fetch_records
from proxylm_harness.records.layouts import RecordsError

SHARED = ("mt560_experiments.csv", "nusa_experiments.csv", "intent_experiments.csv")


class _Handler(http.server.SimpleHTTPRequestHandler):
    truncate: set = set()

    def log_message(self, *args):  # quiet
        pass

    def copyfile(self, source, outputfile):
        if self.path.rsplit("/", 1)[-1] in self.truncate:
            outputfile.write(source.read(1000))  # the connection ends early: a partial download
        else:
            super().copyfile(source, outputfile)


@pytest.fixture
def server(records_dir):
    handler = functools.partial(_Handler, directory=str(records_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    _Handler.truncate = set()
    httpd.shutdown()


def test_the_pinned_hashes_are_those_of_the_shared_files(records_dir):
    for name in SHARED:
        data = (records_dir / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == RECORD_FILES[name].sha256 and len(data) == RECORD_FILES[name].size


def test_fetch_downloads_checks_and_does_not_download_twice(server, tmp_path):
    paths = fetch_records(base_url=server, directory=tmp_path, names=SHARED)
    assert [p.name for p in paths] == list(SHARED) and all(p.stat().st_size > 0 for p in paths)
    before = [p.stat().st_mtime_ns for p in paths]
    fetch_records(base_url="http://127.0.0.1:9/nowhere/", directory=tmp_path, names=SHARED)  # all present: no request
    assert [p.stat().st_mtime_ns for p in paths] == before


def test_a_partial_download_is_refused_and_nothing_kept(server, tmp_path):
    _Handler.truncate = {"nusa_experiments.csv"}
    with pytest.raises(RecordsError, match="partial or altered file"):
        fetch_records(base_url=server, directory=tmp_path, names=["nusa_experiments.csv"])
    assert list(tmp_path.iterdir()) == []


def test_a_file_with_another_hash_is_refused(server, tmp_path):
    altered = {"nusa_experiments.csv": RecordFile("nusa_experiments.csv", "0" * 64, RECORD_FILES["nusa_experiments.csv"].size)}
    with pytest.raises(RecordsError, match="SHA-256"):
        fetch_records(base_url=server, directory=tmp_path, files=altered)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_server_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "records", "fetch", "--base-url",
                             "http://127.0.0.1:9/", "--dir", str(tmp_path), "--only", "nusa_experiments.csv"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "cannot download" in result.stderr and "Traceback" not in result.stderr


def test_the_command_fetches_and_records_default_to_the_fetched_files(server, tmp_path):
    env = {**__import__("os").environ, "PROXYLM_HARNESS_CACHE": str(tmp_path / "cache")}
    env.pop("PROXYLM_RECORDS", None)
    result = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "records", "fetch", "--base-url",
                             server, "--only", *SHARED], capture_output=True, text=True, timeout=300, env=env,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cache" / "records" / "proxylm" / "intent_experiments.csv").is_file()
    # in a folder without ../shared beside it, --records defaults to the fetched files
    (tmp_path / "work").mkdir()
    listed = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "records", "problems"], capture_output=True,
                            text=True, timeout=300, env=env, cwd=tmp_path / "work", check=False)
    assert listed.returncode == 0, listed.stderr
    assert "massive_intent: 2601 units" in listed.stdout and "mt560: 1954 units" in listed.stdout


def test_if_needed_fetches_nothing_where_records_are_found(tmp_path, records_dir):
    env = {**__import__("os").environ, "PROXYLM_HARNESS_CACHE": str(tmp_path / "cache"),
           "PROXYLM_RECORDS": str(records_dir)}
    result = subprocess.run([sys.executable, "-m", "proxylm_harness.cli.harness", "records", "fetch", "--if-needed",
                             "--base-url", "http://127.0.0.1:9/"], capture_output=True, text=True, timeout=120,
                            env=env, check=False)
    assert result.returncode == 0 and "nothing fetched" in result.stderr
    assert not (tmp_path / "cache" / "records").exists()
