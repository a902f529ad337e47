"""JSON lines: what each ``[log] lines`` choice writes, exact scores, and writes gathered to spare the card."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from edge.core.types import Decision, FaceBox, FaceResult, Frame, FrameReport, RunInfo
from edge.sinks import jsonlog
from edge.sinks.jsonlog import JsonLogSink, exact, frame_record
from edge.sinks.line_writer import LineWriter
from tests.fakes import FakeClock

ZERO = np.zeros(7, np.float32)


def report(i: int, shown: str, still: bool = False) -> FrameReport:
    scores = np.array([0.1, 0.0, 0.0, 0.7, 0.1, 0.05, 0.05], np.float32)
    face = FaceResult(FaceBox(1, 2, 30, 30), scores)
    state, label = ("face", shown) if shown in ("happy", "sad") else (shown, None)
    decision = Decision(state, label, 0.7 if label else 0.0, scores)  # type: ignore[arg-type]
    frame = Frame(np.zeros((4, 4), np.uint8), i, i / 10, still=still)
    return FrameReport(frame, (face,), decision, {"detect": 1.0}, 0, face_ids=(7,), person=7)


def lines_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_changes_mode_writes_a_line_per_change_and_per_photo(tmp_path):
    path = tmp_path / "log.jsonl"
    sink = JsonLogSink(LineWriter(path), lines="changes", summary_interval=1e9, smoothing={"min_hold": 0.5})
    sink.open(RunInfo(source="test"))
    shown = ["starting", "starting", "happy", "happy", "happy", "unsure", "sad", "sad"]
    for i, what in enumerate(shown):
        sink.handle(report(i, what))
    for i in range(3):
        sink.handle(report(10 + i, "happy", still=True))  # every photo is a decision of its own
    sink.close()
    entries = lines_of(path)
    assert entries[0] == {
        "type": "start",
        "ts": entries[0]["ts"],
        "source": "test",
        "detector": "",
        "model": "",
        "delegate": "",
        "lines": "changes",
        "every": 1,
        "smoothing": {"min_hold": 0.5},
    }
    changes = [e for e in entries if e.get("type") == "change"]
    assert [(c["frame"], c["state"], c["decision"], c["previous"]) for c in changes] == [
        (0, "starting", None, None),
        (2, "face", "happy", "starting"),
        (5, "unsure", None, "happy"),
        (6, "face", "sad", "unsure"),
        (10, "face", "happy", "sad"),
        (11, "face", "happy", "happy"),
        (12, "face", "happy", "happy"),
    ]
    assert changes[2]["previous_s"] == 0.3 and changes[1]["confidence"] == 0.7
    assert entries[-1]["type"] == "summary" and entries[-1]["frames"] == 11


def test_summaries_mode_writes_no_frame_or_change_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    sink = JsonLogSink(LineWriter(path), lines="summaries", summary_interval=1e9)
    sink.open()
    for i in range(20):
        sink.handle(report(i, "happy" if i < 10 else "sad"))
    sink.close()
    assert [e["type"] for e in lines_of(path)] == ["start", "summary"]


def test_frame_lines_carry_what_a_replay_needs_and_exact_scores():
    record = frame_record(report(3, "happy"), "ts")
    assert (record["t"], record["primary"], record["person"], record["confidence"]) == (0.3, 0, 7, 0.7)
    assert record["faces"][0]["id"] == 7 and "still" not in record
    for value in np.random.default_rng(0).random(1000, dtype=np.float32):
        text = json.dumps(exact(value))
        assert np.float32(json.loads(text)) == value and len(text.lstrip("0.")) <= 9  # 9 digits at most
    assert exact(np.float32(250 / 256)) == 0.9765625


def test_lines_to_a_file_are_gathered_and_written_every_flush_interval(tmp_path):
    path = tmp_path / "log.jsonl"
    clock = FakeClock()
    sink = JsonLogSink(LineWriter(path), clock=clock, lines="frames", summary_interval=1e9, flush_interval=300)
    sink.open()
    for i in range(50):
        sink.handle(report(i, "happy"))
        clock.advance(1.0)
    assert not path.exists() or path.read_text() == ""  # nothing on the card yet
    for i in range(50, 301):
        sink.handle(report(i, "happy"))
        clock.advance(1.0)
    written = lines_of(path)
    assert len(written) == 1 + 301  # the start line and every frame up to the flush at 300 s, in order
    assert [e["frame"] for e in written[1:]] == list(range(301))
    sink.handle(report(301, "happy"))
    sink.close()  # the rest, and the last summary, at the end of the run
    assert [e.get("type") for e in lines_of(path)[-2:]] == [None, "summary"]


def test_gathered_lines_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonlog, "MAX_PENDING", 10)
    path = tmp_path / "log.jsonl"
    sink = JsonLogSink(LineWriter(path), clock=FakeClock(), lines="frames", summary_interval=1e9, flush_interval=300)
    sink.open()
    for i in range(25):
        sink.handle(report(i, "happy"))
        assert len(sink._pending) < 10
    assert len(lines_of(path)) == 20


def test_standard_output_gets_every_line_at_once(capsys):
    sink = JsonLogSink(LineWriter(None), lines="changes", summary_interval=1e9, flush_interval=300)
    sink.open()
    sink.handle(report(0, "happy"))
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["type"] for e in out] == ["start", "change"]


def test_the_default_log_keeps_30_days_within_50_mb_a_day_at_the_most_changes_min_hold_allows():
    """The arithmetic of docs/reliability.md ("Log budget"), on lines as the sink writes them."""
    from edge.config.schema import Config
    from edge.sinks.summary import SummaryCounter

    config = Config()
    ts = "2026-11-25T17:39:23.449+00:00"
    busy = FrameReport(
        Frame(np.zeros((4, 4), np.uint8), 123_456_789, 1_234_567.891234),
        (report(0, "happy").faces[0],) * 5,
        Decision("face", "surprise", 0.987654, ZERO),
        {},
    )
    change = len(json.dumps(jsonlog.change_record(busy, ts, "unsure", 12345.678), separators=(",", ":"))) + 1
    counter = SummaryCounter(60.0)
    for state in ("face", "unsure", "no_face", "camera_lost", "starting"):
        counter.add(FrameReport(busy.frame, (), Decision(state, None, 0.0, ZERO), {}))  # type: ignore[arg-type]
    summary = len(json.dumps(counter.flush(), separators=(",", ":"))) + 1
    per_day = 86400 / config.smoothing.min_hold * change + 86400 / config.log.summary_interval * summary
    # Each write burst also costs the file system a rewritten last page and its journal commit:
    # about seven 4 KB blocks (docs/reliability.md).
    card = per_day + 86400 / config.log.flush_interval * 7 * 4096
    assert card <= 50e6
    kept = config.log.max_bytes * (config.log.backups + 1)
    assert kept / per_day >= 30
    assert config.log.lines == "changes" and config.log.flush_interval >= 60


def test_a_change_to_camera_lost_says_why(tmp_path):
    path = tmp_path / "log.jsonl"
    sink = JsonLogSink(LineWriter(path), lines="changes", summary_interval=1e9)
    sink.open()
    sink.handle(report(0, "happy"))
    lost = FrameReport(Frame(np.zeros((4, 4), np.uint8), 0, 0.5), (), Decision("camera_lost", None, 0.0, ZERO), {})
    sink.handle(dataclasses.replace(lost, camera_fault="unplugged"))
    sink.close()
    change = [e for e in lines_of(path) if e.get("type") == "change"][-1]
    assert change["state"] == "camera_lost" and change["camera_fault"] == "unplugged"
