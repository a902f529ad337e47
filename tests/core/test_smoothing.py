"""Smoothing and hysteresis with an injected clock."""

from __future__ import annotations

import numpy as np

from edge.core.labels import LABELS
from edge.core.smoothing import DecisionSmoother, SmoothingConfig


def onehot(label: str, p: float = 0.9) -> np.ndarray:
    v = np.full(7, (1 - p) / 6, np.float32)
    v[LABELS.index(label)] = p
    return v


def feed(smoother, scores, start, seconds, fps=30.0):
    t = start
    decision = None
    while t < start + seconds - 1e-9:
        decision = smoother.update(scores, t)
        t += 1 / fps
    return decision, t


def test_new_emoji_only_after_it_has_won_for_a_while():
    s = DecisionSmoother(SmoothingConfig(time_constant=0.2, switch_after=0.6, unsure_threshold=0.4, no_face_after=1.0))
    d, t = feed(s, onehot("happy"), 0.0, 1.0)
    assert d.state == "face" and d.label == "happy"
    # a single sad frame does not flip the emoji
    d = s.update(onehot("sad"), t)
    assert d.label == "happy"
    # sad for 0.4 s: the average has moved, but hysteresis still holds happy
    d, t = feed(s, onehot("sad"), t + 1 / 30, 0.4)
    assert d.label == "happy"
    # sad for long enough: switch
    d, t = feed(s, onehot("sad"), t, 1.0)
    assert d.label == "sad" and d.confidence > 0.5


def test_flicker_between_two_classes_never_switches():
    s = DecisionSmoother(SmoothingConfig(time_constant=0.3, switch_after=0.5))
    feed(s, onehot("happy"), 0.0, 1.0)
    t = 1.0
    labels = set()
    for i in range(60):  # alternate every frame
        d = s.update(onehot("angry" if i % 2 else "happy", 0.6), t)
        labels.add(d.label)
        t += 1 / 30
    assert "angry" not in labels  # it may go unsure, but never flips to the flickering class


def test_unsure_when_no_class_is_clear():
    s = DecisionSmoother(SmoothingConfig(unsure_threshold=0.4))
    flat = np.full(7, 1 / 7, np.float32)
    d, _ = feed(s, flat, 0.0, 1.0)
    assert d.state == "unsure" and d.label is None and d.confidence < 0.4


def test_short_gap_keeps_decision_long_gap_is_no_face():
    s = DecisionSmoother(SmoothingConfig(no_face_after=1.5))
    d, t = feed(s, onehot("surprise"), 0.0, 1.0)
    assert d.label == "surprise"
    assert s.update(None, t + 0.5).label == "surprise"  # one missed detection: no blanking
    d = s.update(None, t + 2.0)
    assert d.state == "no_face" and d.label is None and float(d.scores.sum()) == 0.0
    # a new face starts fresh (no memory of surprise)
    d, _ = feed(s, onehot("neutral"), t + 3.0, 1.0)
    assert d.label == "neutral"


def test_starts_in_starting_then_no_face_without_faces():
    s = DecisionSmoother()
    assert s.decision.state == "starting"
    assert s.update(None, 0.0).state == "no_face"


def test_frame_rate_independent():
    a = DecisionSmoother(SmoothingConfig(time_constant=0.5))
    b = DecisionSmoother(SmoothingConfig(time_constant=0.5))
    feed(a, onehot("happy"), 0.0, 1.0, fps=10)
    feed(b, onehot("happy"), 0.0, 1.0, fps=60)
    da, _ = feed(a, onehot("sad"), 1.0, 0.5, fps=10)
    db, _ = feed(b, onehot("sad"), 1.0, 0.5, fps=60)
    assert abs(float(da.scores[LABELS.index("sad")]) - float(db.scores[LABELS.index("sad")])) < 0.08
