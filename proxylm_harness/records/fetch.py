"""ProxyLM's four record files, downloaded from its repository at a pinned commit and checked against SHA-256s kept here.

``fetch_records()`` stores them under the cache root (``_paths.fetched_records_dir()``), where ``--records`` looks when
no ``../shared`` is beside the checkout. A file is written only once its size and SHA-256 match; a partial or
altered download is refused and nothing half-written is kept.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .. import _paths
from .._io import atomic_path, sha256_file
from .layouts import RecordsError

__all__ = ["BASE_URL", "RECORD_FILES", "UPSTREAM_COMMIT", "RecordFile", "fetch_records"]

UPSTREAM_COMMIT = "ad0c95e1429cd419c10a1fbcb9b8146bf3e27b28"
BASE_URL = (f"https://raw.githubusercontent.com/davidanugraha/proxylm/{UPSTREAM_COMMIT}/"
            "src/proxy_regressor/csv_datasets/")


@dataclass(frozen=True)
class RecordFile:
    name: str
    sha256: str
    size: int


#: The files at ``UPSTREAM_COMMIT`` (``src/proxy_regressor/csv_datasets/``), with their SHA-256 and size in bytes.
RECORD_FILES = {f.name: f for f in (
    RecordFile("mt560_experiments.csv", "08cc181a2e5fff06ed3e703e2f5cf1a6d1e0f4b6eb7bfff423e54ba5fcf2c2c2", 1752099),
    RecordFile("nusa_experiments.csv", "142ba9df5cccb54be266d0f183f03a291a5e3135de0463588107aa7475bdc990", 169624),
    RecordFile("intent_experiments.csv", "ed49b08e51e50fe551c72d9f84881ccb69066e6a6afc53823603dcbe2054e3ce", 790525),
    RecordFile("slot_experiments.csv", "063175ff453f2d2ebe09bac5a4f6d34eb8daf4560022eae40defae83ad8413db", 806266),
)}


def fetch_records(*, base_url: str = BASE_URL, directory=None, names=None, timeout: float = 60.0,
                  files: dict | None = None) -> list[Path]:
    """Download the record files ``names`` (default: all four) into ``directory``; returns their paths.

    A file already there with the right SHA-256 is not downloaded again. ``files`` replaces ``RECORD_FILES`` (tests
    serve their own files). Raises ``RecordsError`` naming the file for a failed, partial or altered download.
    """
    files = RECORD_FILES if files is None else files
    names = list(files) if names is None else list(names)
    unknown = [n for n in names if n not in files]
    if unknown:
        raise RecordsError(f"unknown record file(s) {unknown}", hint=f"the record files are {sorted(files)}")
    folder = Path(directory) if directory is not None else _paths.fetched_records_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        expected, path = files[name], folder / name
        if not (path.is_file() and sha256_file(path) == expected.sha256):
            _download(base_url.rstrip("/") + "/" + name, path, expected, timeout)
        out.append(path)
    return out


def _download(url: str, path: Path, expected: RecordFile, timeout: float) -> None:
    digest, size = hashlib.sha256(), 0
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle, \
                urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 16), b""):
                digest.update(block)
                size += len(block)
                handle.write(block)
            if size != expected.size or digest.hexdigest() != expected.sha256:
                raise RecordsError(
                    f"the download from {url} is {size} bytes with SHA-256 {digest.hexdigest()[:16]}..., expected "
                    f"{expected.size} bytes with SHA-256 {expected.sha256[:16]}... (a partial or altered file); "
                    "nothing was kept", path=path, hint="run `proxylm-harness records fetch` again")
    except (OSError, urllib.error.URLError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        raise RecordsError(f"cannot download {url} ({reason}); nothing was kept", path=path,
                           hint="check the network, or pass --records with local copies of the files") from None
