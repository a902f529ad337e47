"""Headless logging: one JSON line per processed frame and a summary every interval.

Expressions only, never images. Line format (per frame)::

    {"ts": "2026-11-25T17:30:00.123+00:00", "frame": 12,
     "faces": [{"box": [x, y, w, h], "emotion": "happy", "confidence": 0.91,
                "scores": {"angry": 0.01, ...}}],
     "decision": "happy", "state": "face", "latency_ms": {"capture": 1.2, ...}}

While the camera is lost the line also has ``"camera_fault"``: ``"no_device"``, ``"unplugged"``...

Summary (every ``summary_interval`` seconds)::

    {"type": "summary", "ts": ..., "interval_s": 60.0, "frames": 1800, "fps": 30.0,
     "counts": {"happy": 1200, ...}, "states": {"face": 1500, "no_face": 300, ...}}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from edge.core.labels import LABELS
from edge.core.types import FrameReport, RunInfo
from edge.sinks.base import SinkSetup
from edge.sinks.json_text import to_json
from edge.sinks.line_writer import LineWriter
from edge.sinks.summary import SummaryCounter, iso_now


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
    record = {
        "ts": ts,
        "frame": report.frame.index,
        "faces": faces,
        "decision": report.decision.label,
        "state": report.decision.state,
        "latency_ms": {k: round(v, 3) for k, v in report.latency_ms.items()},
    }
    if report.camera_fault:
        record["camera_fault"] = report.camera_fault  # why the camera is lost (edge.sources.base.CAMERA_FAULTS)
    return record


class JsonLogSink:
    """Writes frame lines (every ``every``-th frame) and summaries.

    Args:
        writer: Where lines go (file with rotation, or stdout).
        every: Write one frame line per this many frames.
        summary_interval: Seconds between summary lines (when no shared ``summary`` is given).
        clock: Monotonic clock for the summary interval.
        summary: The run's shared summary counter (see :mod:`edge.sinks.summary`).
    """

    def __init__(
        self,
        writer: LineWriter,
        every: int = 1,
        summary_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        summary: SummaryCounter | None = None,
    ) -> None:
        self.writer = writer
        self.every = max(1, every)
        self.summary = summary or SummaryCounter(summary_interval, clock)
        self._seen = 0

    def open(self, info: RunInfo | None = None) -> None:
        """Nothing to acquire: the file opens on the first write."""

    def handle(self, report: FrameReport) -> None:
        """Log one frame (thinned by ``every``) and, when due, the summary."""
        if self._seen % self.every == 0:
            self.writer.write(to_json(frame_record(report, iso_now())))
        self._seen += 1
        summary = self.summary.add(report)
        if summary is not None:
            self.writer.write(to_json(summary))

    #: Why this sink asks the loop to stop (see :meth:`poll_quit`).
    quit_reason = "standard output closed"

    def poll_quit(self) -> bool:
        """True once standard output was closed by its reader (``| head``); a file log never asks to quit."""
        return self.writer.output_closed

    def close(self) -> None:
        """Write a last summary for the partial interval and close the file."""
        if self._seen:
            self.writer.write(to_json(self.summary.flush()))
        self.writer.close()


def json_lines(setup: SinkSetup) -> JsonLogSink:
    """JSON lines to the configured file (or standard output), sharing the run's summary."""
    log = setup.config.log
    return JsonLogSink(LineWriter(setup.log_path, log.max_bytes, log.backups), log.every, summary=setup.summary)


def from_config(setup: SinkSetup) -> JsonLogSink | None:
    """JSON lines when headless, or next to a screen when a log file is configured (see :mod:`edge.sinks.registry`)."""
    return json_lines(setup) if setup.display == "none" or setup.log_path is not None else None
