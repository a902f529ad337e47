"""Sinks: where each :class:`edge.core.types.FrameReport` goes (screen, JSON log, MQTT...).

Headless is just a different list of sinks; nothing in the loop branches on it.
"""

from __future__ import annotations

from typing import Protocol

from edge.core.types import FrameReport


class Sink(Protocol):
    """Consumes frame reports."""

    def open(self) -> None:
        """Acquire resources (window, file). Raise :class:`edge.core.errors.EmojifyError` with a fix."""
        ...

    def handle(self, report: FrameReport) -> None:
        """Show or record one processed frame. Must not block the loop for long."""
        ...

    def poll_quit(self) -> bool:
        """True when the person asked to quit (q/Esc on the kiosk); False for other sinks."""
        ...

    def close(self) -> None:
        """Flush and release; safe to call twice."""
        ...
