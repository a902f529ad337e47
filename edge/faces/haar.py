"""Haar cascade face detector (OpenCV), the fallback when BlazeFace cannot run.

The cascade XML ships in ``opencv-python-headless`` below 5.0 (``cv2.data``) and in Debian's
``opencv-data``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.core.errors import ModelError
from edge.core.types import FaceBox
from edge.faces.base import DetectorSettings, largest_first

CASCADE = "haarcascade_frontalface_default.xml"
SEARCH = (Path("/usr/share/opencv4/haarcascades"), Path("/usr/share/opencv/haarcascades"))


def find_cascade() -> Path:
    """Locate the frontal-face cascade file.

    Raises:
        ModelError: No cascade file is installed.
    """
    folders = list(SEARCH)
    data = getattr(cv2, "data", None)
    if data is not None:
        folders.insert(0, Path(data.haarcascades))
    for folder in folders:
        if (folder / CASCADE).exists():
            return folder / CASCADE
    raise ModelError(
        f"no {CASCADE} found (looked in {', '.join(map(str, folders))}); install opencv-python-headless<5 or apt install opencv-data"
    )


class HaarDetector:
    """OpenCV Haar cascade detector."""

    name = "haar"

    def __init__(self, min_size: int = 32) -> None:
        if not hasattr(cv2, "CascadeClassifier"):
            raise ModelError("this OpenCV has no CascadeClassifier (OpenCV 5); install opencv-python-headless<5")
        path = find_cascade()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ModelError(f"{path}: the Haar cascade could not be loaded")
        self.min_size = min_size

    @classmethod
    def from_settings(cls, settings: DetectorSettings, model: Path | None = None) -> HaarDetector:
        """The detector for ``[faces]`` settings (the cascade ships with OpenCV: ``model`` is not used)."""
        return cls(min_size=settings.min_size)

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """Faces in a grey frame, largest first."""
        found = self._cascade.detectMultiScale(
            gray, scaleFactor=1.15, minNeighbors=5, minSize=(self.min_size, self.min_size)
        )
        boxes = [FaceBox(int(x), int(y), int(w), int(h)) for x, y, w, h in (found if len(found) else [])]
        return largest_first(boxes, self.min_size)
