"""Video files (any container and codec the installed OpenCV/FFmpeg reads).

By default every frame is returned in order, as fast as the caller reads (for tests, benchmarks
and recorded-data regression). ``realtime=True`` plays the file like a camera instead: frames are
paced to the file's frame rate and, when the caller falls behind, the frames it missed are
skipped (latest frame wins).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.core.errors import SourceError
from edge.core.image import to_gray, to_rgb
from edge.core.types import Frame
from edge.sources.base import SourceOptions

log = logging.getLogger(__name__)

#: Frame rate assumed when the file does not say.
DEFAULT_FPS = 30.0


class VideoFileSource:
    """Frames from a video file.

    ``Frame.index`` counts file frames from 0 and keeps counting across loops, so frames skipped
    in realtime mode leave gaps.

    Args:
        path: The video file.
        loop: Start again at the end instead of returning ``None``.
        realtime: Pace to the file's frame rate and drop frames when behind.
        preview: Also produce an RGB ``Frame.preview``.
        clock: Monotonic clock (``Frame.timestamp`` and realtime pacing).
        sleep: Sleep function for realtime pacing.
    """

    live = False

    def __init__(
        self,
        path: str | Path,
        loop: bool = False,
        realtime: bool = False,
        *,
        preview: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        self.loop = loop
        self.realtime = realtime
        self.preview = preview
        self._clock = clock
        self._sleep = sleep
        self.name = f"video file {self.path}" + (" (looping)" if loop else "")
        self.fps = DEFAULT_FPS
        self._capture: Any = None
        self._pending: np.ndarray | None = None  # first frame, read by open() to prove the file decodes
        self._consumed = 0  # file frames read or skipped so far, across loops
        self._start: float | None = None
        self.dropped = 0

    @classmethod
    def from_spec(cls, spec: str, options: SourceOptions) -> VideoFileSource:
        """The video file named by ``spec`` (see :mod:`edge.sources.registry`)."""
        return cls(Path(spec).expanduser(), loop=options.loop, preview=options.preview)

    def open(self) -> None:
        """Open the file and decode its first frame.

        Raises:
            SourceError: The file is missing, or OpenCV cannot decode it.
        """
        self.close()
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        capture = cv2.VideoCapture(str(self.path))
        ok, image = capture.read() if capture.isOpened() else (False, None)
        if not ok or image is None:
            capture.release()
            raise SourceError(
                f"cannot read video file {self.path}: not a video OpenCV can decode (try MJPG .avi or H.264 .mp4)"
            )
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1.0 <= fps <= 240.0 else DEFAULT_FPS
        self._capture = capture
        self._pending = image
        self._consumed = 0
        self._start = None
        self.dropped = 0
        log.info("%s opened (%.3g fps)", self.name, self.fps)

    def _next_image(self) -> np.ndarray | None:
        """The next decoded frame of the file, rewinding once at the end when looping."""
        if self._pending is not None:
            image, self._pending = self._pending, None
            return image
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        if ok and image is not None:
            return image
        if not self.loop:
            return None
        # Reopening is more reliable than seeking for every container.
        self._capture.release()
        self._capture = cv2.VideoCapture(str(self.path))
        ok, image = self._capture.read()
        if not ok or image is None:
            log.warning("%s: could not restart the loop", self.name)
            return None
        return image

    def _skip_to_schedule(self) -> None:
        """Realtime mode: sleep until the next frame is due, or skip the frames that are overdue."""
        now = self._clock()
        if self._start is None:
            self._start = now
            return
        due = self._start + self._consumed / self.fps
        if now < due:
            self._sleep(due - now)
            return
        behind = int((now - self._start) * self.fps) - self._consumed
        for _ in range(max(0, behind)):
            if self._pending is not None:
                self._pending = None
            elif self._capture is None or not self._capture.grab():
                break  # at the end: let read() handle end / loop
            self._consumed += 1
            self.dropped += 1

    def read(self) -> Frame | None:
        """The next frame, or ``None`` at the end of the file (never when looping)."""
        if self._capture is None and self._pending is None:
            return None
        if self.realtime:
            self._skip_to_schedule()
        image = self._next_image()
        if image is None:
            self.close()
            return None
        frame = Frame(
            gray=to_gray(image),
            index=self._consumed,
            timestamp=self._consumed / self.fps,  # media time: smoothing is the same at any read speed
            preview=to_rgb(image) if self.preview else None,
        )
        self._consumed += 1
        return frame

    def close(self) -> None:
        """Release the file; safe to call twice."""
        capture, self._capture = self._capture, None
        self._pending = None
        if capture is not None:
            capture.release()
