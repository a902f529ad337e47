"""What every frame source is.

A source yields :class:`edge.core.types.Frame` objects (grey image first). Live cameras keep only
the newest frame ("latest frame wins"); files and folders are read in order and end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from edge.core.types import Frame

#: Why a camera is lost, by key: the loop's ``camera_lost`` reports carry one of these keys
#: (:attr:`edge.core.types.FrameReport.camera_fault`); the screen shows a title and a fix for each.
CAMERA_FAULTS: dict[str, str] = {
    "not_installed": "the camera software is not installed",
    "no_device": "no camera is connected",
    "permission": "this user may not open the camera",
    "unplugged": "the camera stopped answering (unplugged?)",
    "stalled": "the camera driver is stuck",
    "bad_frames": "the camera sends broken pictures",
}


class CameraLostError(Exception):
    """The camera stopped delivering frames mid-run (unplugged, driver error, stall).

    Args:
        message: What happened, for the log.
        fault: Why, as a key of :data:`CAMERA_FAULTS`.
        stalled_for: Seconds the driver has been stuck without a break (set by
            :class:`~edge.sources.reconnect.ReconnectingSource`; the loop stops the watchdog after a limit).
    """

    def __init__(self, message: str, fault: str = "unplugged", stalled_for: float = 0.0) -> None:
        super().__init__(message)
        self.fault = fault if fault in CAMERA_FAULTS else "unplugged"
        self.stalled_for = stalled_for


def fault_of(exc: BaseException, default: str = "no_device") -> str:
    """The :data:`CAMERA_FAULTS` key an error carries (``fault``), else ``default``."""
    fault = getattr(exc, "fault", None)
    return fault if fault in CAMERA_FAULTS else default


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
