"""Long-run health check: the shipped pipeline on a replayed clip, sampled over time.

Runs :meth:`edge.pipeline.loop.Pipeline.run` as the services run it, built by the one assembly
from the built-in defaults: ``headless`` (JSON lines to a temporary file, with the shipped
rotation, as ``emojify-headless.service``) or ``kiosk`` (the fullscreen kiosk at 800x480, as
``emojify-kiosk.service``, drawn by SDL's ``dummy`` driver when no screen is there). An observer
samples resident memory, open file descriptors, threads and the per-frame time at regular
intervals; the report compares the start and the end of the run after a warm-up, and
:meth:`SoakReport.growth` says what grew beyond :class:`GrowthLimits`. ``scripts/soak.py`` is
the wrapper.
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
from edge.pipeline.preflight import check_config

#: What a soak can run: the two services.
MODES = ("headless", "kiosk")
#: The kiosk's surface in a soak (the Raspberry Pi 7" touch screen).
KIOSK_SIZE = (800, 480)


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


@dataclass(frozen=True)
class GrowthLimits:
    """How much may grow between the start (after warm-up) and the end of a soak.

    Attributes:
        rss_mb: Resident memory, MB.
        fds: Open file descriptors.
        threads: Threads.
    """

    rss_mb: float = 1.0
    fds: int = 0
    threads: int = 0


#: Samples kept at most (2.8 MB); a longer run keeps every other one each time it fills up.
MAX_SAMPLES = 50_000
#: The fields of a :class:`SoakSample`, in order.
SAMPLE_FIELDS = ("t", "frames", "rss_mb", "fds", "frame_ms", "threads", "frame_p95_ms")


@dataclass
class SoakSample:
    """One sample of the process's health."""

    t: float
    frames: int
    rss_mb: float
    fds: int
    frame_ms: float
    threads: int = 0
    frame_p95_ms: float = 0.0


@dataclass
class SoakReport:
    """Start-versus-end comparison of a soak run (after ``warmup_s``)."""

    samples: list[SoakSample] = field(default_factory=list)
    mode: str = "headless"
    warmup_s: float = 0.0

    def _settled(self) -> list[SoakSample]:
        settled = [s for s in self.samples if s.t >= self.warmup_s]
        return settled if len(settled) >= 2 else self.samples

    def summary(self) -> dict[str, Any]:
        """Start and end values (median of the first and last 10 % of the samples after warm-up) and their change."""
        settled = self._settled()
        n = max(1, len(settled) // 10)
        head, tail = settled[:n], settled[-n:]

        def med(rows: list[SoakSample], attr: str) -> float:
            return float(np.median([getattr(r, attr) for r in rows]))

        last = self.samples[-1]
        out: dict[str, Any] = {
            "mode": self.mode,
            "duration_s": round(last.t, 1),
            "frames": last.frames,
            "fps": round(last.frames / last.t, 2) if last.t > 0 else 0.0,
            "warmup_s": self.warmup_s,
            "compared_from_s": round(head[0].t, 1),
        }
        for attr in ("rss_mb", "fds", "threads", "frame_ms", "frame_p95_ms"):
            start, end = med(head, attr), med(tail, attr)
            out[attr] = {"start": round(start, 3), "end": round(end, 3), "change": round(end - start, 3)}
        out["rss_mb"]["max"] = round(max(s.rss_mb for s in self.samples), 2)
        return out

    def growth(self, limits: GrowthLimits) -> list[str]:
        """What grew more than ``limits`` allow (empty when the run stayed flat)."""
        summary = self.summary()
        problems = []
        for attr, unit in (("rss_mb", "MB"), ("fds", "fds"), ("threads", "threads")):
            change, limit = summary[attr]["change"], getattr(limits, attr)
            if change > limit:
                problems.append(f"{self.mode}: {attr} grew by {change:g} {unit} (limit {limit:g})")
        return problems


class Sampler:
    """Observer: every ``sample_every`` seconds, RSS, fds, threads and the frame time since the last sample.

    Frame time is the processing time without capture (which includes the pacing wait), sinks included.
    """

    def __init__(self, sample_every: float, capacity: int = 4096) -> None:
        self.sample_every = sample_every
        # The samples live in the process they measure: a list of objects would grow by ~100 KB an
        # hour at one sample per 10 s and read as a leak. Rows of one array, written through
        # before the run starts, keep the sampler's own memory flat.
        self._rows = np.full((max(2, capacity), len(SAMPLE_FIELDS)), np.nan)
        self._count = 0
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
            if self._count == len(self._rows):  # more samples than planned: keep every other one
                kept = self._rows[::2].copy()
                self._rows[: len(kept)] = kept
                self._rows[len(kept) :] = np.nan
                self._count = len(kept)
                self.sample_every *= 2
            self._rows[self._count] = (
                now - self._started,
                self.frames,
                rss_mb(),
                open_fds(),
                self._window.median(),
                thread_count(),
                self._window.percentile(95),
            )
            self._count += 1
            self._window.clear()
            self._next = now + self.sample_every

    def report(self) -> SoakReport:
        """The samples taken so far, as a report (made after the run, outside what it measures)."""
        samples = [
            SoakSample(t, int(frames), rss, int(fds), ms, int(threads), p95)
            for t, frames, rss, fds, ms, threads, p95 in self._rows[: self._count].tolist()
        ]
        return SoakReport(samples=samples)


def _settings(mode: str, folder: Path) -> dict[str, dict[str, Any]]:
    """The service's settings on top of the built-in defaults (never this machine's config file)."""
    settings: dict[str, dict[str, Any]] = {"model": {"threads": 1, "delegate": "cpu"}}
    if mode == "headless":
        settings["display"] = {"mode": "none"}
        settings["log"] = {"path": str(folder / "soak.jsonl")}
    else:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # no screen needed; a real one is used if set
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        settings["display"] = {"mode": "kiosk", "width": KIOSK_SIZE[0], "height": KIOSK_SIZE[1]}
    return settings


def soak(
    source_spec: str,
    duration: float,
    sample_every: float = 10.0,
    realtime: bool = True,
    mode: str = "headless",
    warmup: float | None = None,
) -> SoakReport:
    """Run the shipped pipeline of one service on a looping clip for ``duration`` seconds.

    Args:
        source_spec: A video file (looped) or ``demo``.
        duration: Seconds to run.
        sample_every: Seconds between samples.
        realtime: Pace the clip at its own frame rate, as a camera would (else as fast as possible).
        mode: ``headless`` or ``kiosk`` (see :data:`MODES`).
        warmup: Seconds left out of the start-versus-end comparison (default: a tenth of the run,
            at least 10 s and at most 5 minutes).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    sampler = Sampler(sample_every, capacity=min(MAX_SAMPLES, int(duration / sample_every) + 8))
    with tempfile.TemporaryDirectory(prefix="emojify-soak-") as tmp:
        config = build_config(_settings(mode, Path(tmp)), "soak")
        check_config(config)
        display = "none" if mode == "headless" else "kiosk"
        pipeline = build_pipeline(config, display, source=replay_source(source_spec, realtime), observers=[sampler])
        pipeline.run(duration=duration)
    report = sampler.report()
    report.mode = mode
    report.warmup_s = warmup if warmup is not None else min(300.0, max(10.0, duration / 10))
    return report
