"""A line writer for JSON logs that never crashes the product, never blocks on a named pipe, and never tears a line.

Each line is written with ``write`` calls on a raw descriptor opened with ``O_APPEND`` until all
of it is out. When the disk fills up half-way through a line, the file is cut back to where the
line began (``ftruncate``), so after the disk comes back every line in the file is whole: a
short write never leaves half a line for the next record to be glued to. The file rotates by size
before a line would overflow the limit (``log.jsonl`` -> ``log.jsonl.1`` ...). A full disk or a
read-only, deleted or unreachable folder gives one warning; lines are dropped and counted while
it fails and the file is tried again every ``retry_seconds``. The file is opened without
blocking, so a named pipe without a reader is a failure like any other instead of a hang.

Standard output (no path) is written the same way; when the reader goes away (``| head -1``)
:attr:`LineWriter.output_closed` turns true and the JSON sink asks the loop to stop.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from edge.system.files import NotAFileError, os_reason
from edge.system.stdio import silence_stdout

log = logging.getLogger(__name__)


class AppendTarget(Protocol):
    """What :class:`LineWriter` writes to: an open, append-only file (a fake one in tests)."""

    def size(self) -> int:
        """Bytes in the file now."""
        ...

    def write(self, data: bytes) -> int:
        """Write some of ``data``; how many bytes were written (``os.write`` semantics)."""
        ...

    def truncate(self, size: int) -> None:
        """Cut the file back to ``size`` bytes."""
        ...

    def close(self) -> None:
        """Release it."""
        ...


class AppendFile:
    """A file opened for appending with ``os.open`` (``O_APPEND | O_NONBLOCK`` at open, blocking writes).

    Raises:
        NotAFileError: The path is a folder, a named pipe or a socket.
        OSError: It cannot be opened (a named pipe without a reader gives ``ENXIO`` at once).
    """

    def __init__(self, path: Path) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
        self.fd = os.open(path, flags, 0o666)
        try:
            mode = os.fstat(self.fd).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
                raise NotAFileError("not a regular file")
            fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        except BaseException:
            os.close(self.fd)
            raise

    def size(self) -> int:
        """Bytes in the file now (0 for a device)."""
        return os.fstat(self.fd).st_size

    def write(self, data: bytes) -> int:
        """One ``os.write``."""
        return os.write(self.fd, data)

    def truncate(self, size: int) -> None:
        """``ftruncate``."""
        os.ftruncate(self.fd, size)

    def close(self) -> None:
        """Close the descriptor."""
        os.close(self.fd)


def write_all(target: AppendTarget, data: bytes) -> int:
    """Write every byte of ``data``; on an error, how much got out is in the exception's ``written`` attribute."""
    done = 0
    try:
        while done < len(data):
            count = target.write(data[done:])
            if count <= 0:
                raise OSError(errno.EIO, "the file took no bytes")
            done += count
    except OSError as exc:
        exc.written = done  # type: ignore[attr-defined]
        raise
    return done


class LineWriter:
    """Append lines to a file (with rotation) or to stdout.

    Args:
        path: Log file, or ``None`` for standard output.
        max_bytes: Rotate before the file would grow past this size.
        backups: Rotated files to keep.
        retry_seconds: After a write error, wait this long before trying again.
        clock: Monotonic clock (injectable for tests).
        opener: Opens the file for appending (tests pass a fake that fills up).
    """

    def __init__(
        self,
        path: Path | None,
        max_bytes: int = 10_000_000,
        backups: int = 3,
        retry_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        opener: Callable[[Path], AppendTarget] = AppendFile,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.opener = opener
        self.dropped = 0
        self.output_closed = False
        self._handle: AppendTarget | None = None
        self._size = 0
        self._cut_back_to: int | None = None  # a torn line could not be cut off yet: do it first
        self._failing_since: float | None = None
        self._next_try = 0.0

    def write(self, line: str) -> bool:
        """Write one line (a newline is added). Returns False when it had to be dropped."""
        data = (line.rstrip("\n") + "\n").encode("utf-8")
        if self.path is None:
            return self._write_stdout(data)
        now = self.clock()
        if self._failing_since is not None and now < self._next_try:
            self.dropped += 1
            return False
        try:
            self._write_file(data)
        except OSError as exc:
            self._fail(exc, now)
            self.dropped += 1
            return False
        if self._failing_since is not None:
            log.warning("log file %s is writable again; %d line(s) were dropped meanwhile", self.path, self.dropped)
            self._failing_since = None
        return True

    def _write_stdout(self, data: bytes) -> bool:
        if self.output_closed:
            self.dropped += 1
            return False
        try:
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
        except BrokenPipeError:
            self.output_closed = True
            self.dropped += 1
            silence_stdout()
            log.info("standard output was closed by its reader; stopping")
            return False
        return True

    def _write_file(self, data: bytes) -> None:
        assert self.path is not None
        if self._handle is None or not os.path.lexists(self.path):
            self._open()
        if self._size and self._size + len(data) > self.max_bytes:
            self._rotate()
        assert self._handle is not None
        if self._cut_back_to is not None:
            self._handle.truncate(self._cut_back_to)
            self._size, self._cut_back_to = self._cut_back_to, None
        start = self._size
        try:
            write_all(self._handle, data)
        except OSError as exc:
            if getattr(exc, "written", 0):
                self._cut_back(start)
            raise
        self._size = start + len(data)

    def _cut_back(self, start: int) -> None:
        """Remove the part of a line that got out before the write failed."""
        assert self._handle is not None
        try:
            self._handle.truncate(start)
        except OSError:
            self._cut_back_to = start  # done before the next line is written

    def _open(self) -> None:
        assert self.path is not None
        self._close_handle()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.opener(self.path)
        self._size = self._handle.size()
        if self._cut_back_to is not None and self._size < self._cut_back_to:
            self._cut_back_to = None  # another file now: nothing of ours to cut

    def _rotate(self) -> None:
        assert self.path is not None
        self._close_handle()
        self._cut_back_to = None
        for index in range(self.backups, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            newer = self.path.with_name(f"{self.path.name}.{index - 1}") if index > 1 else self.path
            if newer.exists():
                if index == self.backups and older.exists():
                    older.unlink()
                os.replace(newer, older)
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
        self._open()

    def _fail(self, exc: OSError, now: float) -> None:
        if self._failing_since is None:
            log.warning(
                "cannot write log file %s (%s); the app keeps running and retries every %.0f s",
                self.path,
                os_reason(exc),
                self.retry_seconds,
            )
            self._failing_since = now
        self._next_try = now + self.retry_seconds
        self._close_handle()

    def _close_handle(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None

    def close(self) -> None:
        """Close the file; safe to call twice."""
        self._close_handle()
