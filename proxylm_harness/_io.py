"""File I/O every stage shares: atomic writes, JSON and ``.npz`` without pickle, SHA-256 of files."""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["UnlistedFileError", "atomic_path", "folder_digest", "unwritable_file", "unwritable_folder", "fix_mode", "from_json", "only_reading", "quote", "readable", "read_json", "read_npz", "sha256_file", "to_json",
           "write_json", "write_npz", "write_text"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fix_mode(path) -> None:
    """Give a file or folder made by ``tempfile`` (always 0600 / 0700) the mode ``open`` / ``mkdir`` would have
    given it: 0666 / 0777 without the user's umask."""
    os.chmod(path, (0o777 if os.path.isdir(path) else 0o666) & ~_umask())


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` (same suffix); rename it onto ``path`` on success.

    The file ends up with the user's umask applied, as if written in place.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        fix_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def quote(text, limit: int = 200) -> str:
    """``repr(text)``, cut to ``limit`` characters: an error quoting a cell or a line never prints megabytes."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 25] + f"... ({len(shown)} characters)"


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


class UnlistedFileError(OSError):
    """A loader asked for a file outside the set it may read (a predictor folder's manifest-listed files)."""

    def __init__(self, path):
        self.path = Path(path)
        super().__init__(f"{path} is not among the files this load may read")


_ALLOWED_READS: contextvars.ContextVar = contextvars.ContextVar("allowed_reads", default=None)


@contextmanager
def only_reading(paths):
    """Within the block, ``readable`` (and so ``read_json``/``read_npz``) refuses any file not in ``paths``."""
    token = _ALLOWED_READS.set(frozenset(Path(p).resolve() for p in paths))
    try:
        yield
    finally:
        _ALLOWED_READS.reset(token)


def readable(path) -> Path:
    """``path``, after checking that the current ``only_reading`` block (if any) allows reading it.

    Loaders call it for every file they open, their libraries' own formats included, so a predictor folder
    can be refused before a file its manifest does not vouch for is read.
    """
    path = Path(path)
    allowed = _ALLOWED_READS.get()
    if allowed is not None and path.resolve() not in allowed:
        raise UnlistedFileError(path)
    return path


def write_json(path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path) -> Any:
    path = readable(path)
    if not path.is_file():
        raise FileNotFoundError(f"No saved regressor file {path}.")
    return json.loads(path.read_text(encoding="utf-8"))


def write_npz(path, **arrays) -> None:
    """Write numeric arrays to ``path`` (a .npz that loads with ``allow_pickle=False``)."""
    import numpy as np

    for name, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"Array {name!r} has dtype object and cannot be saved without pickle.")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def read_npz(path) -> dict:
    import numpy as np

    with np.load(readable(path), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def folder_digest(folder) -> str:
    """``local:<16 hex>``, a digest of a folder's file names, sizes and modification times: how a local model is named
    (cheap: no file is read; a copied folder with its times kept is the same model)."""
    folder = Path(folder)
    entries = sorted((str(p.relative_to(folder)), p.stat().st_size, int(p.stat().st_mtime))
                     for p in folder.rglob("*") if p.is_file())
    return "local:" + hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def to_json(value):
    """Encode parameter values for JSON, keeping tuples and dicts with non-string keys intact."""
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and "__tuple__" not in value and "__items__" not in value:
            return {k: to_json(v) for k, v in value.items()}
        return {"__items__": [[to_json(k), to_json(v)] for k, v in value.items()]}
    if type(value).__module__ == "numpy":
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"Cannot save parameter value {value!r} of type {type(value).__name__} as JSON.")


def from_json(value):
    """Inverse of :func:`to_json`."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(from_json(v) for v in value["__tuple__"])
        if set(value) == {"__items__"}:
            return {_hashable(from_json(k)): from_json(v) for k, v in value["__items__"]}
        return {k: from_json(v) for k, v in value.items()}
    return value


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def unwritable_file(path, what: str) -> str | None:
    """Why ``path`` cannot be written as a file (a folder, or a folder that cannot be made or written), or None."""
    path = Path(path)
    if path.is_dir():
        return f"{what} {path} is a folder; it must name a file (e.g. {path / 'out.csv'})"
    folder = path.parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"{what} {path} cannot be made: {existing} is a file, not a folder"
    probe = folder if folder.exists() else existing
    if probe is not None and not os.access(probe, os.W_OK | os.X_OK):
        return f"{what} {path} cannot be written: no write permission in {probe}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{what} {path} cannot be written: the file is read-only"
    return None


def unwritable_folder(path, what: str) -> str | None:
    """Why a folder cannot be made at ``path`` or written into, or None."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        return f"{what} {path} is a file; it must name a folder"
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"{what} {path} cannot be made: {existing} is a file, not a folder"
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        return f"{what} {path} cannot be written: no write permission in {existing}"
    return None
