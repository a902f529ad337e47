"""Look again, closer, where a whole-frame detector found no face.

BlazeFace short range sees the frame shrunk to 128x128, so a face narrower than about a fifth
of the frame (a person two metres from a webcam) is too small for it, and a face that fills the
frame (someone leaning into the camera, a tightly cropped photo) is too big. When the whole
frame gives nothing, :class:`ZoomSearch` tries, in this order and stopping at the first that
finds a face:

1. windows centred on the faces the last zoomed search found (a far person is followed with one
   extra detector run per frame instead of a full search);
2. the frame inside a border as wide as half its longer side (a face that fills it);
3. overlapping tiles half the frame's longer side wide, at twice the whole frame's scale.

Faces found twice (in two overlapping tiles) are kept once. Boxes and keypoints come back in
frame pixels. On a frame with nobody in it, a full search costs 1 + 1 + 6 detector runs.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from edge.core.face_tracks import iou
from edge.core.types import FaceBox
from edge.faces.base import FaceDetector

log = logging.getLogger(__name__)

#: Tiles (and windows around remembered faces) are this share of the frame's longer side.
TILE_SHARE = 0.5
#: Neighbouring tiles overlap by this share of a tile, so that a face on a seam is whole in one.
TILE_OVERLAP = 0.5
#: Smallest frame side (longer one) worth tiling: below it, a tile holds no face of useful size.
MIN_TILED_SIDE = 256
#: Two boxes overlapping more than this are one face.
SAME_FACE_IOU = 0.3


def tile_windows(height: int, width: int) -> list[tuple[int, int, int]]:
    """Square tiles ``(x, y, side)`` covering a frame, half its longer side wide, overlapping.

    Args:
        height: Frame height in pixels.
        width: Frame width in pixels.

    Returns:
        The tiles, row by row; empty when the frame is too small to tile.
    """
    longer = max(height, width)
    side = min(round(longer * TILE_SHARE), height, width)
    if longer < MIN_TILED_SIDE or side < 1:
        return []
    step = max(1, round(side * (1 - TILE_OVERLAP)))

    def starts(extent: int) -> list[int]:
        return sorted({*range(0, extent - side + 1, step), extent - side})

    return [(x, y, side) for y in starts(height) for x in starts(width)]


def window_around(box: FaceBox, height: int, width: int) -> tuple[int, int, int] | None:
    """A tile-sized square ``(x, y, side)`` centred on ``box`` and kept inside the frame."""
    side = min(round(max(height, width) * TILE_SHARE), height, width)
    if max(height, width) < MIN_TILED_SIDE or side < max(box.w, box.h):
        return None
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    x = int(np.clip(round(cx - side / 2), 0, width - side))
    y = int(np.clip(round(cy - side / 2), 0, height - side))
    return x, y, side


def shifted(box: FaceBox, dx: float, dy: float, height: int, width: int) -> FaceBox | None:
    """``box`` moved by ``(dx, dy)`` and clipped to the frame; ``None`` when nothing is left."""
    x0, y0 = max(box.x + dx, 0.0), max(box.y + dy, 0.0)
    x1, y1 = min(box.x + box.w + dx, float(width)), min(box.y + box.h + dy, float(height))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    points = None if box.keypoints is None else tuple((px + dx, py + dy) for px, py in box.keypoints)
    return FaceBox(round(x0), round(y0), round(x1 - x0), round(y1 - y0), box.score, points)


def merge_same_faces(boxes: list[FaceBox]) -> list[FaceBox]:
    """One box per face (the best-scored of those overlapping by :data:`SAME_FACE_IOU`), largest first."""
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(iou(box, other) <= SAME_FACE_IOU for other in kept):
            kept.append(box)
    return sorted(kept, key=lambda b: b.area, reverse=True)


class ZoomSearch:
    """A detector that looks again, closer, when the whole frame shows no face.

    Args:
        inner: The detector run on the whole frame, the border and each tile.
        follow: Remember where a zoomed search found faces and look there first next time
            (for a camera stream; photos are searched each on their own).
    """

    def __init__(self, inner: FaceDetector, follow: bool = True) -> None:
        self.inner = inner
        self.name = inner.name
        self.follow = follow
        self._followed: list[FaceBox] = []

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """Faces in a grey frame, largest first."""
        faces = self.inner.detect(gray)
        if faces:
            self._followed = []
            return faces
        faces = self._around_followed(gray) or self._bordered(gray) or self._tiled(gray)
        self._followed = faces if self.follow else []
        return faces

    def _in_window(self, gray: np.ndarray, window: tuple[int, int, int]) -> list[FaceBox]:
        x, y, side = window
        height, width = gray.shape[:2]
        found = self.inner.detect(gray[y : y + side, x : x + side])
        return [b for b in (shifted(f, x, y, height, width) for f in found) if b is not None]

    def _around_followed(self, gray: np.ndarray) -> list[FaceBox]:
        height, width = gray.shape[:2]
        windows = {w for w in (window_around(b, height, width) for b in self._followed) if w is not None}
        return merge_same_faces([f for w in sorted(windows) for f in self._in_window(gray, w)])

    def _bordered(self, gray: np.ndarray) -> list[FaceBox]:
        height, width = gray.shape[:2]
        pad = max(height, width) // 2
        framed = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        found = self.inner.detect(framed)
        return [b for b in (shifted(f, -pad, -pad, height, width) for f in found) if b is not None]

    def _tiled(self, gray: np.ndarray) -> list[FaceBox]:
        height, width = gray.shape[:2]
        return merge_same_faces([f for w in tile_windows(height, width) for f in self._in_window(gray, w)])
