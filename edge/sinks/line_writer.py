"""A line writer for JSON logs that never crashes the product and never splits a line.

Writes whole lines with one ``write`` call each, rotates by size before a line would overflow
the limit (``log.jsonl`` -> ``log.jsonl.1`` ...), and survives a full disk or a read-only or
deleted folder: it warns once, drops lines while failing, counts them, and tries again every
``retry_seconds``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)


class LineWriter:
    """Append lines to a file (with rotation) or to stdout.

    Args:
        path: Log file, or ``None`` for standard output.
        max_bytes: Rotate before the file would grow past this size.
        backups: Rotated files to keep.
        retry_seconds: After a write error, wait this long before trying again.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        path: Path | None,
        max_bytes: int = 10_000_000,
        backups: int = 3,
        retry_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.dropped = 0
        self._handle: TextIO | None = None
        self._size = 0
        self._failing_since: float | None = None
        self._next_try = 0.0

    def write(self, line: str) -> bool:
        """Write one line (a newline is added). Returns False when it had to be dropped."""
        data = line.rstrip("\n") + "\n"
        if self.path is None:
            sys.stdout.write(data)
            sys.stdout.flush()
            return True
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

    def _write_file(self, data: str) -> None:
        assert self.path is not None
        encoded = len(data.encode("utf-8"))
        if self._handle is None or not self.path.exists():
            self._open()
        if self._size and self._size + encoded > self.max_bytes:
            self._rotate()
        assert self._handle is not None
        self._handle.write(data)
        self._handle.flush()
        self._size += encoded

    def _open(self) -> None:
        assert self.path is not None
        self._close_handle()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose
        self._size = self._handle.tell()

    def _rotate(self) -> None:
        assert self.path is not None
        self._close_handle()
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
                exc,
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
