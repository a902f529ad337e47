"""Long-run health check: the real pipeline on a replayed clip, sampled over time.

Samples resident memory, open file descriptors and per-frame time at regular intervals and
compares the first and last parts of the run. ``scripts/soak.py`` is the wrapper.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux ``/proc``)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def open_fds() -> int:
    """Number of open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


@dataclass
class SoakSample:
    """One sample of the process's health."""

    t: float
    frames: int
    rss_mb: float
    fds: int
    frame_ms: float


@dataclass
class SoakReport:
    """Start-versus-end comparison of a soak run."""

    samples: list[SoakSample] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Start and end values (median of the first and last 10 % of samples) and their change."""
        n = max(1, len(self.samples) // 10)
        head, tail = self.samples[:n], self.samples[-n:]

        def med(rows: list[SoakSample], attr: str) -> float:
            return float(np.median([getattr(r, attr) for r in rows]))

        out: dict[str, Any] = {"duration_s": round(self.samples[-1].t, 1), "frames": self.samples[-1].frames}
        for attr in ("rss_mb", "fds", "frame_ms"):
            start, end = med(head, attr), med(tail, attr)
            out[attr] = {"start": round(start, 3), "end": round(end, 3), "change": round(end - start, 3)}
        out["rss_mb"]["max"] = round(max(s.rss_mb for s in self.samples), 2)
        return out


def soak(source_spec: str, duration: float, sample_every: float = 10.0, realtime: bool = True) -> SoakReport:
    """Run the headless pipeline on a looping clip for ``duration`` seconds.

    Args:
        source_spec: A video file (looped) or ``demo``.
        duration: Seconds to run.
        sample_every: Seconds between samples.
        realtime: Pace the clip at its own frame rate, as a camera would (else as fast as possible).
    """
    from edge.core.smoothing import DecisionSmoother
    from edge.faces.registry import make_detector
    from edge.inference.classifier import ExpressionClassifier
    from edge.paths import DEFAULT_MODEL
    from edge.pipeline import Analyzer, Pipeline
    from edge.sinks.jsonlog import JsonLogSink
    from edge.sinks.lines import LineWriter
    from edge.sources.demo import DemoSource
    from edge.sources.video import VideoFileSource

    source: Any = (
        DemoSource(fps=30.0 if realtime else 0.0)
        if source_spec == "demo"
        else VideoFileSource(Path(source_spec), loop=True, realtime=realtime)
    )
    analyzer = Analyzer(make_detector("blazeface"), ExpressionClassifier(DEFAULT_MODEL, num_threads=1, delegate="cpu"))
    sink = JsonLogSink(LineWriter(Path(os.devnull), max_bytes=1 << 62), summary_interval=60.0)
    pipeline = Pipeline(source, analyzer, DecisionSmoother(), [sink])
    report = SoakReport()
    source.open()
    sink.open()
    started = time.monotonic()
    next_sample = started
    frames = 0
    window: list[float] = []
    try:
        while time.monotonic() - started < duration:
            report_ = pipeline.step()
            if report_ is None:
                break
            # processing time without capture (which includes the pacing wait)
            window.append(sum(v for k, v in report_.latency_ms.items() if k != "capture"))
            frames += 1
            now = time.monotonic()
            if now >= next_sample:
                median = float(np.median(window)) if window else 0.0
                report.samples.append(SoakSample(now - started, frames, rss_mb(), open_fds(), median))
                window = []
                next_sample = now + sample_every
    finally:
        sink.close()
        source.close()
    return report
