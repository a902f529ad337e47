"""Test-time flip: the mirror image's answer is averaged in, and [model] flip switches it on for the app."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.config.loader import build_config
from edge.core.errors import ConfigError
from edge.inference.classifier import ExpressionClassifier
from edge.pipeline.assembly import build_classifier


def test_flip_is_the_mean_of_the_face_and_its_mirror(model_path: Path):
    plain = ExpressionClassifier(model_path, delegate="cpu")
    flipped = ExpressionClassifier(model_path, delegate="cpu", flip=True)
    face = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    face[:, :20] = 230  # not symmetric: the mirror is another input
    mirror = np.ascontiguousarray(face[:, ::-1])
    assert not np.allclose(plain.classify(face), plain.classify(mirror))
    expected = (plain.classify(face) + plain.classify(mirror)) / 2
    probs = flipped.classify(face)
    assert probs.dtype == np.float32 and np.allclose(probs, expected, atol=1e-6)
    assert np.allclose(flipped.classify(mirror), probs, atol=1e-6)  # a face and its mirror read the same


def test_config_flip_is_off_by_default_and_reaches_the_app_classifier(tmp_path: Path):
    assert build_config({}, "test").model.flip is False
    config = build_config({"model": {"flip": True, "delegate": "cpu"}, "state": {"dir": str(tmp_path)}}, "test")
    assert build_classifier(config, tmp_path).flip is True
    with pytest.raises(ConfigError, match="flip"):
        build_config({"model": {"flip": "yes"}}, "test")
