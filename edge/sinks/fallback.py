"""A display that can disappear: fall back to headless logging instead of crashing.

With ``--display auto`` a display that fails to open, or fails mid-run (HDMI unplugged, DRM
master lost), turns into one WARNING and JSON lines. With ``--display kiosk`` or ``window``
the person asked for a screen, so the failure is a clear :class:`edge.core.errors.DisplayError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge.core.errors import DisplayError
from edge.core.types import FrameReport, RunInfo
from edge.sinks.base import Sink

log = logging.getLogger(__name__)


class FallbackSink:
    """Use ``primary`` until it fails, then ``make_fallback()`` (or raise when ``required``).

    Args:
        primary: The display sink.
        make_fallback: Builds the replacement sink (called at most once).
        required: Raise :class:`DisplayError` instead of falling back.
        what: Name used in messages.
    """

    def __init__(self, primary: Sink, make_fallback: Callable[[], Sink], required: bool, what: str = "display") -> None:
        self.primary = primary
        self.make_fallback = make_fallback
        self.required = required
        self.what = what
        self._active: Sink = primary
        self._info = RunInfo()
        self.failed = False

    def _fail(self, exc: Exception) -> None:
        if self.required:
            raise DisplayError(
                f"the {self.what} failed ({exc}); check the screen and cable, or run with --display none"
            ) from exc
        log.warning("the %s failed (%s); continuing headless with JSON lines", self.what, exc)
        self.failed = True
        try:
            self.primary.close()
        except Exception:
            log.debug("closing the failed %s raised", self.what, exc_info=True)
        self._active = self.make_fallback()
        self._active.open(self._info)

    def open(self, info: RunInfo | None = None) -> None:
        """Open the display, or the fallback when it cannot be opened."""
        self._info = info or RunInfo()
        try:
            self.primary.open(self._info)
        except Exception as exc:
            self._fail(exc)

    def handle(self, report: FrameReport) -> None:
        """Pass the report on; a failing display is replaced by the fallback."""
        try:
            self._active.handle(report)
        except DisplayError:
            raise
        except Exception as exc:
            if self._active is not self.primary:
                raise
            self._fail(exc)
            self._active.handle(report)

    def poll_quit(self) -> bool:
        """Whether the active sink asks to quit."""
        try:
            return self._active.poll_quit()
        except Exception as exc:
            if self._active is not self.primary:
                raise
            self._fail(exc)
            return False

    def close(self) -> None:
        """Close whichever sink is active."""
        self._active.close()
