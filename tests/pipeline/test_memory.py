"""Pipeline.run keeps bounded state: 100,000 frames leave memory flat (the stage_ms leak cannot come back)."""

from __future__ import annotations

import tracemalloc

import pytest

from edge.core.decision import Decider
from edge.core.types import FrameReport, RunInfo
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import NullNotifier, Pipeline
from edge.sinks.jsonlog import JsonLogSink
from edge.sinks.line_writer import LineWriter
from tests.fakes import Alternating, EndlessSource, OneFace

FRAMES = 100_000


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
        Decider(),
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
