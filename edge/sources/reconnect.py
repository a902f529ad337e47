"""Keep a live camera going through unplugs and stalls, without restarting the program.

:class:`ReconnectingSource` wraps any :class:`~edge.sources.Source`. When a live camera raises
:class:`~edge.sources.CameraLostError` it closes it and reopens it later with exponential backoff.
While the camera is away every :meth:`~ReconnectingSource.read` raises ``CameraLostError``
quickly (so the kiosk can show its "camera lost" state and keep its display alive) instead of
blocking until the camera is back. Each of those errors carries why the camera is away (a key of
:data:`~edge.sources.base.CAMERA_FAULTS`) and, while the driver is stuck, for how long it has
been stuck. A frame that is not a 2-D uint8 picture counts as a fault (``bad_frames``), whatever
the camera behind it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np

from edge.core.types import Frame
from edge.sources.base import CameraLostError, Source, fault_of

log = logging.getLogger(__name__)

#: Longest time a read() sleeps while waiting for the next reopen attempt.
MAX_WAIT_PER_READ = 0.1


class ReconnectingSource:
    """Reopen a live source after it is lost; pass other sources through unchanged.

    ``Frame.index`` keeps counting across reconnections.

    Args:
        inner: The source to wrap.
        clock: Monotonic clock in seconds.
        sleep: Sleep function (a read sleeps at most :data:`MAX_WAIT_PER_READ` while waiting).
        initial_backoff: Seconds before the first reopen attempt after a loss.
        max_backoff: Longest wait between two reopen attempts; the wait doubles after each failure.
        wait_at_start: A camera missing at start is an outage like any other (the kiosk stays up,
            says what to do and keeps trying) instead of an error.

    Attributes:
        lost: True while the camera is away.
        outages: How many times the camera was lost since :meth:`open`.
        attempts: Failed reopen attempts in the current outage.
        backoff: Wait before the next reopen attempt in the current outage.
        fault: Why the camera is away (a :data:`~edge.sources.base.CAMERA_FAULTS` key), ``None`` while it works.
    """

    def __init__(
        self,
        inner: Source,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        initial_backoff: float = 0.5,
        max_backoff: float = 10.0,
        wait_at_start: bool = False,
    ) -> None:
        if initial_backoff <= 0 or max_backoff < initial_backoff:
            raise ValueError("need 0 < initial_backoff <= max_backoff")
        self.inner = inner
        self.name = inner.name
        self.live = inner.live
        self._clock = clock
        self._sleep = sleep
        self.initial_backoff = initial_backoff
        self.wait_at_start = wait_at_start
        self.max_backoff = max_backoff
        self.lost = False
        self.outages = 0
        self.attempts = 0
        self.backoff = initial_backoff
        self._next_attempt = 0.0
        self._lost_at = 0.0
        self._index = 0
        self.fault: str | None = None
        self._stalled_since: float | None = None

    def open(self) -> None:
        """Open the inner source.

        Errors at start-up propagate (the person has to fix them), unless ``wait_at_start``:
        then the missing camera starts an outage and :meth:`read` keeps trying.
        """
        self.lost = False
        self.outages = 0
        self.attempts = 0
        self._index = 0
        self.fault, self._stalled_since = None, None
        try:
            self.inner.open()
        except Exception as exc:
            if not (self.wait_at_start and self.live):
                raise
            log.error("%s", exc)
            self._lose(exc)

    def read(self) -> Frame | None:
        """The inner source's next frame.

        Raises:
            CameraLostError: The camera is lost (or still away); call again to keep trying.
        """
        if not self.live:
            return self.inner.read()
        if self.lost and not self._try_reopen():
            raise self._error(f"{self.name}: camera lost, next attempt in {self._wait_left():.1f} s")
        try:
            frame = self.inner.read()
            if frame is not None:
                _check_frame(frame, self.name)
        except CameraLostError as exc:
            if self.lost:
                self._attempt_failed(exc)  # reopened but no frame yet: the same outage goes on
            else:
                self._lose(exc)
            raise self._error(str(exc)) from exc
        if self.lost:
            self._back()
        if frame is None:
            return None
        frame = dataclasses.replace(frame, index=self._index)
        self._index += 1
        return frame

    def _error(self, message: str) -> CameraLostError:
        """The error a read raises while the camera is away: the outage's cause and how long the driver is stuck."""
        stalled_for = self._clock() - self._stalled_since if self._stalled_since is not None else 0.0
        return CameraLostError(message, fault=self.fault or "unplugged", stalled_for=stalled_for)

    def _note(self, exc: Exception) -> None:
        """Remember why the camera is away; a stuck driver's time keeps counting until another cause or a frame."""
        self.fault = fault_of(exc, "unplugged" if isinstance(exc, CameraLostError) else "no_device")
        if self.fault != "stalled":
            self._stalled_since = None
        elif self._stalled_since is None:
            self._stalled_since = self._clock()

    def _wait_left(self) -> float:
        return max(0.0, self._next_attempt - self._clock())

    def _lose(self, exc: Exception) -> None:
        """Start an outage: close the camera and schedule the first reopen attempt."""
        now = self._clock()
        self.lost = True
        self.outages += 1
        self.attempts = 0
        self.backoff = self.initial_backoff
        self._lost_at = now
        self._next_attempt = now + self.backoff
        self._note(exc)
        log.warning("%s lost (%s); retrying in the background", self.name, exc)
        self._close_inner()

    def _try_reopen(self) -> bool:
        """Reopen when an attempt is due (sleeping a little first if one is nearly due)."""
        left = self._wait_left()
        if left > 0:
            self._sleep(min(left, MAX_WAIT_PER_READ))
            if self._wait_left() > 0:
                return False
        try:
            self.inner.open()
        except Exception as exc:  # SourceError (unplugged), CameraLostError, or a driver error
            self._attempt_failed(exc)
            return False
        return True

    def _attempt_failed(self, exc: Exception) -> None:
        """A reopen attempt failed: close, double the wait and schedule the next attempt."""
        self._note(exc)
        self._close_inner()
        self.attempts += 1
        self.backoff = min(self.backoff * 2.0, self.max_backoff)
        self._next_attempt = self._clock() + self.backoff
        log.debug("%s: reopen attempt %d failed (%s); next in %.1f s", self.name, self.attempts, exc, self.backoff)

    def _back(self) -> None:
        """The reopened camera delivered a frame: the outage is over."""
        self.lost = False
        log.info(
            "%s is back after %.1f s (%d failed attempts)", self.name, self._clock() - self._lost_at, self.attempts
        )
        self.attempts = 0
        self.backoff = self.initial_backoff
        self.fault = None
        self._stalled_since = None

    def _close_inner(self) -> None:
        try:
            self.inner.close()
        except Exception as exc:
            log.debug("%s: close failed: %s", self.name, exc)

    def close(self) -> None:
        """Close the inner source; safe to call twice."""
        self._close_inner()


def _check_frame(frame: Frame, name: str) -> None:
    """Refuse a frame that is not a non-empty 2-D uint8 picture (a camera that said ok and sent garbage).

    Raises:
        CameraLostError: With the ``bad_frames`` fault.
    """
    gray = frame.gray
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8 or gray.size == 0:
        shape = getattr(gray, "shape", None)
        raise CameraLostError(f"{name} gave a frame that is not a grey picture ({shape})", fault="bad_frames")
