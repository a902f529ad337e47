"""Confidence metrics: the expected calibration error on known cases."""

from __future__ import annotations

import numpy as np

from edge.core import confidence
from tests.training.test_temperature import sampled


def test_ece_is_small_for_calibrated_and_large_for_overconfident_probabilities() -> None:
    logits, labels = sampled(20000)
    assert confidence.expected_calibration_error(confidence.softmax(logits), labels) < 0.015
    assert confidence.expected_calibration_error(confidence.softmax(logits * 3), labels) > 0.1


def test_ece_of_a_hand_computed_case() -> None:
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    labels = np.array([0, 1, 0, 0])
    # bin of 0.9: accuracy 0.5, gap 0.4; bin of 0.6: accuracy 1.0, gap 0.4 -> ECE 0.4
    assert abs(confidence.expected_calibration_error(probs, labels) - 0.4) < 1e-9


def test_reliability_bins_count_every_face_once() -> None:
    logits, labels = sampled(5000, seed=6)
    rows = confidence.reliability_table(confidence.softmax(logits), labels)
    assert sum(r["n"] for r in rows) == 5000
    assert all(r["low"] <= r["confidence"] <= r["high"] for r in rows)
