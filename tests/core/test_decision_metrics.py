"""The live metrics on hand-made records whose answers are worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from edge.core.decision_metrics import (
    FrameRecord,
    compute_metrics,
    format_table,
    pooled_metrics,
    stretches,
    trailing_means,
)
from edge.core.labels import LABELS

FPS = 10.0


def p(label: str, value: float = 1.0) -> np.ndarray:
    v = np.full(7, (1 - value) / 6)
    v[LABELS.index(label)] = value
    return v


def rec(i: int, shown: str, scores: np.ndarray | None, face_id: int | None = None) -> FrameRecord:
    if shown in LABELS:
        return FrameRecord(i / FPS, "face", shown, scores, face_id=face_id)
    return FrameRecord(i / FPS, shown, None, scores, face_id=face_id)


def seq(*runs: tuple[str, int, np.ndarray | None]) -> list[FrameRecord]:
    """Records from ``(shown, frames, scores)`` runs at 10 fps."""
    out: list[FrameRecord] = []
    for shown, n, scores in runs:
        for _ in range(n):
            out.append(rec(len(out), shown, scores))
    return out


def test_agree_and_wrong_low_count_face_frames_against_the_trailing_mean():
    # 10 frames, the model says happy throughout; frames 5 and 6 show sad.
    records = seq(("happy", 5, p("happy")), ("sad", 2, p("happy")), ("happy", 3, p("happy")))
    m = compute_metrics(records)
    assert m.agree == pytest.approx(8 / 10)
    assert m.wrong_low == pytest.approx(2 / 10)  # sad's trailing mean is 0


def test_the_trailing_mean_is_over_the_last_half_second_of_frames_with_a_face():
    # At 10 fps the window (t - 0.5, t] holds 5 frames.
    records = seq(("happy", 5, p("happy")), ("happy", 5, p("sad")))
    means = trailing_means(records)
    assert means[4][LABELS.index("happy")] == pytest.approx(1.0)
    assert means[6][LABELS.index("sad")] == pytest.approx(2 / 5)
    assert means[9][LABELS.index("sad")] == pytest.approx(1.0)
    m = compute_metrics(records)
    # frames 7..9 show happy while sad leads (3/5, 4/5, 5/5): disagree; frames 7-9 also have happy <0.25
    assert m.agree == pytest.approx(7 / 10)
    assert m.wrong_low == pytest.approx(2 / 10)  # happy's mean at frames 8, 9 is 1/5 and 0


def test_frames_without_a_face_have_no_trailing_mean_after_the_window():
    records = seq(("happy", 3, p("happy")), ("happy", 8, None))
    means = trailing_means(records)
    assert means[5] is not None  # 0.3 s after the last face frame: still in the window
    assert means[8] is None  # 0.6 s after
    assert compute_metrics(records).agree == pytest.approx(1.0)  # frames without a mean are left out


def test_trailing_means_follow_one_person_when_face_ids_are_known():
    a = [rec(i, "happy", p("happy"), face_id=1) for i in range(5)]
    b = [rec(5 + i, "sad", p("sad"), face_id=2) for i in range(2)]
    means = trailing_means(a + b)
    assert means[5][LABELS.index("sad")] == pytest.approx(1.0)  # not mixed with person 1
    unknown = [FrameRecord(r.t, r.state, r.label, r.scores) for r in a + b]
    assert trailing_means(unknown)[5][LABELS.index("sad")] == pytest.approx(1 / 5)


def test_unsure_share_is_over_frames_with_a_face_state():
    records = seq(("happy", 7, p("happy")), ("unsure", 3, p("happy", 0.3)), ("no_face", 5, None))
    assert compute_metrics(records).unsure_share == pytest.approx(3 / 10)


def test_changes_per_minute_and_short_stretches():
    # happy 1 s, sad 0.3 s (short), happy 1 s, unsure 0.5 s (exactly the limit: not short), happy (last, cut by the end).
    records = seq(
        ("happy", 10, p("happy")),
        ("sad", 3, p("sad")),
        ("happy", 10, p("happy")),
        ("unsure", 5, p("happy", 0.3)),
        ("happy", 2, p("happy")),
    )
    m = compute_metrics(records)
    assert [s for s, _, _ in stretches(records)] == ["happy", "sad", "happy", "unsure", "happy"]
    assert m.short == 1
    assert m.seconds == pytest.approx(3.0)  # 30 frames at 10 fps
    assert m.changes_per_min == pytest.approx(4 / 3.0 * 60)


def test_starting_is_neither_a_change_nor_a_short_stretch():
    records = seq(("starting", 1, None), ("no_face", 20, None))
    m = compute_metrics(records)
    assert m.short == 0 and m.changes_per_min == 0.0


def test_react_s_is_the_median_delay_from_a_held_leader_change_to_the_screen():
    # The model switches from happy to sad at frame 20 and holds it. The trailing-mean leader
    # becomes sad at frame 22 (3 of the 5 frames 18..22); the screen shows sad from frame 27: 0.5 s.
    records = seq(("happy", 27, None), ("sad", 13, None))
    records = [FrameRecord(r.t, r.state, r.label, p("happy") if i < 20 else p("sad")) for i, r in enumerate(records)]
    m = compute_metrics(records)
    assert m.react_events == 1 and m.react_missed == 0
    assert m.react_s == pytest.approx(0.5)


def test_a_leader_change_that_does_not_hold_a_second_is_not_a_reaction_test_and_one_never_shown_is_missed():
    scores = [p("happy")] * 20 + [p("sad")] * 5 + [p("happy")] * 20 + [p("angry")] * 15
    records = [rec(i, "happy", s) for i, s in enumerate(scores)]
    m = compute_metrics(records)
    # sad leads the trailing mean on frames 22-26 only (0.5 s: not a test); happy leads again from
    # frame 27 for 2 s and is already on screen (delay 0); angry leads from frame 47 to the end
    # (1.2 s) and is never shown: a miss.
    assert m.react_missed == 1
    assert m.react_events == 2
    assert m.react_s == 0.0


def test_new_face_s_times_a_confident_arrival_to_its_first_emoji():
    records = seq(("no_face", 15, None), ("no_face", 3, p("happy", 0.95)), ("happy", 10, p("happy", 0.95)))
    m = compute_metrics(records)
    assert m.new_faces == 1
    assert m.new_face_s == pytest.approx(0.3)
    # an unclear arrival is not a confident one
    vague = seq(("no_face", 15, None), ("unsure", 10, np.full(7, 1 / 7)))
    assert compute_metrics(vague).new_faces == 0


def test_empty_metrics_are_nan_not_errors():
    m = compute_metrics(seq(("no_face", 10, None)))
    assert math.isnan(m.agree) and math.isnan(m.wrong_low) and math.isnan(m.unsure_share)
    assert math.isnan(m.react_s) and m.react_events == 0


def test_format_table_has_one_row_per_run_and_dashes_for_missing_values():
    m = compute_metrics(seq(("no_face", 10, None)))
    text = format_table([("old", m), ("new smoother", m)])
    lines = text.splitlines()
    assert len(lines) == 3 and lines[1].startswith("old") and lines[2].startswith("new smoother")
    assert "agree" in lines[0] and " - " in lines[1]


def test_pooled_metrics_add_up_the_runs_counts():
    a = seq(("happy", 5, p("happy")), ("sad", 2, p("happy")), ("happy", 3, p("happy")))  # agree 8/10
    b = seq(("happy", 20, p("happy")), ("unsure", 10, p("happy", 0.3)))  # agree 20/20, unsure 10/30
    both = pooled_metrics([a, b, []])
    assert both.frames == 40 and both.seconds == pytest.approx(4.0)
    assert both.agree == pytest.approx(28 / 30)
    assert both.unsure_share == pytest.approx(10 / 40)
    assert both.short == compute_metrics(a).short + compute_metrics(b).short
    # Field by field with NaN equal to NaN (react_s is NaN here): Python 3.13's dataclass __eq__
    # compares fields with ==, where earlier versions compared tuples (identity first).
    one, alone = dataclasses.asdict(pooled_metrics([a])), dataclasses.asdict(compute_metrics(a))
    assert one.keys() == alone.keys()
    for key, value in one.items():
        other = alone[key]
        both_nan = isinstance(value, float) and isinstance(other, float) and math.isnan(value) and math.isnan(other)
        assert both_nan or value == other, key
