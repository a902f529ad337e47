"""Raspberry Pi camera through picamera2 (libcamera).

The fast path: a preview configuration with a ``lores`` YUV420 stream at the pipeline's size;
the first ``height`` rows of ``capture_array("lores")`` are the Y plane, so the grey frame costs
nothing. The 640x480 ``main`` stream (RGB888, which is B,G,R in memory) is only read when a
preview is asked for. ``queue=False`` makes every capture wait for a fresh frame (latest frame
wins).

picamera2 exists only on Raspberry Pi OS (apt ``python3-picamera2``), so it is imported in
:meth:`Picamera2Source.open`, never at module import.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from edge.core.errors import SourceError
from edge.core.types import Frame
from edge.sources.base import CameraLostError, SourceOptions

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "picamera2 is not installed: on Raspberry Pi OS run sudo apt install python3-picamera2 and create the venv "
    "with --system-site-packages (./setup.sh does this)"
)
NO_CAMERA = "no Pi camera found: check the ribbon cable and run 'rpicam-hello --list-cameras'"
MAIN_SIZE = (640, 480)


def import_picamera2() -> Any:
    """Import and return the ``Picamera2`` class.

    Raises:
        SourceError: picamera2 is not installed (with the fix).
    """
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise SourceError(NOT_INSTALLED, fault="not_installed") from exc
    return Picamera2


def y_plane(yuv420: np.ndarray, width: int, height: int) -> np.ndarray:
    """The grey ``(height, width)`` image inside a YUV420 array of shape ``(height * 3 / 2, stride)``.

    picamera2 keeps the row padding (``stride >= width``), so both dimensions are cut.

    Raises:
        CameraLostError: The array is too small to hold a ``width`` x ``height`` Y plane.
    """
    if yuv420.ndim != 2 or yuv420.shape[0] < height or yuv420.shape[1] < width:
        raise CameraLostError(
            f"lores buffer has shape {yuv420.shape}, expected at least ({height * 3 // 2}, {width})", fault="bad_frames"
        )
    return np.ascontiguousarray(yuv420[:height, :width], dtype=np.uint8)


class Picamera2Source:
    """The Pi camera (CSI ribbon) via picamera2.

    Args:
        width: Width of the grey (lores) frames.
        height: Height of the grey (lores) frames.
        preview: Also capture the 640x480 main stream as ``Frame.preview`` (RGB).
        camera_num: Which camera, for boards with two.
        stall_timeout: Seconds without a frame before :class:`CameraLostError`.
        clock: Monotonic clock for ``Frame.timestamp``.
    """

    live = True

    def __init__(
        self,
        width: int = 320,
        height: int = 240,
        preview: bool = False,
        *,
        camera_num: int = 0,
        stall_timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"lores size must be positive and even, got {width}x{height}")
        self.width = width
        self.height = height
        self.preview = preview
        self.camera_num = camera_num
        self.stall_timeout = stall_timeout
        self._clock = clock
        self.name = f"picamera2 (lores {width}x{height} Y plane)"
        self._camera: Any = None
        self._index = 0
        self._wait_has_timeout: bool | None = None

    @classmethod
    def from_spec(cls, spec: str, options: SourceOptions) -> Picamera2Source:
        """The Pi camera for ``picamera2`` (see :mod:`edge.sources.registry`)."""
        return cls(width=options.width, height=options.height, preview=options.preview)

    def open(self) -> None:
        """Open, configure and start the camera.

        Raises:
            SourceError: picamera2 is missing, there is no camera, or it cannot be configured.
        """
        picamera2_class = import_picamera2()
        try:
            camera = picamera2_class(self.camera_num)
        except (IndexError, RuntimeError) as exc:
            raise SourceError(NO_CAMERA, fault="no_device") from exc
        try:
            config = camera.create_preview_configuration(
                main={"size": MAIN_SIZE, "format": "RGB888"},
                lores={"size": (self.width, self.height), "format": "YUV420"},
                buffer_count=4,
                queue=False,
            )
            camera.configure(config)
            camera.start()
        except Exception as exc:
            _close_quietly(camera)
            raise SourceError(
                f"the Pi camera could not be started with a {self.width}x{self.height} lores stream ({exc}); "
                "try the default 320x240 or check 'rpicam-hello --list-cameras'",
                fault="no_device",
            ) from exc
        self._camera = camera
        self._index = 0
        log.info("%s opened", self.name)

    def read(self) -> Frame:
        """The next fresh frame.

        Raises:
            CameraLostError: The capture failed or no frame came within ``stall_timeout``.
        """
        camera = self._camera
        if camera is None:
            raise CameraLostError("the Pi camera is not open")
        names = ["lores", "main"] if self.preview else ["lores"]
        try:
            job = camera.capture_arrays(names, wait=False)
            arrays, _metadata = self._wait(camera, job)
        except TimeoutError as exc:
            cancel = getattr(camera, "cancel_all_and_flush", None)
            if cancel is not None:
                try:
                    cancel()  # drop the pending capture job so it cannot return a stale frame later
                except Exception as cancel_exc:
                    log.debug("picamera2 cancel_all_and_flush() failed: %s", cancel_exc)
            raise CameraLostError(f"the Pi camera gave no frame for {self.stall_timeout:g} s", fault="stalled") from exc
        except Exception as exc:
            raise CameraLostError(f"the Pi camera capture failed: {exc}", fault="unplugged") from exc
        gray = y_plane(np.asarray(arrays[0]), self.width, self.height)
        rgb = None
        if self.preview:
            main = np.asarray(arrays[1])
            if main.ndim != 3 or main.shape[2] < 3 or main.size == 0:
                raise CameraLostError(f"main buffer has shape {main.shape}, expected (h, w, 3)", fault="bad_frames")
            # RGB888 is B,G,R in memory: reverse the channels for an RGB preview.
            rgb = np.ascontiguousarray(main[:, :, 2::-1])
        frame = Frame(gray=gray, index=self._index, timestamp=self._clock(), preview=rgb)
        self._index += 1
        return frame

    def _wait(self, camera: Any, job: Any) -> Any:
        """Wait for a capture job for at most ``stall_timeout`` seconds (raises ``TimeoutError``)."""
        if self._wait_has_timeout is None:
            try:
                self._wait_has_timeout = "timeout" in inspect.signature(camera.wait).parameters
            except (TypeError, ValueError):
                self._wait_has_timeout = True
        if self._wait_has_timeout:
            return camera.wait(job, timeout=self.stall_timeout)
        # Older picamera2 (before wait() took a timeout): the job is a Future-backed Job.
        return job.get_result(timeout=self.stall_timeout)

    def close(self) -> None:
        """Stop and release the camera; safe to call twice."""
        camera, self._camera = self._camera, None
        if camera is not None:
            _close_quietly(camera)
            log.debug("%s closed", self.name)


def _close_quietly(camera: Any) -> None:
    """Stop and close a Picamera2 object, logging (not raising) errors from a broken camera."""
    for method in ("stop", "close"):
        try:
            getattr(camera, method)()
        except Exception as exc:
            log.debug("picamera2 %s() failed: %s", method, exc)
