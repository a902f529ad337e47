"""Long-run health check: the shipped pipeline on a replayed clip, sampled over time.

Runs :meth:`edge.pipeline.loop.Pipeline.run` headless (JSON lines to a temporary file, with the
shipped rotation) and samples resident memory, open file descriptors, threads and per-frame time
at regular intervals from an observer, then compares the first and last parts of the run.
``scripts/soak.py`` is the wrapper.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.config.loader import build_config
from edge.core.stats import Window
from edge.core.types import FrameReport
from edge.harness.clip import replay_source
from edge.pipeline.assembly import build_pipeline


def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux ``/proc``)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def open_fds() -> int:
    """Number of open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


def thread_count() -> int:
    """Number of threads of this process."""
    return len(os.listdir("/proc/self/task"))


@dataclass
class SoakSample:
    """One sample of the process's health."""

    t: float
    frames: int
    rss_mb: float
    fds: int
    frame_ms: float
    threads: int = 0


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
        for attr in ("rss_mb", "fds", "threads", "frame_ms"):
            start, end = med(head, attr), med(tail, attr)
            out[attr] = {"start": round(start, 3), "end": round(end, 3), "change": round(end - start, 3)}
        out["rss_mb"]["max"] = round(max(s.rss_mb for s in self.samples), 2)
        return out


class Sampler:
    """Observer: every ``sample_every`` seconds, RSS, fds, threads and the median frame time since the last sample.

    Frame time is the processing time without capture (which includes the pacing wait), sinks included.
    """

    def __init__(self, sample_every: float) -> None:
        self.sample_every = sample_every
        self.report = SoakReport()
        self.frames = 0
        self._window = Window(8192)
        self._started = time.monotonic()
        self._next = self._started

    def observe(self, report: FrameReport, sinks_ms: float) -> None:
        """Count the pass; take a sample when one is due."""
        self._window.add(sum(v for k, v in report.latency_ms.items() if k != "capture") + sinks_ms)
        self.frames += 1
        now = time.monotonic()
        if now >= self._next:
            sample = SoakSample(
                now - self._started, self.frames, rss_mb(), open_fds(), self._window.median(), thread_count()
            )
            self.report.samples.append(sample)
            self._window.clear()
            self._next = now + self.sample_every


def soak(source_spec: str, duration: float, sample_every: float = 10.0, realtime: bool = True) -> SoakReport:
    """Run the shipped headless pipeline on a looping clip for ``duration`` seconds.

    Args:
        source_spec: A video file (looped) or ``demo``.
        duration: Seconds to run.
        sample_every: Seconds between samples.
        realtime: Pace the clip at its own frame rate, as a camera would (else as fast as possible).
    """
    sampler = Sampler(sample_every)
    with tempfile.TemporaryDirectory(prefix="emojify-soak-") as tmp:
        settings = {
            "model": {"threads": 1, "delegate": "cpu"},
            "display": {"mode": "none"},
            "log": {"path": str(Path(tmp) / "soak.jsonl")},
        }
        config = build_config(settings, "soak")  # the built-in defaults, not this machine's file
        pipeline = build_pipeline(config, "none", source=replay_source(source_spec, realtime), observers=[sampler])
        pipeline.run(duration=duration)
    return sampler.report
