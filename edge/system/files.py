"""The one way the product replaces a file: readers see the old or the new file, never a torn one.

Used for the active-model state, personalised and exported models, training checkpoints and
captured face crops.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a torn one.

    The bytes go to a temporary file in the same folder, are fsynced, and the file is renamed
    over ``path`` with :func:`os.replace`; the folder is fsynced too so the rename survives a
    power cut. A failure removes the temporary file and leaves ``path`` as it was.

    Args:
        path: The file to write.
        data: Its new contents.
        mode: Permission bits of the new file.

    Raises:
        OSError: The folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
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
