"""A SQLite file opened so that it never stops a run: WAL (two processes can write), a damaged file set aside, a
read-only file or folder used for reading only. The run cache (and any other store) sits on it."""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
import warnings
from pathlib import Path
from typing import Callable

__all__ = ["SqliteFile"]

#: Files up to this size are checked page by page when opened (``PRAGMA quick_check`` reads all of it); a larger one
#: is checked where it is used: a damaged page raises at the first read of it, and the file is then set aside.
_CHECKED_SIZE = 64 << 20


class SqliteFile:
    """One SQLite database at ``path``, opened on first use.

    ``create(connection)`` makes the schema (and may raise ``sqlite3.DatabaseError`` for a file of another schema).
    A file that fails ``PRAGMA quick_check``, or whose pages turn out damaged at first use, is renamed to
    ``*.corrupt-<time>`` with ``warning`` (a ``UserWarning`` subclass) and a new file started. A file or folder the
    user may not write is opened read-only, with a warning that nothing new will be kept; writes are then skipped.
    Where no file can be read or made at all, an in-memory database stands in, with a warning.
    """

    def __init__(self, path, create: Callable[[sqlite3.Connection], None], *, what: str,
                 warning: type[Warning] = UserWarning):
        self.path, self.create, self.what, self.warning = Path(path), create, what, warning
        self.read_only = False
        self._connection: sqlite3.Connection | None = None

    # -- opening -----------------------------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return self._in_memory(f"its folder cannot be made ({error.strerror or error})")
        writable = os.access(folder, os.W_OK | os.X_OK) and (not self.path.exists() or os.access(self.path, os.W_OK))
        if not writable:
            return self._open_read_only()
        try:
            return self._checked(sqlite3.connect(self.path, timeout=60, isolation_level=None), create=True)
        except sqlite3.OperationalError as error:
            if "locked" in str(error):  # another process holds it past the timeout: its data are fine
                raise
            if "readonly" in str(error) or "read-only" in str(error):  # a file system or attribute forbids writing
                return self._open_read_only()
            return self._set_aside(error)
        except sqlite3.DatabaseError as error:
            return self._set_aside(error)

    def _checked(self, connection: sqlite3.Connection, *, create: bool) -> sqlite3.Connection:
        try:
            if create:
                _wal(connection)
            connection.execute("PRAGMA busy_timeout=60000")
            if not self.path.exists() or self.path.stat().st_size <= _CHECKED_SIZE:
                (status,) = connection.execute("PRAGMA quick_check").fetchone()
                if status != "ok":
                    raise sqlite3.DatabaseError(f"quick_check: {status}")
            if create:
                self.create(connection)
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.exists():
            return self._in_memory("its folder is read-only")
        self.read_only = True
        uri = "file:" + urllib.parse.quote(str(self.path.resolve()))
        for mode in ("?mode=ro", "?mode=ro&immutable=1"):  # immutable: a WAL file whose -shm cannot be made
            try:
                connection = self._checked(sqlite3.connect(uri + mode, uri=True, isolation_level=None), create=False)
                break
            except sqlite3.DatabaseError as error:
                reason = error
        else:
            return self._in_memory(f"it is read-only and cannot be read ({reason})")
        warnings.warn(self.warning(
            f"The {self.what} {self.path} is read-only: it is used for reading, and new results will not be kept. "
            "Hint: make it writable, or point to another folder."), stacklevel=4)
        return connection

    def _set_aside(self, error) -> sqlite3.Connection:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError as move_error:
            return self._in_memory(f"it is unreadable ({error}) and cannot be moved aside ({move_error})")
        warnings.warn(self.warning(
            f"The {self.what} {self.path} is unreadable ({error}); it was moved to {aside} and a new one started, so "
            "its results are recomputed. Hint: delete the old file once you no longer need it."), stacklevel=4)
        return self._checked(sqlite3.connect(self.path, timeout=60, isolation_level=None), create=True)

    def _in_memory(self, why: str) -> sqlite3.Connection:
        warnings.warn(self.warning(f"The {self.what} {self.path} cannot be used: {why}. This run keeps its results in "
                                   "memory only. Hint: point to a folder you can write."), stacklevel=4)
        self.read_only = False
        connection = sqlite3.connect(":memory:", isolation_level=None)
        self.create(connection)
        return connection

    # -- use -----------------------------------------------------------------------------------------------------
    def execute(self, sql: str, parameters=()):
        """Run one statement (its own transaction); a file found damaged now is set aside and the statement run on a
        new one."""
        try:
            return self.connection().execute(sql, parameters)
        except sqlite3.DatabaseError as error:
            if self.read_only or isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            self.close()
            self._connection = self._set_aside(error)
            return self._connection.execute(sql, parameters)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _wal(connection: sqlite3.Connection, *, wait: float = 60.0) -> None:
    """Switch ``connection``'s file to WAL. Where another process is creating the same new file, SQLite answers
    "database is locked" at once, without its busy wait: try again for up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
