"""The process's standard streams at the descriptor level: native output caught, a closed pipe silenced.

The TFLite runtime prints ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` straight
to file descriptor 2 when an interpreter allocates its tensors: under systemd that is a bare,
unprioritised line in the journal on every start. :func:`captured_stderr` points descriptor 2
at a temporary file for the few milliseconds a call takes and returns what was written, so the
caller can log it at the right level. Anything else the process writes to standard error in that
moment (another thread's log line) is caught too and handed back, never lost.

:func:`silence_stdout` points descriptor 1 at ``/dev/null`` once its reader has gone
(``emojify ... | head -1``), so the interpreter's last flush does not fail a second time.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

#: The most bytes of caught output kept.
MAX_CAUGHT = 1 << 16


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Catch what is written to file descriptor 2 inside the block; the list holds its lines afterwards.

    When descriptor 2 cannot be redirected (closed, not a descriptor), nothing is caught and the
    block runs as it is.
    """
    lines: list[str] = []
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield lines
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read(MAX_CAUGHT).decode("utf-8", "replace").splitlines())


def silence_stdout() -> None:
    """Point descriptor 1 at ``/dev/null`` (its reader went away); never raises."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
