"""Benchmark harness: per-stage latency, end-to-end fps, CPU, memory and start-up time.

Runs the real pipeline (headless JSON sink writing to ``/dev/null``) on a video file or the demo
renderer, unpaced, and reports medians and 95th percentiles. ``scripts/benchmark.py`` is the
command-line wrapper.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

STAGES = ("capture", "detect", "preprocess", "classify", "smooth", "render")


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


def make_clip(path: Path, seconds: float = 10.0, fps: float = 30.0) -> Path:
    """Write a 640x480 MJPG clip of the demo animation (a real face, and a stretch without one)."""
    from edge.sources.demo import DemoSource

    demo = DemoSource(fps=0, preview=True)
    demo.open()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 480))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path}")
    try:
        for index in range(int(seconds * fps)):
            _, rgb = demo.render(int(index * 30.0 / fps))
            assert rgb is not None
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
        demo.close()
    return path


def run_benchmark(
    source_spec: str,
    frames: int,
    threads: int = 1,
    delegate: str = "cpu",
    model: Path | None = None,
    process_start: float | None = None,
    warmup: int = 10,
    detect_every: int = 1,
) -> BenchResult:
    """Run the pipeline unpaced and measure it.

    Args:
        source_spec: A video file path, or ``demo`` (rendered as fast as possible).
        frames: Frames to measure (after ``warmup``).
        threads: Classifier interpreter threads.
        delegate: ``cpu``, ``edgetpu`` or ``auto``.
        model: Model file (default: the shipped one).
        process_start: ``time.monotonic()`` at process start, for the start-up time.
        warmup: Frames processed before measuring.
        detect_every: Run the face detector every N frames.
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

    started = process_start if process_start is not None else time.monotonic()
    source: Any = DemoSource(fps=0) if source_spec == "demo" else VideoFileSource(Path(source_spec), loop=True)
    classifier = ExpressionClassifier(model or DEFAULT_MODEL, num_threads=threads, delegate=delegate)
    analyzer = Analyzer(make_detector("blazeface"), classifier, detect_every=detect_every)
    sink = JsonLogSink(LineWriter(Path(os.devnull), max_bytes=1 << 62), every=1, summary_interval=1e9)
    pipeline = Pipeline(source, analyzer, DecisionSmoother(), [sink])

    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    faces = 0
    source.open()
    sink.open()
    startup = None
    try:
        for _ in range(warmup):
            report = pipeline.step()
            if startup is None and report is not None:
                startup = time.monotonic() - started
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        done = 0
        while done < frames:
            report = pipeline.step()
            if report is None:
                break
            done += 1
            faces += len(report.faces)
            for stage in STAGES:
                samples[stage].append(report.latency_ms.get(stage, 0.0))
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        sink.close()
        source.close()
    stages = {
        stage: {"median_ms": round(float(np.median(v)), 4), "p95_ms": round(float(np.percentile(v, 95)), 4)}
        for stage, v in samples.items()
        if v
    }
    total = [sum(values) for values in zip(*samples.values(), strict=True)]
    stages["total"] = {
        "median_ms": round(float(np.median(total)), 4),
        "p95_ms": round(float(np.percentile(total, 95)), 4),
    }
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return BenchResult(
        fps=done / wall if wall > 0 else 0.0,
        stages=stages,
        rss_mb=rss_mb,
        cpu_percent=100.0 * cpu / wall if wall > 0 else 0.0,
        startup_s=startup or 0.0,
        frames=done,
        faces_per_frame=faces / done if done else 0.0,
        delegate=classifier.info.delegate,
        threads=threads,
    )
