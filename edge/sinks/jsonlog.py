"""Headless logging: what was shown, as JSON lines. Expressions only, never images.

``[log] lines`` chooses what is written besides the run's first line and the summaries:

``changes`` (the default)
    one line each time what the screen shows changes (an emoji, "not sure", nobody, camera
    lost), and one per photo of an image folder: what a shop counting reactions needs, at a
    few MB a day (docs/reliability.md has the arithmetic).
``frames``
    one line per processed frame (one per ``every`` frames): every face's box and
    probabilities and everything needed to decide the run again (``emojify replay``).
``summaries``
    the summaries only.

Start (one per run, first)::

    {"type": "start", "ts": ..., "source": "video file clip.mp4", "detector": "blazeface",
     "model": "emotion_int8.tflite", "delegate": "cpu", "lines": "frames", "every": 1,
     "smoothing": {"time_constant": 0.25, ...}}

Frame (``lines = "frames"``)::

    {"ts": "2026-11-25T17:30:00.123+00:00", "frame": 12,
     "faces": [{"box": [x, y, w, h], "emotion": "happy", "confidence": 0.91,
                "scores": {"angry": 0.01, ...}, "id": 0}],
     "decision": "happy", "state": "face", "latency_ms": {"capture": 1.2, ...},
     "t": 0.8, "confidence": 0.87, "primary": 0, "person": 0}

``t`` is the frame's time in seconds (media time for a file, the camera's monotonic clock live),
``confidence`` the averaged probability of the emoji shown (of the leader when unsure),
``primary`` the index in ``faces`` of the face that drives the screen (``null`` while it is out
of sight), ``person`` its id, ``faces[].id`` which person each face is; ``"still": true`` marks
a photo decided on its own. Every line is valid JSON (a NaN is written as ``null``, see
:mod:`edge.sinks.json_text`). Scores are written exactly (the shortest text that reads back to
the same 32-bit number), so a replay with the same settings decides every frame the same.

Change (``lines = "changes"``)::

    {"type": "change", "ts": ..., "frame": 185, "t": 12.33, "decision": "happy",
     "state": "face", "confidence": 0.87, "faces": 1, "previous": "unsure", "previous_s": 1.27}

``previous`` is what was shown before (an emotion or a state), ``previous_s`` for how long.

Writes to a file are gathered and made every ``flush_interval`` seconds (and at the end of the
run), so that the SD card sees a few writes an hour instead of one per line; a power cut loses
at most that much of the log. Standard output gets every line at once.

While the camera is lost a frame or change line also has ``"camera_fault"``: ``"no_device"``,
``"unplugged"``...

Summary (every ``summary_interval`` seconds)::

    {"type": "summary", "ts": ..., "interval_s": 60.0, "frames": 1800, "fps": 30.0,
     "counts": {"happy": 1200, ...}, "states": {"face": 1500, "no_face": 300, ...}}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
import numpy as np

from edge.core.labels import LABELS
from edge.core.types import FrameReport, RunInfo
from edge.sinks.base import SinkSetup
from edge.sinks.json_text import to_json
from edge.sinks.line_writer import LineWriter
from edge.sinks.summary import SummaryCounter, iso_now


def exact(value: float) -> float:
    """The shortest number that reads back as the same 32-bit float (``0.9765625``, not ``0.976562...``)."""
    return float(str(np.float32(value)))


def frame_record(report: FrameReport, ts: str) -> dict[str, Any]:
    """The JSON object for one frame (see the module docstring)."""
    faces = []
    ids = report.face_ids
    for i, face in enumerate(report.faces):
        top = face.top
        entry: dict[str, Any] = {
            "box": list(face.box.as_tuple()),
            "emotion": LABELS[top],
            "confidence": round(float(face.scores[top]), 4),
            "scores": {label: exact(v) for label, v in zip(LABELS, face.scores, strict=True)},
        }
        if i < len(ids):
            entry["id"] = ids[i]
        faces.append(entry)
    decision = report.decision
    record: dict[str, Any] = {
        "ts": ts,
        "frame": report.frame.index,
        "faces": faces,
        "decision": decision.label,
        "state": decision.state,
        "latency_ms": {k: round(v, 3) for k, v in report.latency_ms.items()},
        "t": report.frame.timestamp,
        "confidence": round(float(decision.confidence), 4),
        "primary": report.primary,
        "person": report.person,
    }
    if report.frame.still:
        record["still"] = True
    if report.camera_fault:
        record["camera_fault"] = report.camera_fault  # why the camera is lost (edge.sources.base.CAMERA_FAULTS)
    return record


def change_record(report: FrameReport, ts: str, previous: str | None, previous_s: float | None) -> dict[str, Any]:
    """The JSON object for a change of what is shown (see the module docstring)."""
    decision = report.decision
    record: dict[str, Any] = {
        "type": "change",
        "ts": ts,
        "frame": report.frame.index,
        "t": round(report.frame.timestamp, 3),
        "decision": decision.label,
        "state": decision.state,
        "confidence": round(float(decision.confidence), 4),
        "faces": len(report.faces),
        "previous": previous,
        "previous_s": None if previous_s is None else round(previous_s, 3),
    }
    if report.frame.still:
        record["still"] = True
    if report.camera_fault:
        record["camera_fault"] = report.camera_fault
    return record


#: Lines held back at most before they are written anyway (bounds the memory of a busy log).
MAX_PENDING = 4096


class JsonLogSink:
    """Writes a start line, frame or change lines, and summaries.

    Args:
        writer: Where lines go (file with rotation, or stdout).
        every: With ``lines = "frames"``, write one frame line per this many frames.
        summary_interval: Seconds between summary lines (when no shared ``summary`` is given).
        clock: Monotonic clock for the summary interval.
        summary: The run's shared summary counter (see :mod:`edge.sinks.summary`).
        lines: ``frames``, ``changes`` or ``summaries`` (see the module docstring).
        smoothing: The run's ``[smoothing]`` settings, recorded in the start line.
        flush_interval: Seconds between writes to a file (0: write each line at once).
    """

    def __init__(
        self,
        writer: LineWriter,
        every: int = 1,
        summary_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        summary: SummaryCounter | None = None,
        lines: str = "frames",
        smoothing: Mapping[str, Any] | None = None,
        flush_interval: float = 0.0,
    ) -> None:
        self.writer = writer
        self.clock = clock
        self.flush_interval = flush_interval if writer.path is not None else 0.0
        self._pending: list[str] = []
        self._flush_due = clock() + self.flush_interval
        self.every = max(1, every)
        self.summary = summary or SummaryCounter(summary_interval, clock)
        self.lines = lines
        self.smoothing = dict(smoothing or {})
        self._seen = 0
        self._shown: str | None = None
        self._shown_at = 0.0

    def open(self, info: RunInfo | None = None) -> None:
        """Write the run's start line (the file itself opens on the first write)."""
        info = info or RunInfo()
        start = {
            "type": "start",
            "ts": iso_now(),
            "source": info.source,
            "detector": info.detector,
            "model": info.model,
            "delegate": info.delegate,
            "lines": self.lines,
            "every": self.every,
            "smoothing": self.smoothing,
        }
        self._write(start)

    def _write(self, record: Mapping[str, Any]) -> None:
        """Write a line now, or gather it for the next flush (see the module docstring)."""
        line = to_json(record)
        if self.flush_interval <= 0:
            self.writer.write(line)
            return
        self._pending.append(line)
        if len(self._pending) >= MAX_PENDING or self.clock() >= self._flush_due:
            self.flush()

    def flush(self) -> None:
        """Write the gathered lines."""
        pending, self._pending = self._pending, []
        for line in pending:
            self.writer.write(line)
        self._flush_due = self.clock() + self.flush_interval

    def handle(self, report: FrameReport) -> None:
        """Log one frame (as the ``lines`` setting says) and, when due, the summary."""
        if self.lines == "frames":
            if self._seen % self.every == 0:
                self._write(frame_record(report, iso_now()))
        elif self.lines == "changes":
            self._log_change(report)
        self._seen += 1
        summary = self.summary.add(report)
        if summary is not None:
            self._write(summary)

    def _log_change(self, report: FrameReport) -> None:
        shown, now = report.decision.shown, report.frame.timestamp
        if shown == self._shown and not report.frame.still:
            return
        held = now - self._shown_at if self._shown is not None else None
        self._write(change_record(report, iso_now(), self._shown, held))
        self._shown, self._shown_at = shown, now

    #: Why this sink asks the loop to stop (see :meth:`poll_quit`).
    quit_reason = "standard output closed"

    def poll_quit(self) -> bool:
        """True once standard output was closed by its reader (``| head``); a file log never asks to quit."""
        return self.writer.output_closed

    def close(self) -> None:
        """Write a last summary for the partial interval and close the file."""
        if self._seen:
            self._pending.append(to_json(self.summary.flush()))
        self.flush()
        self.writer.close()


def json_lines(setup: SinkSetup) -> JsonLogSink:
    """JSON lines to the configured file (or standard output), sharing the run's summary."""
    log = setup.config.log
    return JsonLogSink(
        LineWriter(setup.log_path, log.max_bytes, log.backups),
        log.every,
        summary=setup.summary,
        lines=log.lines,
        smoothing=msgspec.structs.asdict(setup.config.smoothing),
        flush_interval=log.flush_interval,
    )


def from_config(setup: SinkSetup) -> JsonLogSink | None:
    """JSON lines when headless, or next to a screen when a log file is configured (see :mod:`edge.sinks.registry`)."""
    return json_lines(setup) if setup.display == "none" or setup.log_path is not None else None
