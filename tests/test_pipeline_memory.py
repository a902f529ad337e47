"""Pipeline.run keeps bounded state: 100,000 frames leave memory flat (the stage_ms leak cannot come back)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from edge.core.smoothing import DecisionSmoother
from edge.core.types import FaceBox, Frame, FrameReport, RunInfo
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import NullNotifier, Pipeline
from edge.sinks.jsonlog import JsonLogSink
from edge.sinks.line_writer import LineWriter

FRAMES = 100_000


class EndlessSource:
    """Fake camera: the same small grey frame, numbered, with a frame-time clock."""

    name, live = "endless", False

    def __init__(self) -> None:
        self.i = 0
        self.gray = np.full((64, 64), 128, np.uint8)

    def open(self) -> None:
        pass

    def read(self) -> Frame:
        self.i += 1
        return Frame(self.gray, self.i, self.i / 30)

    def close(self) -> None:
        pass


class OneFace:
    name = "one-face"

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        return [FaceBox(12, 12, 41, 41)]  # its crop is exactly 48x48: no resize, so the test stays quick


class Alternating:
    """Happy, then sad, in stretches, so the smoother keeps deciding."""

    def __init__(self) -> None:
        self.n = 0

    def classify(self, pixels: np.ndarray) -> np.ndarray:
        self.n += 1
        p = np.full(7, 0.02, np.float32)
        p[3 if (self.n // 90) % 2 else 4] = 0.88
        return p


class Snapshots:
    """Observer: traced memory after warm-up and at the end."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.seen = 0
        self.after_warmup = 0

    def observe(self, report: FrameReport, sinks_ms: float) -> None:
        self.seen += 1
        if self.seen == self.warmup:
            self.after_warmup = tracemalloc.get_traced_memory()[0]


@pytest.mark.slow
def test_a_long_run_keeps_memory_flat(tmp_path):
    sink = JsonLogSink(
        LineWriter(tmp_path / "log.jsonl", max_bytes=1 << 20, backups=1), every=5000, summary_interval=1.0
    )
    snapshots = Snapshots(warmup=5_000)
    pipeline = Pipeline(
        EndlessSource(),
        Analyzer(OneFace(), Alternating()),
        DecisionSmoother(),
        [sink],
        NullNotifier(),
        RunInfo(source="endless"),
        observers=[snapshots],
    )
    tracemalloc.start()
    try:
        stats = pipeline.run(max_frames=FRAMES)
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert stats.frames == FRAMES and snapshots.seen == FRAMES
    growth = end - snapshots.after_warmup
    # The old per-frame stage_ms lists grew by ~170 B a frame: ~16 MB here. Bounded state stays flat.
    assert growth < 64 * 1024, f"memory grew by {growth} bytes over {FRAMES - snapshots.warmup} frames"
