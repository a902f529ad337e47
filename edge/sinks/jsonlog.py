"""Headless logging: one JSON line per processed frame and a summary every interval.

Expressions only, never images. Line format (per frame)::

    {"ts": "2026-11-25T17:30:00.123+00:00", "frame": 12,
     "faces": [{"box": [x, y, w, h], "emotion": "happy", "confidence": 0.91,
                "scores": {"angry": 0.01, ...}}],
     "decision": "happy", "state": "face", "latency_ms": {"capture": 1.2, ...}}

Summary (every ``summary_interval`` seconds)::

    {"type": "summary", "ts": ..., "interval_s": 60.0, "frames": 1800, "fps": 30.0,
     "counts": {"happy": 1200, ...}, "states": {"face": 1500, "no_face": 300, ...}}
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge.core.labels import LABELS
from edge.core.types import FrameReport
from edge.sinks.lines import LineWriter


def iso_now() -> str:
    """Current UTC time, ISO-8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def frame_record(report: FrameReport, ts: str) -> dict[str, Any]:
    """The JSON object for one frame."""
    faces = []
    for face in report.faces:
        top = face.top
        faces.append(
            {
                "box": list(face.box.as_tuple()),
                "emotion": LABELS[top],
                "confidence": round(float(face.scores[top]), 4),
                "scores": {label: round(float(v), 4) for label, v in zip(LABELS, face.scores, strict=True)},
            }
        )
    return {
        "ts": ts,
        "frame": report.frame.index,
        "faces": faces,
        "decision": report.decision.label,
        "state": report.decision.state,
        "latency_ms": {k: round(v, 3) for k, v in report.latency_ms.items()},
    }


class SummaryCounter:
    """Counts decisions and frames over an interval (shared by the JSON and MQTT sinks)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._start = clock()
        self._frames = 0
        self._counts: Counter[str] = Counter()
        self._states: Counter[str] = Counter()

    def add(self, report: FrameReport) -> dict[str, Any] | None:
        """Count a frame; returns the summary when the interval is over, else ``None``."""
        self._frames += 1
        self._states[report.decision.state] += 1
        if report.decision.label:
            self._counts[report.decision.label] += 1
        now = self.clock()
        if now - self._start < self.interval:
            return None
        return self.flush(now)

    def flush(self, now: float | None = None) -> dict[str, Any]:
        """The summary of the frames counted so far; starts a new interval."""
        now = self.clock() if now is None else now
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


class JsonLogSink:
    """Writes frame lines (every ``every``-th frame) and summaries.

    Args:
        writer: Where lines go (file with rotation, or stdout).
        every: Write one frame line per this many frames.
        summary_interval: Seconds between summary lines.
        clock: Monotonic clock for the summary interval.
    """

    def __init__(
        self,
        writer: LineWriter,
        every: int = 1,
        summary_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.writer = writer
        self.every = max(1, every)
        self.summary = SummaryCounter(summary_interval, clock)
        self._seen = 0

    def open(self) -> None:
        """Nothing to acquire: the file opens on the first write."""

    def handle(self, report: FrameReport) -> None:
        """Log one frame (thinned by ``every``) and, when due, the summary."""
        if self._seen % self.every == 0:
            self.writer.write(json.dumps(frame_record(report, iso_now()), separators=(",", ":")))
        self._seen += 1
        summary = self.summary.add(report)
        if summary is not None:
            self.writer.write(json.dumps(summary, separators=(",", ":")))

    def poll_quit(self) -> bool:
        """Logging never asks to quit."""
        return False

    def close(self) -> None:
        """Write a last summary for the partial interval and close the file."""
        if self._seen:
            self.writer.write(json.dumps(self.summary.flush(), separators=(",", ":")))
        self.writer.close()
