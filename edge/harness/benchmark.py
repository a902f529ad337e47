"""Benchmark harness: per-stage latency, end-to-end fps, CPU, memory and start-up time.

Runs the shipped pipeline, headless (JSON lines to a temporary file, as the headless service
writes them), on a video file or the demo renderer, unpaced, and reports medians and 95th
percentiles. ``render`` is the sinks' time; ``detect`` is also split into frames where a face
was found and frames with nobody (where the detector looks again, closer: ``[faces] zoom``). ``scripts/benchmark.py`` is the command-line wrapper.
"""

from __future__ import annotations

import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge import paths
from edge.config.loader import build_config
from edge.core.stats import Window
from edge.core.types import FrameReport
from edge.harness.clip import replay_source
from edge.pipeline.assembly import build_pipeline

STAGES = ("capture", "detect", "preprocess", "classify", "smooth", "render")
#: ``detect`` again, split by whether the frame had a face.
DETECT_SPLIT = ("detect, frames with a face", "detect, frames with nobody")


@dataclass
class BenchResult:
    """What a benchmark run measured."""

    fps: float
    stages: dict[str, dict[str, float]]
    rss_mb: float
    cpu_percent: float
    startup_s: float
    frames: int
    faces_per_frame: float
    delegate: str
    threads: int

    def to_json(self) -> dict[str, Any]:
        """The JSON object written by ``--json``."""
        return {
            "fps": round(self.fps, 2),
            "stages": self.stages,
            "rss_mb": round(self.rss_mb, 1),
            "cpu_percent": round(self.cpu_percent, 1),
            "startup_s": round(self.startup_s, 3),
            "frames": self.frames,
            "faces_per_frame": round(self.faces_per_frame, 3),
            "delegate": self.delegate,
            "threads": self.threads,
        }

    def markdown(self) -> str:
        """A markdown table for stdout and docs."""
        rows = ["| stage | median ms | p95 ms |", "|---|---:|---:|"]
        for name, values in self.stages.items():
            rows.append(f"| {name} | {values['median_ms']:.3f} | {values['p95_ms']:.3f} |")
        rows += [
            "",
            f"- end-to-end: **{self.fps:.1f} fps** over {self.frames} frames ({self.faces_per_frame:.2f} faces/frame)",
            f"- CPU: {self.cpu_percent:.0f} % of one core; peak RSS {self.rss_mb:.0f} MB",
            f"- start to first decision: {self.startup_s:.2f} s",
            f"- classifier: {self.delegate}, {self.threads} thread(s)",
        ]
        return "\n".join(rows)


class StageRecorder:
    """Observer: per-stage times of the measured frames (after ``warmup``), CPU and wall time.

    Args:
        warmup: Passes not measured (interpreter and caches warming up).
        frames: Passes measured (the windows keep exactly these).
        started: ``time.monotonic()`` at process start, for the start-up time.
    """

    def __init__(self, warmup: int, frames: int, started: float) -> None:
        self.warmup = warmup
        self.started = started
        self.windows = {stage: Window(frames) for stage in (*STAGES, "total", *DETECT_SPLIT)}
        self.seen = 0
        self.faces = 0
        self.startup_s = 0.0
        self._t0 = self._t1 = time.perf_counter()
        self._cpu0 = self._cpu1 = time.process_time()

    def observe(self, report: FrameReport, sinks_ms: float) -> None:
        """Record one pass (warm-up passes only start the clocks)."""
        self.seen += 1
        if self.seen == 1:
            self.startup_s = time.monotonic() - self.started
        if self.seen <= self.warmup:
            self._t0 = self._t1 = time.perf_counter()
            self._cpu0 = self._cpu1 = time.process_time()
            return
        times = {stage: report.latency_ms.get(stage, 0.0) for stage in STAGES[:-1]}
        times["render"] = sinks_ms
        for stage, ms in times.items():
            self.windows[stage].add(ms)
        self.windows["total"].add(sum(times.values()))
        self.windows[DETECT_SPLIT[0] if report.faces else DETECT_SPLIT[1]].add(times["detect"])
        self.faces += len(report.faces)
        self._t1 = time.perf_counter()
        self._cpu1 = time.process_time()

    @property
    def measured(self) -> int:
        """Frames measured so far."""
        return self.windows["total"].count

    def stages(self) -> dict[str, dict[str, float]]:
        """``{stage: {"median_ms", "p95_ms"}}`` of the measured frames."""
        return {
            stage: {"median_ms": round(w.median(), 4), "p95_ms": round(w.percentile(95), 4)}
            for stage, w in self.windows.items()
            if w.count
        }

    def result(self, delegate: str, threads: int) -> BenchResult:
        """What was measured."""
        wall, cpu, done = self._t1 - self._t0, self._cpu1 - self._cpu0, self.measured
        return BenchResult(
            fps=done / wall if wall > 0 else 0.0,
            stages=self.stages(),
            rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            cpu_percent=100.0 * cpu / wall if wall > 0 else 0.0,
            startup_s=self.startup_s,
            frames=done,
            faces_per_frame=self.faces / done if done else 0.0,
            delegate=delegate,
            threads=threads,
        )


def run_benchmark(
    source_spec: str,
    frames: int,
    threads: int = 1,
    delegate: str = "cpu",
    model: Path | None = None,
    process_start: float | None = None,
    warmup: int = 10,
    detect_every: int = 1,
    zoom: bool = True,
) -> BenchResult:
    """Run the shipped pipeline unpaced and measure it.

    Args:
        source_spec: A video file path, or ``demo`` (rendered as fast as possible).
        frames: Frames to measure (after ``warmup``).
        threads: Classifier interpreter threads.
        delegate: ``cpu``, ``edgetpu`` or ``auto``.
        model: Model file (default: the shipped one).
        process_start: ``time.monotonic()`` at process start, for the start-up time.
        warmup: Frames processed before measuring.
        detect_every: Run the face detector every N frames.
        zoom: ``[faces] zoom``: look again, closer, on frames where the whole frame shows nobody.
    """
    started = process_start if process_start is not None else time.monotonic()
    recorder = StageRecorder(warmup, frames, started)
    with tempfile.TemporaryDirectory(prefix="emojify-bench-") as tmp:
        settings: dict[str, dict[str, Any]] = {
            "model": {"path": str(model or paths.DEFAULT_MODEL), "threads": threads, "delegate": delegate},
            "faces": {"detect_every": detect_every, "zoom": zoom},
            "display": {"mode": "none"},
            "log": {"path": str(Path(tmp) / "bench.jsonl")},
        }
        config = build_config(settings, "benchmark")  # the built-in defaults, not this machine's file
        pipeline = build_pipeline(
            config, "none", source=replay_source(source_spec, realtime=False), observers=[recorder]
        )
        pipeline.run(max_frames=warmup + frames)
    return recorder.result(pipeline.info.delegate, threads)
