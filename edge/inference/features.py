"""The model's penultimate features: reading them over many faces, and their general-face statistics.

The int8 model has a second output, ``features`` (256 values per face). Personalisation refits
the final layer on them, and the second moments of ``[features, 1]`` over general faces, stored
in the model's metadata at export, keep general accuracy while it does.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from edge.core.errors import ModelError
from edge.core.labels import NUM_CLASSES
from edge.inference.classifier import ExpressionClassifier
from edge.model_format.metadata import FEATURE_MOMENTS_KEY, add_metadata, encode_moments
from edge.system.files import atomic_write

log = logging.getLogger(__name__)


def run_model(classifier: ExpressionClassifier, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (N, 7), features (N, D))`` of a classifier over ``(N, S, S)`` face pixels.

    Raises:
        ModelError: The model has no ``features`` output.
    """
    if not classifier.has_features:
        raise ModelError(
            f"{classifier.info.path}: the model has no 'features' output, so it cannot be personalised; "
            "use the shipped model or one exported by scripts/export.py"
        )
    probs: list[np.ndarray] = []
    feats: list[np.ndarray] = []
    for face in pixels:
        p, f = classifier.run(face)
        assert f is not None  # has_features was checked above
        probs.append(p)
        feats.append(f)
    width = len(feats[0]) if feats else 0
    return (
        np.stack(probs) if probs else np.zeros((0, NUM_CLASSES), np.float32),
        np.stack(feats) if feats else np.zeros((0, width), np.float32),
    )


def feature_moments(features: np.ndarray) -> np.ndarray:
    """Second-moment matrix ``E[a aᵀ]`` of ``a = [f, 1]`` over ``(N, D)`` features: ``(D+1, D+1)`` float64.

    Raises:
        ValueError: No features.
    """
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) == 0:
        raise ValueError(f"need (N, D) features with N > 0, got {f.shape}")
    a = np.hstack([f, np.ones((len(f), 1))])
    return a.T @ a / len(a)


def compute_feature_moments(model: Path, pixels: np.ndarray, threads: int = 1) -> np.ndarray:
    """Feature moments (see :func:`feature_moments`) of general faces through the int8 model.

    Args:
        model: The int8 model with a ``features`` output.
        pixels: ``(N, S, S)`` uint8 general faces (e.g. FER2013 Training rows).
        threads: Interpreter threads.

    Raises:
        ModelError: The model has no ``features`` output.
    """
    classifier = ExpressionClassifier(model, num_threads=threads, delegate="cpu")
    _, features = run_model(classifier, pixels)
    return feature_moments(features)


def embed_feature_moments(model: Path, pixels: np.ndarray, threads: int = 1) -> np.ndarray:
    """Store the general-face feature moments in the model's metadata (the file is replaced atomically).

    Call it after exporting a model (``scripts/export.py``) with a couple of thousand training
    faces, so that ``emojify personalize`` on the Pi protects general accuracy without any data set.

    Returns:
        The moments stored.
    """
    moments = compute_feature_moments(model, pixels, threads)
    data = add_metadata(read_model(model), {FEATURE_MOMENTS_KEY: encode_moments(moments)})
    atomic_write(model, data)
    log.info("stored feature moments of %d faces in %s", len(pixels), model)
    return moments


def read_model(path: Path) -> bytes:
    """The bytes of a ``.tflite`` file.

    Raises:
        ModelError: The file is missing or unreadable.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model not found; give the int8 .tflite to start from (--model)") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc})") from None
