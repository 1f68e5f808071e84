"""Stream a record CSV: its header, then its records in chunks (cells stripped, each with its physical line).

The file is decoded as it is read, so no copy of the whole text is ever held; a file that is not UTF-8 is refused
naming the line and column of the first bad byte.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .layouts import PathLike, RecordsError

__all__ = ["CHUNK_ROWS", "RecordStream", "open_records"]

#: Records handed over at a time: small enough that their cells (Python strings) stay a few megabytes.
CHUNK_ROWS = 128
# A NUL, or a byte that is not UTF-8 (``surrogateescape`` turns it into U+DC80..U+DCFF).
_BAD_TEXT = re.compile("[\x00\udc80-\udcff]")


class RecordStream:
    """The header (stripped cells) and an iterator of ``(lines, rows)`` chunks of the records below it."""

    def __init__(self, path, records: Iterator):
        self.path = path
        self._records = records
        first = next(self._records, None)
        if first is None:
            raise RecordsError("the file is empty (no header, no records)", path=path, line=1,
                               hint="a record file needs a header line and at least one record")
        self.header = first[1]

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[tuple[list, list]]:
        """``(lines, rows)``: up to ``size`` records (lists of stripped cells) and their 1-based first lines."""
        lines, rows = [], []
        for line, cells in self._records:
            lines.append(line)
            rows.append(cells)
            if len(rows) == size:
                yield lines, rows
                lines, rows = [], []
        if rows:
            yield lines, rows


@contextmanager
def open_records(path: PathLike):
    """Yield a ``RecordStream`` over the file at ``path``; refuse unreadable, empty and non-UTF-8 files."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise RecordsError(f"cannot read the file ({error.strerror or error})", path=path,
                           hint="pass a record CSV file, a directory of them, or a list of those") from None
    with handle:
        if handle.peek(2)[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise RecordsError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); expected UTF-8",
                               path=path, line=1, hint="re-save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`")
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
        yield RecordStream(path, _records(_checked_lines(text, path), path))


def _checked_lines(text, path) -> Iterator[str]:
    for line in text:
        if _BAD_TEXT.search(line):
            raise encoding_error(path)
        yield line


def _records(lines: Iterator[str], path) -> Iterator[tuple[int, list]]:
    """``(first line, stripped cells)`` of every record that is not blank."""
    reader = csv.reader(lines)
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            yield start, list(map(str.strip, record))
    except csv.Error as error:
        hint = "check the quoting on that line"
        if "field limit" in str(error):
            hint = f"a cell is over {csv.field_size_limit()} characters: is this a record file?"
        raise RecordsError(f"malformed CSV ({error})", path=path, line=reader.line_num, hint=hint) from None


def encoding_error(path) -> RecordsError:
    """The error for a file holding a NUL byte or bytes that are not UTF-8 (re-reads it to say where)."""
    data = Path(path).read_bytes()
    if b"\x00" in data:
        return _encoding_error(data, data.index(b"\x00"), path, "a NUL byte (UTF-16 or binary data?)")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _encoding_error(data, error.start, path, f"byte 0x{data[error.start]:02x}, which is not UTF-8")
    return RecordsError("the file is not valid UTF-8", path=path, hint="re-save the file as UTF-8")


def _encoding_error(data: bytes, offset: int, path, what: str) -> RecordsError:
    line_start = data.rfind(b"\n", 0, offset) + 1
    field_index = data.count(b",", line_start, offset)
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
    column = header[field_index].strip() if field_index < len(header) else None
    return RecordsError(
        f"the file is not valid UTF-8: found {what} at byte offset {offset}; expected UTF-8 text",
        path=path, line=data.count(b"\n", 0, offset) + 1, column=column,
        hint="re-save the file as UTF-8 (if it is Latin-1/cp1252: `iconv -f latin1 -t UTF-8`)",
    )
