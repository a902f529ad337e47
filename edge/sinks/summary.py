"""The per-interval summary (frames, fps, decision and state counts), computed once per run.

Every sink that reports summaries (JSON lines, MQTT) holds the same :class:`SummaryCounter`:
the first sink to see a frame report counts it and the others get the same result, so the
numbers are computed once and are identical in the log and on the broker.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge.core.labels import LABELS
from edge.core.types import FrameReport

Summary = dict[str, Any]


def iso_now() -> str:
    """Current UTC time, ISO-8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SummaryCounter:
    """Counts decisions and frames over an interval; each report is counted once, however many sinks share it.

    Args:
        interval: Seconds between summaries (``log.summary_interval``).
        clock: Monotonic clock.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._start = clock()
        self._frames = 0
        self._counts: Counter[str] = Counter()
        self._states: Counter[str] = Counter()
        self._last: tuple[FrameReport | None, Summary | None] = (None, None)
        self._flushed: Summary | None = None

    def add(self, report: FrameReport) -> Summary | None:
        """Count a frame; the summary when the interval is over, else ``None`` (the same answer for the same report)."""
        last_report, last_summary = self._last
        if report is last_report:
            return last_summary
        self._flushed = None
        self._frames += 1
        self._states[report.decision.state] += 1
        if report.decision.label:
            self._counts[report.decision.label] += 1
        now = self.clock()
        summary = self._close_interval(now) if now - self._start >= self.interval else None
        self._last = (report, summary)
        return summary

    def flush(self) -> Summary:
        """The summary of the frames counted since the last one (at close; the same for every sink that asks)."""
        if self._flushed is None:
            self._flushed = self._close_interval(self.clock())
        return self._flushed

    def _close_interval(self, now: float) -> Summary:
        elapsed = max(now - self._start, 1e-9)
        summary = {
            "type": "summary",
            "ts": iso_now(),
            "interval_s": round(elapsed, 3),
            "frames": self._frames,
            "fps": round(self._frames / elapsed, 2),
            "counts": {label: self._counts.get(label, 0) for label in LABELS},
            "states": dict(self._states),
        }
        self._start = now
        self._frames = 0
        self._counts.clear()
        self._states.clear()
        return summary
