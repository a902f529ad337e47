"""Face detectors: one module per backend, chosen once by :func:`make_detector`.

Every detector takes a grey ``(H, W)`` uint8 frame and returns :class:`edge.core.types.FaceBox`
objects in frame pixels, largest first.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from edge.core.errors import ConfigError, EmojifyError
from edge.core.types import FaceBox

log = logging.getLogger(__name__)

DETECTORS = ("blazeface", "haar")


class FaceDetector(Protocol):
    """Finds faces in a grey frame."""

    name: str

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """Faces in ``gray``, largest first."""
        ...


def largest_first(boxes: list[FaceBox], min_size: int) -> list[FaceBox]:
    """Drop boxes smaller than ``min_size`` pixels on their shorter side; sort by area."""
    kept = [b for b in boxes if min(b.w, b.h) >= min_size]
    return sorted(kept, key=lambda b: b.area, reverse=True)


def make_detector(name: str, min_size: int = 40, threshold: float = 0.6, model: Path | None = None) -> FaceDetector:
    """Create a detector; ``blazeface`` falls back to ``haar`` with a warning when it cannot load.

    Args:
        name: ``blazeface`` or ``haar``.
        min_size: Smallest face side in pixels that is reported.
        threshold: Detection score threshold (BlazeFace).
        model: BlazeFace model file (default: ``models/face_detection_short_range.tflite``).

    Raises:
        ConfigError: Unknown detector name.
    """
    if name not in DETECTORS:
        raise ConfigError(f"face detector {name!r} is not one of {', '.join(DETECTORS)}")
    if name == "blazeface":
        from edge.faces.blazeface import BlazeFaceDetector

        try:
            return BlazeFaceDetector(model=model, min_size=min_size, threshold=threshold)
        except EmojifyError as exc:
            log.warning("BlazeFace unavailable (%s); using the Haar cascade", exc)
    from edge.faces.haar import HaarDetector

    return HaarDetector(min_size=min_size)
