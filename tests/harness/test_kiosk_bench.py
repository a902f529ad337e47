"""The kiosk benchmark: how passes are classed, and a short real run through the shipped loop."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.labels import LABELS
from edge.core.types import Decision, Frame, FrameReport
from edge.harness.kiosk_bench import KINDS, CpuTimed, KioskRecorder, markdown, to_json


def report(state: str, label: str | None, top: float = 0.8) -> FrameReport:
    scores = np.full(len(LABELS), (1 - top) / (len(LABELS) - 1))
    if label is not None:
        scores[LABELS.index(label)] = top
    decision = Decision(state, label, top if label else 0.0, scores)  # type: ignore[arg-type]
    return FrameReport(Frame(np.zeros((4, 4), np.uint8), 0, 0.0), (), decision, {})


def test_passes_are_classed_from_the_reports_alone() -> None:
    rec = KioskRecorder(transition_s=0.25)
    assert rec.classify(report("face", "happy"), 10.0) == "transition"  # the first screen
    assert rec.classify(report("face", "happy"), 10.2) == "transition"  # still fading in
    assert rec.classify(report("face", "happy"), 10.3) == "static"  # identical scores: nothing to draw
    assert rec.classify(report("face", "happy", 0.81), 10.4) == "scores"
    assert rec.classify(report("face", "sad"), 10.5) == "transition"  # another emoji
    assert rec.classify(report("no_face", None), 10.6) == "transition"
    assert rec.classify(report("no_face", None), 11.0) == "animated"  # the idle face breathes


class Counting:
    """A sink that burns a little CPU per call."""

    quit_reason = "quit key"

    def __init__(self) -> None:
        self.handled = 0

    def open(self, info: object = None) -> None: ...
    def close(self) -> None: ...

    def handle(self, report: FrameReport) -> None:
        self.handled += 1
        sum(i * i for i in range(20_000))

    def poll_quit(self) -> bool:
        return False


def test_cpu_timed_hands_everything_on_and_times_the_thread() -> None:
    inner = Counting()
    timed = CpuTimed(inner)
    timed.handle(report("face", "happy"))
    assert not timed.poll_quit()
    assert inner.handled == 1 and timed.last_ms > 0 and timed.quit_reason == "quit key"


@pytest.mark.slow
def test_a_short_run_of_the_shipped_kiosk_reports_each_class() -> None:
    pytest.importorskip("pygame")
    from edge.harness.kiosk_bench import run_kiosk_benchmark

    stats = run_kiosk_benchmark((400, 240), seconds=6.0)  # one cycle: a face held still, then nobody
    assert set(stats) == set(KINDS)
    assert stats["all"].count > 60 and stats["transition"].count > 0 and stats["static"].count > 0
    assert stats["all"].cpu_mean > 0 and stats["all"].mean >= 0.5 * stats["all"].cpu_mean
    table = markdown({(400, 240): [stats]})
    assert "| 400x240 | static |" in table
    assert to_json({(400, 240): [stats]})["400x240"][0]["all"]["count"] == stats["all"].count
