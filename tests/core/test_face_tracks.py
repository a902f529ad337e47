"""Following faces across frames and keeping one primary face."""

from __future__ import annotations

from edge.core.face_tracks import FaceTracker, iou, match_score
from edge.core.types import FaceBox


def tracker(**kw) -> FaceTracker:
    args = {"confirm_after": 0.1, "forget_after": 1.0, "switch_ratio": 1.25, "handover_after": 0.5} | kw
    return FaceTracker(**args)


def test_iou_and_matching():
    a = FaceBox(0, 0, 100, 100)
    assert iou(a, a) == 1.0
    assert iou(a, FaceBox(200, 0, 100, 100)) == 0.0
    assert iou(a, FaceBox(50, 0, 100, 100)) == 5000 / 15000
    # a box that shrank a lot overlaps little, but its centre is inside the old box: same face
    assert iou(FaceBox(50, 50, 40, 40), a) < 0.2 < match_score(FaceBox(50, 50, 40, 40), a) + 1e-9
    assert match_score(FaceBox(150, 150, 100, 100), a) == 0


def test_a_moving_face_keeps_its_track_and_a_new_face_gets_a_new_one():
    tr = tracker()
    ids = [tr.update([FaceBox(100 + 8 * i, 100, 120, 120)], i / 15)[0] for i in range(20)]
    assert len(set(ids)) == 1
    other = tr.update([FaceBox(108 + 8 * 20, 100, 120, 120), FaceBox(500, 300, 80, 80)], 20 / 15)
    assert other[0] == ids[0] and other[1] != ids[0]


def test_a_face_is_confirmed_only_after_confirm_after_and_forgotten_after_forget_after():
    tr = tracker()
    box = FaceBox(0, 0, 100, 100)
    tr.update([box], 0.0)
    assert tr.primary is None  # one frame is not a face yet
    tr.update([box], 0.1)
    assert tr.primary is not None and tr.primary.confirmed
    tr.update([], 0.9)
    assert tr.primary is not None  # missing, not forgotten
    tr.update([], 1.2)
    assert tr.primary is None and not tr.tracks


def test_similar_sizes_never_swap_the_primary_a_clearly_larger_face_does():
    tr = tracker()
    a, b = FaceBox(0, 0, 160, 160), FaceBox(300, 0, 150, 150)
    for i in range(3):
        tr.update([a, b], i / 15)
    first = tr.primary.id
    for i, size in enumerate([170, 180, 190, 195]):  # up to 1.22 x as wide: no switch
        tr.update([a, FaceBox(300, 0, size, size)], (3 + i) / 15)
        assert tr.primary.id == first
    tr.update([a, FaceBox(300, 0, 201, 201)], 8 / 15)  # 1.26 x as wide
    assert tr.primary.id != first
    second = tr.primary.id
    tr.update([FaceBox(0, 0, 190, 190), FaceBox(300, 0, 201, 201)], 9 / 15)  # A larger again, but not by 1.25
    assert tr.primary.id == second


def test_a_visible_face_takes_over_once_the_primary_has_been_gone_for_handover_after():
    tr = tracker()
    a, b = FaceBox(0, 0, 200, 200), FaceBox(300, 0, 100, 100)
    for i in range(3):
        tr.update([a, b], i / 10)
    first = tr.primary.id
    tr.update([b], 0.3)
    tr.update([b], 0.6)
    assert tr.primary.id == first  # 0.4 s out of sight
    tr.update([b], 0.7)
    assert tr.primary.id != first  # 0.5 s


def test_reset_forgets_everything():
    tr = tracker()
    tr.update([FaceBox(0, 0, 100, 100)], 0.0)
    tr.update([FaceBox(0, 0, 100, 100)], 0.2)
    tr.reset()
    assert tr.primary is None and not tr.tracks
