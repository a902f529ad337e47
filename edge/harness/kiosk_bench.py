"""Kiosk benchmark: what the screen costs per frame, through the shipped loop, at a given size.

Builds the product with :func:`edge.pipeline.assembly.build_pipeline` in ``window`` mode (SDL's
dummy video driver unless ``SDL_VIDEODRIVER`` says otherwise) with no log file, so the kiosk is
the only sink and the loop's sink time *is* the kiosk's own stage. The source is a clip paced like
a camera (by default :func:`edge.harness.clip.make_kiosk_clip`: a face held still, then nobody).

Each pass is put in one class, from the reports alone (so any kiosk can be measured the same way):

* ``transition``: the screen (state, emoji, camera fault) changed less than the kiosk's
  transition time ago;
* ``static``: a face screen whose state, emoji, scores and confidence are exactly the previous
  pass's: nothing the kiosk shows can have changed (a still face on a still camera);
* ``scores``: a face screen whose scores moved (a live face: most passes);
* ``animated``: a screen without an emoji (idle, starting, camera lost), which animates.

Each pass is timed twice: the wall-clock time the loop measures around its sinks (what a frame
costs, including any time another process had the CPU) and the CPU time the loop's own thread
spent in the kiosk (:class:`CpuTimed`), which a busy machine does not inflate.

``scripts/benchmark.py --display kiosk`` is the command-line wrapper.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge import paths
from edge.config.loader import build_config
from edge.core.stats import Window
from edge.core.types import FrameReport
from edge.harness.clip import make_kiosk_clip, replay_source
from edge.pipeline.assembly import build_pipeline

#: The pass classes, in report order.
KINDS = ("transition", "static", "scores", "animated", "all")
#: The kiosk's cross-fade time (``KioskOptions.transition_ms``, the shipped default).
TRANSITION_S = 0.25


@dataclass(frozen=True)
class KindStats:
    """Kiosk milliseconds per pass of one class: wall clock, and the CPU time of the loop's thread."""

    count: int
    mean: float
    median: float
    p95: float
    cpu_mean: float = 0.0
    cpu_p95: float = 0.0

    @staticmethod
    def of(wall: Window, cpu: Window) -> KindStats:
        """The statistics of the kept samples."""
        values, cpu_values = wall.values(), cpu.values()
        if not values.size:
            return KindStats(0, 0.0, 0.0, 0.0)
        cpu_mean = float(cpu_values.mean()) if cpu_values.size else 0.0
        return KindStats(
            int(values.size), float(values.mean()), wall.median(), wall.percentile(95), cpu_mean, cpu.percentile(95)
        )


