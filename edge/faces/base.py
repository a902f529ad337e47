"""What every face detector is and how it is tuned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.core.types import FaceBox


@dataclass(frozen=True)
class DetectorSettings:
    """Which detector and how it is tuned (the ``[faces]`` keys a detector uses).

    Attributes:
        name: A key of :data:`edge.faces.registry.DETECTORS`.
        min_size: Smallest face side in pixels that is reported.
        threshold: Detection score threshold (BlazeFace).
    """

    name: str = "blazeface"
    min_size: int = 32
    threshold: float = 0.6


#: Settings for uncropped photos (data sets, ``--detect-faces``, crop calibration): smaller faces
#: and a lower threshold than a camera stream needs, because a photo is a single chance.
PHOTO_SETTINGS = DetectorSettings("blazeface", min_size=20, threshold=0.5)


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
