"""What every frame source is.

A source yields :class:`edge.core.types.Frame` objects (grey image first). Live cameras keep only
the newest frame ("latest frame wins"); files and folders are read in order and end.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class SourceOptions:
    """How the chosen source is set up (``[camera]`` and the display's preview).

    Attributes:
        preview: Sources also produce RGB ``Frame.preview`` images.
        loop: Video files and image folders start again at the end.
        width: Grey frame width of the Pi camera (its lores stream).
        height: Grey frame height of the Pi camera.
    """

    preview: bool = False
    loop: bool = False
    width: int = 320
    height: int = 240
