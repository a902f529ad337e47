"""The faces a personalise run reads: captures, general reference faces and check sets, and the model run over them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from edge.core.errors import EmojifyError
from edge.data.datasets import DatasetError, FaceArrays, load_arrays
from edge.data.evaluation import detect_and_crop
from edge.faces.registry import photo_detector

log = logging.getLogger(__name__)


class PersonalizeError(EmojifyError):
    """The captures or data sets cannot be used; the message says why and what to do."""


def load_captures(data: Path, detect_faces: bool = False, limit: int | None = None) -> FaceArrays:
    """Read captured crops (or uncropped photos with ``detect_faces``) through the app's preprocessing.

    Raises:
        PersonalizeError: Nothing usable in ``data``.
    """
    to_pixels = None
    if detect_faces:
        detector = photo_detector()

        def to_pixels(image: np.ndarray) -> np.ndarray | None:
            return detect_and_crop(detector, image)

    arrays = load_faces(data, None, limit, to_pixels)
    if arrays.skipped:
        log.warning(
            "%d of %d images in %s had no face and were skipped",
            len(arrays.skipped),
            len(arrays) + len(arrays.skipped),
            data,
        )
    if len(arrays) == 0:
        raise PersonalizeError(
            f"{data}: no face found in any image; capture again, or drop --detect-faces for face crops"
        )
    return arrays


def load_faces(path: Path, usage: str | None, limit: int | None, to_pixels: Any = None) -> FaceArrays:
    """A data set through the shared preprocessing; its problems are :class:`PersonalizeError`."""
    try:
        return load_arrays(path, usage, to_pixels, limit)
    except DatasetError as exc:
        raise PersonalizeError(str(exc)) from None


def predict(classifier: Any, pixels: np.ndarray) -> np.ndarray:
    """The predicted class of each face."""
    return np.asarray([int(np.argmax(classifier.classify(face))) for face in pixels], np.int64)
