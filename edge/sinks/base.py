"""What every sink is, and what the registry hands each sink factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edge.config.schema import Config
from edge.core.types import FrameReport, RunInfo
from edge.sinks.summary import SummaryCounter


class Sink(Protocol):
    """Consumes frame reports."""

    def open(self, info: RunInfo) -> None:
        """Acquire resources (window, file, connection). Raise :class:`edge.core.errors.EmojifyError` with a fix."""
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


class NullSink:
    """A sink that does nothing (the kiosk's fallback when a file log already records everything)."""

    def open(self, info: RunInfo | None = None) -> None:
        """Nothing to acquire."""

    def handle(self, report: FrameReport) -> None:
        """Nothing to do."""

    def poll_quit(self) -> bool:
        """Never asks to quit."""
        return False

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class SinkSetup:
    """What a sink factory in :data:`edge.sinks.registry.SINKS` builds from.

    Attributes:
        config: The whole configuration.
        display: The resolved display: ``kiosk``, ``window`` or ``none`` (headless).
        log_path: The JSON log file, or ``None`` for standard output.
        summary: The run's one summary counter, shared by every sink that reports summaries.
    """

    config: Config
    display: str
    log_path: Path | None
    summary: SummaryCounter
