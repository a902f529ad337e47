"""Look again, closer, where a whole-frame detector found no face.

BlazeFace short range sees the frame shrunk to 128x128, so a face narrower than about a fifth of
the frame (a person two metres from a webcam) is too small for it, and a face that fills the
frame (someone leaning into the camera, a tightly cropped photo) is too big. When the whole
frame gives nothing, :class:`ZoomSearch` tries, in this order and stopping at the first that
finds a face:

1. in a camera stream, windows centred on the faces the last zoomed search found (a far person
   is followed with one extra detector run per frame; every :data:`FOLLOW_FRAMES` frames the
   whole search runs again, so that a second far person is found too);
2. the frame inside a border as wide as half its longer side (a face that fills it);
3. overlapping tiles half the frame's longer side wide, at twice the whole frame's scale: six
   on a 4:3 or 16:9 frame, nine on a square one.

Faces found twice (in overlapping tiles, or one cut by a tile's edge) are kept once, the larger
box. Boxes and keypoints come back in frame pixels, and faces under ``min_size`` are dropped
after clipping to the frame. On a 4:3 frame with nobody in it the search costs 8 detector runs
(the whole frame, the border, six tiles).
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from edge.core.face_tracks import iou
from edge.core.types import FaceBox
from edge.faces.base import FaceDetector

log = logging.getLogger(__name__)

#: Tiles (and windows around followed faces) are this share of the frame's longer side.
TILE_SHARE = 0.5
#: Neighbouring tiles overlap by this share of a tile, so that a face on a seam is whole in one.
TILE_OVERLAP = 0.5
#: Smallest frame side (longer one) worth tiling: below it, a tile holds no face of useful size.
MIN_TILED_SIDE = 256
#: A frame whose shorter side is under this share of its longer side (a strip) is not tiled.
MIN_ASPECT = 0.25
#: Two boxes overlapping more than this (intersection over union) are one face.
SAME_FACE_IOU = 0.3
#: ... and so are two boxes when this share of the smaller one lies inside the other.
SAME_FACE_INSIDE = 0.6
#: Followed faces: at most this many windows, and the whole search again after this many frames.
FOLLOW_MAX = 2
FOLLOW_FRAMES = 15


def tile_side(height: int, width: int) -> int:
    """Side of the square tiles for a frame, or 0 when the frame is too small or thin to tile."""
    longer, shorter = max(height, width), min(height, width)
    if longer < MIN_TILED_SIDE or shorter < longer * MIN_ASPECT:
        return 0
    return min(round(longer * TILE_SHARE), shorter)


def tile_windows(height: int, width: int) -> list[tuple[int, int, int]]:
    """Square tiles ``(x, y, side)`` covering a frame, half its longer side wide, overlapping.

    Args:
        height: Frame height in pixels.
        width: Frame width in pixels.

    Returns:
        The tiles, row by row; empty when the frame is too small or too thin to tile.
    """
    side = tile_side(height, width)
    if not side:
        return []
    step = max(1, round(side * (1 - TILE_OVERLAP)))

    def starts(extent: int) -> list[int]:
        return sorted({*range(0, extent - side + 1, step), extent - side})

    return [(x, y, side) for y in starts(height) for x in starts(width)]


def window_around(box: FaceBox, height: int, width: int) -> tuple[int, int, int] | None:
    """A tile-sized square ``(x, y, side)`` centred on ``box`` and kept inside the frame."""
    side = tile_side(height, width)
    if side < max(box.w, box.h):
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


def _inside_share(small: FaceBox, big: FaceBox) -> float:
    w = min(small.x + small.w, big.x + big.w) - max(small.x, big.x)
    h = min(small.y + small.h, big.y + big.h) - max(small.y, big.y)
    return max(w, 0) * max(h, 0) / max(small.area, 1)


def merge_same_faces(boxes: list[FaceBox]) -> list[FaceBox]:
    """One box per face, largest first.

    Boxes overlapping by :data:`SAME_FACE_IOU`, or lying mostly (:data:`SAME_FACE_INSIDE`)
    inside a larger one, are one face; the larger box is kept (a face cut by a tile's edge
    gives a smaller box than the same face whole in the next tile).
    """
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: (b.area, b.score), reverse=True):
        if all(iou(box, big) <= SAME_FACE_IOU and _inside_share(box, big) <= SAME_FACE_INSIDE for big in kept):
            kept.append(box)
    return kept


class ZoomSearch:
    """A detector that looks again, closer, when the whole frame shows no face.

    Args:
        inner: The detector run on the whole frame, the border and each tile.
        min_size: Smallest face side reported, in frame pixels (after clipping to the frame).
        follow: Remember where a zoomed search found faces and look there first next time
            (for a camera stream; photos are searched each on their own).
    """

    def __init__(self, inner: FaceDetector, min_size: int = 1, follow: bool = True) -> None:
        self.inner = inner
        self.name = inner.name
        self.min_size = min_size
        self.follow = follow
        self._followed: list[FaceBox] = []
        self._followed_for = 0

    def forget(self) -> None:
        """Drop the followed faces: the next frame is a new scene (a still, a new camera)."""
        self._followed = []
        self._followed_for = 0

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """Faces in a grey frame, largest first."""
        faces = self.inner.detect(gray)
        if faces:
            self.forget()
            return faces
        faces = self._around_followed(gray)
        if faces:
            self._followed = faces[:FOLLOW_MAX]
            return faces
        faces = self._bordered(gray) or self._tiled(gray)
        self._followed = faces[:FOLLOW_MAX] if self.follow else []
        self._followed_for = 0
        return faces

    def _kept(self, found: list[FaceBox], dx: int, dy: int, gray: np.ndarray) -> list[FaceBox]:
        height, width = gray.shape[:2]
        moved = (shifted(f, dx, dy, height, width) for f in found)
        return [b for b in moved if b is not None and min(b.w, b.h) >= self.min_size]

    def _in_window(self, gray: np.ndarray, window: tuple[int, int, int]) -> list[FaceBox]:
        x, y, side = window
        return self._kept(self.inner.detect(gray[y : y + side, x : x + side]), x, y, gray)

    def _around_followed(self, gray: np.ndarray) -> list[FaceBox]:
        if not self._followed or self._followed_for >= FOLLOW_FRAMES:
            return []
        self._followed_for += 1
        height, width = gray.shape[:2]
        windows = {w for w in (window_around(b, height, width) for b in self._followed) if w is not None}
        return merge_same_faces([f for w in sorted(windows) for f in self._in_window(gray, w)])

    def _bordered(self, gray: np.ndarray) -> list[FaceBox]:
        pad = max(gray.shape[:2]) // 2
        framed = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        return self._kept(self.inner.detect(framed), -pad, -pad, gray)

    def _tiled(self, gray: np.ndarray) -> list[FaceBox]:
        height, width = gray.shape[:2]
        return merge_same_faces([f for w in tile_windows(height, width) for f in self._in_window(gray, w)])
