"""The pipeline benchmark's recorder: detect time split by frames with and without a face."""

from __future__ import annotations

import numpy as np

from edge.core.labels import LABELS
from edge.core.types import Decision, FaceBox, FaceResult, Frame, FrameReport
from edge.harness.benchmark import DETECT_SPLIT, StageRecorder


def report(detect_ms: float, faces: int) -> FrameReport:
    scores = np.full(len(LABELS), 1 / len(LABELS))
    found = tuple(FaceResult(FaceBox(0, 0, 10, 10), scores) for _ in range(faces))
    decision = Decision("face" if faces else "idle", None, 0.0, scores)  # type: ignore[arg-type]
    return FrameReport(Frame(np.zeros((4, 4), np.uint8), 0, 0.0), found, decision, {"detect": detect_ms})


def test_detect_time_is_split_by_whether_a_face_was_found() -> None:
    recorder = StageRecorder(warmup=1, frames=10, started=0.0)
    recorder.observe(report(99.0, 0), 0.0)  # warm-up: not measured
    for _ in range(3):
        recorder.observe(report(2.0, 1), 0.0)
    for _ in range(2):
        recorder.observe(report(12.0, 0), 0.0)
    stages = recorder.stages()
    assert stages[DETECT_SPLIT[0]]["median_ms"] == 2.0
    assert stages[DETECT_SPLIT[1]]["median_ms"] == 12.0
    assert stages["detect"]["median_ms"] == 2.0 and stages["detect"]["p95_ms"] > 2.0
    assert recorder.measured == 5


def test_a_run_without_empty_frames_has_no_nobody_row() -> None:
    recorder = StageRecorder(warmup=0, frames=4, started=0.0)
    recorder.observe(report(2.0, 1), 0.0)
    assert DETECT_SPLIT[1] not in recorder.stages()
