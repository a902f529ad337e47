"""USB / V4L2 cameras through OpenCV (``opencv:0``, ``/dev/video0``).

A background thread reads the camera as fast as it delivers and keeps only the newest frame
(latest frame wins: no queue, so a slow pipeline never sees stale frames). :meth:`read` hands
out the newest frame it has not handed out yet, waiting for one when needed.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from edge.core.errors import SourceError
from edge.core.image import to_gray, to_rgb
from edge.core.types import Frame
from edge.sources.base import CameraLostError, SourceOptions
from edge.system.files import inspect_path

log = logging.getLogger(__name__)

REQUEST_SIZE = (640, 480)
#: Consecutive failed reads in the grabber thread before the camera counts as lost.
MAX_FAILED_READS = 10
#: Seconds :meth:`OpenCVCameraSource.close` waits for the grabber thread (a hung driver keeps it).
CLOSE_WAIT = 0.5

#: Grabber threads stuck in a driver read, by device: at most one each; the device is not opened
#: again while its thread is stuck (a hung driver must not cost a thread per reconnect).
_stuck: dict[str, threading.Thread] = {}
_stuck_lock = threading.Lock()


#: OpenCV's log level for errors only (``cv::utils::logging::LOG_LEVEL_ERROR``).
OPENCV_LOG_ERROR = 2


def quiet_opencv_log(cv: Any) -> None:
    """Let OpenCV print errors only, through whichever API this OpenCV has.

    ``cv2.utils.logging`` exists from 4.12; 4.11 (the last release for numpy 1.x, so the one a
    Bookworm Pi gets) has only ``cv2.setLogLevel``.
    """
    api = getattr(getattr(cv, "utils", None), "logging", None)
    if api is not None:
        api.setLogLevel(api.LOG_LEVEL_ERROR)
    elif hasattr(cv, "setLogLevel"):
        cv.setLogLevel(OPENCV_LOG_ERROR)


def stuck_reader(device: int | str) -> threading.Thread | None:
    """The grabber thread of ``device`` that is still stuck in a driver read, if any."""
    with _stuck_lock:
        thread = _stuck.get(str(device))
        if thread is not None and not thread.is_alive():
            del _stuck[str(device)]
            thread = None
        return thread


def _device_path(device: int | str) -> str:
    return f"/dev/video{device}" if isinstance(device, int) else device


def open_fault(device: int | str) -> str:
    """Why ``device`` did not open, as a camera-fault key: ``no_device`` or ``permission``."""
    path = _device_path(device)
    info = inspect_path(path)
    if info.kind == "missing":
        return "no_device"
    if info.kind == "unreachable" or not os.access(path, os.R_OK | os.W_OK):
        return "permission"
    return "no_device"


def _default_capture(device: int | str) -> Any:
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    return cv2.VideoCapture(device, backend)


class OpenCVCameraSource:
    """A camera opened with ``cv2.VideoCapture`` (V4L2 on Linux).

    Args:
        device: Camera number (``0``) or device path (``"/dev/video0"``).
        preview: Also produce an RGB ``Frame.preview``.
        stall_timeout: Seconds without a new frame before :class:`CameraLostError`.
        start_timeout: Seconds allowed for the first frame after :meth:`open` (cameras warm up).
        clock: Monotonic clock for ``Frame.timestamp``.
        capture_factory: Makes the capture object from ``device`` (tests pass a fake).
    """

    live = True

    def __init__(
        self,
        device: int | str,
        preview: bool = False,
        *,
        stall_timeout: float = 2.0,
        start_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        capture_factory: Callable[[int | str], Any] = _default_capture,
    ) -> None:
        self.device = device
        self.preview = preview
        self.stall_timeout = stall_timeout
        self.start_timeout = max(start_timeout, stall_timeout)
        self._clock = clock
        self._factory = capture_factory
        self.name = f"opencv camera {device}"
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._latest: np.ndarray | None = None
        self._latest_time = 0.0
        self._seq = 0  # frames grabbed
        self._taken = 0  # value of _seq when read() last returned
        self._error: str | None = None
        self._index = 0

    @classmethod
    def from_spec(cls, spec: str, options: SourceOptions) -> OpenCVCameraSource:
        """The camera for ``opencv:N`` or ``/dev/videoN`` (see :mod:`edge.sources.registry`)."""
        return cls(int(spec.split(":", 1)[1]) if spec.startswith("opencv:") else spec, preview=options.preview)

    def open(self) -> None:
        """Open the camera and start the grabber thread.

        Raises:
            SourceError: The device cannot be opened.
        """
        self.close()
        if stuck_reader(self.device) is not None:
            raise CameraLostError(
                f"{self.name}: the driver is still stuck in a read; the camera is opened again when it returns",
                fault="stalled",
            )
        if not log.isEnabledFor(logging.DEBUG):  # OpenCV's own "[ WARN:0@...]" lines on every retry
            quiet_opencv_log(cv2)
        try:
            capture = self._factory(self.device)
        except Exception as exc:
            raise SourceError(self._open_hint(str(exc)), fault=open_fault(self.device)) from exc
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            raise SourceError(self._open_hint("it did not open"), fault=open_fault(self.device))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, REQUEST_SIZE[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, REQUEST_SIZE[1])
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        with self._cond:
            self._latest = None
            self._seq = self._taken = 0
            self._error = None
        self._index = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._grab, args=(capture, self._stop), name=f"grab-{self.device}", daemon=True
        )
        self._thread.start()
        log.info("%s opened", self.name)

    def _open_hint(self, why: str) -> str:
        return (
            f"cannot open camera {self.device} ({why}): check it is plugged in, that your user is in the 'video' "
            "group and that 'v4l2-ctl --list-devices' lists it"
        )

    def _grab(self, capture: Any, stop: threading.Event) -> None:
        """Grabber thread: keep only the newest frame; owns (and finally releases) ``capture``."""
        failures = 0
        try:
            while not stop.is_set():
                try:
                    ok, image = capture.read()
                except Exception as exc:  # a driver error surfaces here as cv2.error
                    ok, image = False, None
                    log.debug("%s: read raised %s", self.name, exc)
                if not ok or image is None:
                    failures += 1
                    if failures >= MAX_FAILED_READS:
                        with self._cond:
                            if not stop.is_set():  # a closed session's thread must not touch the next one
                                self._error = f"{self.name}: {failures} reads in a row failed"
                                self._cond.notify_all()
                        return
                    stop.wait(0.01)
                    continue
                failures = 0
                now = self._clock()
                with self._cond:
                    if stop.is_set():
                        return
                    self._latest, self._latest_time = image, now
                    self._seq += 1
                    self._cond.notify_all()
        finally:
            capture.release()
            with self._cond:
                if self._error is None and not stop.is_set():
                    self._error = f"{self.name}: the grabber stopped"
                self._cond.notify_all()

    def read(self) -> Frame:
        """The newest frame not returned yet (waits for one up to the stall timeout).

        Raises:
            CameraLostError: Reads fail, or no new frame arrives within ``stall_timeout``.
        """
        if self._thread is None:
            raise CameraLostError(f"{self.name} is not open")
        timeout = self.stall_timeout if self._index else self.start_timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._seq == self._taken:
                if self._error is not None:
                    raise CameraLostError(self._error, fault="unplugged")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CameraLostError(f"{self.name} gave no frame for {timeout:g} s", fault="stalled")
                self._cond.wait(remaining)
            image, stamp = self._latest, self._latest_time
            self._taken = self._seq
        gray, rgb = self._convert(image)
        frame = Frame(gray=gray, index=self._index, timestamp=stamp, preview=rgb)
        self._index += 1
        return frame

    def _convert(self, image: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Grey (and RGB) 8-bit images from what the driver handed over.

        Raises:
            CameraLostError: The driver said ok but the picture is empty, of an odd shape or type.
        """
        try:
            if not isinstance(image, np.ndarray) or image.size == 0 or image.dtype.kind not in "ui":
                raise ValueError("not an image")
            return to_gray(image), (to_rgb(image) if self.preview else None)
        except (ValueError, TypeError, cv2.error) as exc:
            shape = getattr(image, "shape", None)
            kind = getattr(image, "dtype", type(image).__name__)
            raise CameraLostError(
                f"{self.name} sent a broken frame ({shape}, {kind}): {exc}", fault="bad_frames"
            ) from None

    def close(self) -> None:
        """Stop the grabber thread, which releases the device; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=CLOSE_WAIT)
        if thread.is_alive():
            with _stuck_lock:
                _stuck[str(self.device)] = thread
            log.warning("%s: the driver is stuck in a read; the camera is opened again once it returns", self.name)
        with self._cond:
            self._latest = None
        log.debug("%s closed", self.name)
