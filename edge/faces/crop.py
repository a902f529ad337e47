"""Detect, take the largest face, crop it the one way: for capture and for evaluating photos."""

from __future__ import annotations

import numpy as np

from edge.core.preprocess import INPUT_SIZE, face_to_model_pixels
from edge.core.types import FaceBox
from edge.faces.base import FaceDetector


def largest_face_crop(
    detector: FaceDetector, gray: np.ndarray, size: int = INPUT_SIZE
) -> tuple[FaceBox, np.ndarray] | None:
    """The live app's crop of the largest face in a grey frame, or ``None`` when there is no face."""
    faces = detector.detect(gray)
    if not faces:
        return None
    box = faces[0]
    return box, face_to_model_pixels(gray, box.as_tuple(), size, box.eyes)
