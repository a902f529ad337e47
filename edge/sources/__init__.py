"""Frame sources: one module per backend, chosen once at start by :func:`make_source`.

A source yields :class:`edge.core.types.Frame` objects (grey image first). Live cameras keep only
the newest frame ("latest frame wins"); files and folders are read in order and end.
"""

from __future__ import annotations

from typing import Protocol

from edge.core.types import Frame


class CameraLostError(Exception):
    """The camera stopped delivering frames mid-run (unplugged, driver error, stall)."""


class Source(Protocol):
    """Where frames come from."""

    #: Human-readable description, e.g. ``"picamera2 (lores 320x240 Y plane)"``.
    name: str
    #: True for cameras (retry on failure), False for files that end.
    live: bool

    def open(self) -> None:
        """Acquire the device or file. Raises :class:`edge.core.errors.SourceError` with a fix."""
        ...

    def read(self) -> Frame | None:
        """The newest frame; ``None`` at the end of a file or folder.

        Raises:
            CameraLostError: A live camera failed or stalled.
        """
        ...

    def close(self) -> None:
        """Release the device; safe to call twice."""
        ...