class CpuTimed:
    """A sink, unchanged, with the CPU time its calls took on the loop's thread (``last_ms``: the last pass).

    Args:
        inner: The sink the product built (the kiosk, inside its fallback).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.last_ms = 0.0

    def open(self, info: Any = None) -> None:
        """Open the sink."""
        self.inner.open(info)

    def handle(self, report: FrameReport) -> None:
        """Hand the report on; start a new pass's CPU time."""
        t0 = time.thread_time()
        try:
            self.inner.handle(report)
        finally:
            self.last_ms = (time.thread_time() - t0) * 1000

    def poll_quit(self) -> bool:
        """Ask the sink; its time counts for this pass."""
        t0 = time.thread_time()
        try:
            return bool(self.inner.poll_quit())
        finally:
            self.last_ms += (time.thread_time() - t0) * 1000

    def close(self) -> None:
        """Close the sink."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class KioskRecorder:
    """Observer: the kiosk's time per pass, by class, after ``warmup_s`` seconds.

    Args:
        warmup_s: Seconds of passes not measured (fonts, artwork and caches being made).
        transition_s: How long a screen change counts as a transition.
        clock: Monotonic clock.
    """

    def __init__(self, warmup_s: float = 1.0, transition_s: float = TRANSITION_S, clock: Any = time.monotonic) -> None:
        self.windows = {kind: Window(100_000) for kind in KINDS}
        self.cpu_windows = {kind: Window(100_000) for kind in KINDS}
        #: The sinks whose CPU time makes a pass's CPU time (set by :func:`run_kiosk_benchmark`).
        self.timed: list[CpuTimed] = []
        self._clock = clock
        self._start = clock()
        self._warmup_s = warmup_s
        self._transition_s = transition_s
        self._screen: tuple[str, str | None, str | None] | None = None
        self._changed = -1e9
        self._shown: tuple[float, ...] | None = None

    def classify(self, report: FrameReport, now: float) -> str:
        """The class of this pass (see the module docstring)."""
        d = report.decision
        screen = (d.state, d.label, report.camera_fault)
        shown = (*np.asarray(d.scores, np.float64).tolist(), d.confidence)
        if screen != self._screen:
            self._screen, self._changed = screen, now
        previous, self._shown = self._shown, shown
        if now - self._changed < self._transition_s:
            return "transition"
        if d.state not in ("face", "unsure"):
            return "animated"
        return "static" if shown == previous else "scores"

    def observe(self, report: FrameReport, sinks_ms: float) -> None:
        """Record one pass."""
        now = self._clock()
        kind = self.classify(report, now)
        if now - self._start < self._warmup_s:
            return
        cpu_ms = sum(sink.last_ms for sink in self.timed)
        for key in (kind, "all"):
            self.windows[key].add(sinks_ms)
            if self.timed:
                self.cpu_windows[key].add(cpu_ms)

    def stats(self) -> dict[str, KindStats]:
        """Per class (and ``all``), count, mean, median and 95th percentile in milliseconds."""
        return {kind: KindStats.of(self.windows[kind], self.cpu_windows[kind]) for kind in KINDS}


def run_kiosk_benchmark(
    size: tuple[int, int],
    source_spec: str | None = None,
    seconds: float = 24.0,
    model: Path | None = None,
    delegate: str = "cpu",
) -> dict[str, KindStats]:
    """Run the shipped pipeline with the kiosk at ``size`` on a camera-paced clip and time the kiosk.

    Args:
        size: Kiosk surface ``(width, height)``.
        source_spec: A video file (looped); ``None`` writes :func:`make_kiosk_clip` to a temporary folder.
        seconds: How long to run (the generated clip is made this long, in whole 6 s cycles).
        model: Model file (default: the shipped one).
        delegate: ``cpu``, ``edgetpu`` or ``auto``.

    Returns:
        Statistics per pass class (see :data:`KINDS`).
    """
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    recorder = KioskRecorder()
    with tempfile.TemporaryDirectory(prefix="emojify-kiosk-bench-") as tmp:
        spec = source_spec or str(make_kiosk_clip(Path(tmp) / "kiosk.avi", max(1, round(seconds / 6))))
        settings: dict[str, dict[str, Any]] = {
            "model": {"path": str(model or paths.DEFAULT_MODEL), "threads": 1, "delegate": delegate},
            "display": {"mode": "window", "width": size[0], "height": size[1]},
            "log": {"path": ""},
        }
        config = build_config(settings, "kiosk benchmark")  # the built-in defaults, not this machine's file
        pipeline = build_pipeline(config, "window", source=replay_source(spec, realtime=True), observers=[recorder])
        recorder.timed = [CpuTimed(sink) for sink in pipeline.sinks]
        pipeline.sinks = list(recorder.timed)
        pipeline.run(duration=seconds)
    return recorder.stats()


def markdown(results: dict[tuple[int, int], list[dict[str, KindStats]]]) -> str:
    """A table per size and class: wall-clock mean (best run, median of runs), median, p95; CPU mean and p95."""
    rows = [
        "| size | pass class | passes | mean ms (best run) | mean ms (median of runs) | median ms | p95 ms"
        " | CPU mean ms (best run) | CPU p95 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (w, h), runs in results.items():
        for kind in KINDS:
            per_run = [run[kind] for run in runs if run[kind].count]
            if not per_run:
                continue
            best = min(per_run, key=lambda s: s.mean)
            cpu = min(per_run, key=lambda s: s.cpu_mean)
            med = float(np.median([s.mean for s in per_run]))
            rows.append(
                f"| {w}x{h} | {kind} | {best.count} | {best.mean:.3f} | {med:.3f} | {best.median:.3f} | {best.p95:.3f}"
                f" | {cpu.cpu_mean:.3f} | {cpu.cpu_p95:.3f} |"
            )
    return "\n".join(rows)


def to_json(results: dict[tuple[int, int], list[dict[str, KindStats]]]) -> dict[str, Any]:
    """``{"WxH": [{kind: {count, mean_ms, median_ms, p95_ms, cpu_mean_ms, cpu_p95_ms}}, ...]}`` (one entry per run)."""
    return {
        f"{w}x{h}": [
            {
                kind: {
                    "count": s.count,
                    "mean_ms": round(s.mean, 4),
                    "median_ms": round(s.median, 4),
                    "p95_ms": round(s.p95, 4),
                    "cpu_mean_ms": round(s.cpu_mean, 4),
                    "cpu_p95_ms": round(s.cpu_p95, 4),
                }
                for kind, s in run.items()
            }
            for run in runs
        ]
        for (w, h), runs in results.items()
    }
