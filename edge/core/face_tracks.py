"""Following faces from frame to frame, and choosing the one that drives the screen.

Pure code, time passed in. A face in a new frame continues the track whose last box it overlaps
most (intersection over union, or its centre lying inside the old box, so a fast move or a
detector that jitters still matches). A track is *confirmed* once it has been seen over
``confirm_after`` seconds, so a one-frame false detection never drives anything, and it is
forgotten after ``forget_after`` seconds unseen.

The *primary* track drives the decision. It is kept, not recomputed every frame: another face
takes over only when its box is at least ``switch_ratio`` times as wide as the primary's (by
area, so a wide flat box counts no more than it covers): two faces of about the same size, or
swapping size, switch once, never back and forth. A face also takes over when the primary has
been out of sight for ``handover_after`` seconds while that face is in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.core.types import FaceBox

#: Overlap (intersection over union) a face needs to continue a track.
MIN_IOU = 0.2


@dataclass
class Track:
    """One face followed over time.

    Attributes:
        id: Unique within a :class:`FaceTracker` (never reused).
        box: The last box seen.
        first_seen: Time the face was first seen.
        last_seen: Time the face was last seen.
        confirmed: Seen over ``confirm_after`` seconds; only confirmed tracks can be primary.
    """

    id: int
    box: FaceBox
    first_seen: float
    last_seen: float
    confirmed: bool = False


def iou(a: FaceBox, b: FaceBox) -> float:
    """Intersection over union of two boxes (0 when they do not overlap)."""
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / float(a.area + b.area - inter)


def _centre_inside(box: FaceBox, old: FaceBox) -> bool:
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return old.x <= cx <= old.x + old.w and old.y <= cy <= old.y + old.h


def match_score(box: FaceBox, old: FaceBox) -> float:
    """How well ``box`` continues a track whose last box is ``old``; 0 means it does not."""
    overlap = iou(box, old)
    if overlap >= MIN_IOU:
        return overlap
    return MIN_IOU if _centre_inside(box, old) else 0.0


class FaceTracker:
    """Tracks faces and keeps a primary one (see the module docstring).

    Args:
        confirm_after: Seconds a face must be seen before it can be primary.
        forget_after: Seconds unseen after which a track is dropped.
        switch_ratio: How many times wider than a visible primary another face must be to take over.
        handover_after: Seconds the primary may be out of sight before a visible face takes over.
    """

    def __init__(self, confirm_after: float, forget_after: float, switch_ratio: float, handover_after: float) -> None:
        self.confirm_after = confirm_after
        self.forget_after = forget_after
        self.switch_ratio = switch_ratio
        self.handover_after = handover_after
        self.tracks: dict[int, Track] = {}
        self.primary: Track | None = None
        self._next_id = 0

    def reset(self) -> None:
        """Forget every face (a new scene)."""
        self.tracks.clear()
        self.primary = None

    def update(self, boxes: Sequence[FaceBox], now: float) -> list[int]:
        """Match this frame's boxes to tracks, drop stale tracks and update the primary.

        Args:
            boxes: The faces found in this frame.
            now: Frame time in seconds.

        Returns:
            The track id of each box, in the order given.
        """
        ids = self._match(boxes, now)
        for track_id in [i for i, t in self.tracks.items() if now - t.last_seen > self.forget_after]:
            del self.tracks[track_id]
        if self.primary is not None and self.primary.id not in self.tracks:
            self.primary = None
        self._choose_primary(now)
        return ids

    def visible(self, track: Track, now: float) -> bool:
        """Whether ``track`` was seen in the frame at ``now``."""
        return track.last_seen == now

    def _match(self, boxes: Sequence[FaceBox], now: float) -> list[int]:
        pairs = sorted(
            (
                (match_score(box, track.box), i, track.id)
                for i, box in enumerate(boxes)
                for track in self.tracks.values()
            ),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(boxes)
        taken: set[int] = set()
        for score, i, track_id in pairs:
            if score <= 0.0 or ids[i] is not None or track_id in taken:
                continue
            ids[i] = track_id
            taken.add(track_id)
        result: list[int] = []
        for box, matched in zip(boxes, ids, strict=True):
            if matched is None:
                track = Track(self._next_id, box, now, now)
                self.tracks[track.id] = track
                self._next_id += 1
            else:
                track = self.tracks[matched]
            track.box = box
            track.last_seen = now
            if now - track.first_seen >= self.confirm_after - 1e-9:
                track.confirmed = True
            result.append(track.id)
        return result

    def _choose_primary(self, now: float) -> None:
        in_view = [t for t in self.tracks.values() if t.confirmed and self.visible(t, now)]
        if not in_view:
            return
        largest = max(in_view, key=lambda t: (t.box.area, -t.id))
        current = self.primary
        if current is None:
            self.primary = largest
        elif self.visible(current, now):
            if largest is not current and largest.box.area >= self.switch_ratio**2 * current.box.area:
                self.primary = largest
        elif now - current.last_seen >= self.handover_after - 1e-9:
            self.primary = largest
