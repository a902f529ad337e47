"""Files the product touches, handled one way: replaced atomically, read with a size limit, looked at without raising.

:func:`atomic_write` is used for the active-model state, personalised and exported models,
training checkpoints and captured face crops; it honours the process's umask (``UMask=0077`` in
the units makes them ``0600``). :func:`read_limited` reads small files (the config, the
active-model state) without blocking on a named pipe or reading ``/dev/zero`` forever, and
:func:`inspect_path` says what a configured path is (or why it cannot be looked at) without ever
raising, whatever the name: too long, under a folder this user may not enter, a named pipe.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: A temporary file of :func:`atomic_write`: ``.<name>.<8 random characters>.tmp``.
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
#: A temporary file older than this was left by a write that was killed (a write takes seconds).
STALE_TEMP_SECONDS = 600.0


class NotAFileError(OSError):
    """A path that should be a regular file is a folder, a named pipe, a device or a socket."""


@dataclass(frozen=True)
class PathInfo:
    """What a path is, found without raising.

    Attributes:
        kind: ``file``, ``folder``, ``fifo``, ``socket``, ``device``, ``missing`` or
            ``unreachable`` (it cannot be looked at: permission denied, name too long...).
        reason: For ``unreachable``, why, in a few words.
    """

    kind: str
    reason: str = ""

    @property
    def usable_file(self) -> bool:
        """A regular file (or a symbolic link to one)."""
        return self.kind == "file"

    def describe(self) -> str:
        """A few words for messages: ``a named pipe``, ``missing``, ``unreachable (permission denied)``."""
        words = {"fifo": "a named pipe (FIFO)", "socket": "a socket", "device": "a device", "folder": "a folder"}
        if self.kind == "unreachable":
            return f"unreachable ({self.reason})"
        return words.get(self.kind, self.kind)


def os_reason(exc: BaseException) -> str:
    """An OS error in a few words, without the (possibly huge) file name: ``permission denied``."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def inspect_path(path: str | Path) -> PathInfo:
    """What ``path`` is (links followed); never raises, whatever the name."""
    try:
        return PathInfo(_kind(os.stat(path).st_mode))
    except (FileNotFoundError, NotADirectoryError):
        return PathInfo("missing")
    except OSError as exc:
        return PathInfo("unreachable", os_reason(exc))
    except (ValueError, TypeError) as exc:  # an embedded NUL byte
        return PathInfo("unreachable", str(exc))


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a small regular file, refusing anything else without blocking.

    Args:
        path: The file.
        limit: The most bytes it may hold.

    Raises:
        FileNotFoundError: It does not exist.
        NotAFileError: It is a folder, a named pipe, a device or a socket, or larger than ``limit``.
        OSError: It cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except ValueError as exc:  # an embedded NUL byte
        raise NotAFileError(str(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFileError(f"not a regular file but {PathInfo(_kind(mode)).describe()}")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 16, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise NotAFileError(f"larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask, read without changing it (Linux), else by setting it back at once."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temps(folder: Path, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Delete :func:`atomic_write` temporary files that a killed write left in ``folder``; how many went."""
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not _TEMP_NAME.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > older_than:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a torn one.

    The bytes go to a temporary file in the same folder, are fsynced, and the file is renamed
    over ``path`` with :func:`os.replace`; the folder is fsynced too so the rename survives a
    power cut. A failure removes the temporary file and leaves ``path`` as it was; temporary
    files that an earlier, killed write left behind are removed.

    Args:
        path: The file to write.
        data: Its new contents.
        mode: Permission bits of the new file; the default is ``0666`` less the umask, as for any
            new file (a umask never adds permissions to ``mode`` either).

    Raises:
        OSError: The folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, (0o666 if mode is None else mode) & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
