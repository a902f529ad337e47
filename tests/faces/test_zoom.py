"""The zoomed second look: tiles, border, following a far face, and the real detector."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.types import FaceBox
from edge.faces.zoom import FOLLOW_FRAMES, ZoomSearch, tile_windows


class SizeLimitedDetector:
    """Finds the bright squares of an image, like a fixed-input detector: only those whose side
    is between ``lo`` and ``hi`` of the image's longer side and that are whole inside the image.
    Keypoints: two "eyes" a quarter of the way down each square."""

    name = "fake"
    zoomable = True

    def __init__(self, lo: float = 0.2, hi: float = 0.8, cut_score: float | None = None) -> None:
        self.lo, self.hi = lo, hi
        self.cut_score = cut_score  # also report a square cut by the window's edge, with this score
        self.calls = 0

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        self.calls += 1
        count, _, stats, _ = cv2.connectedComponentsWithStats((gray > 200).astype(np.uint8))
        h, w = gray.shape
        faces = []
        for x0, y0, bw, bh, _ in stats[1:count]:
            x1, y1 = x0 + bw, y0 + bh
            if not self.lo <= bw / max(h, w) <= self.hi:
                continue
            touches_edge = x0 == 0 or y0 == 0 or x1 == w or y1 == h
            if touches_edge and bw < w:  # cut by the window's edge: not a whole face
                if self.cut_score is not None:
                    faces.append(FaceBox(int(x0), int(y0), int(bw), int(bh), self.cut_score))
                continue
            eyes = ((x0 + bw * 0.3, y0 + bw * 0.25), (x0 + bw * 0.7, y0 + bw * 0.25))
            faces.append(FaceBox(int(x0), int(y0), int(bw), int(bh), 0.9, eyes))
        return sorted(faces, key=lambda f: f.area, reverse=True)


def frame_with_square(x: int, y: int, side: int, size: tuple[int, int] = (480, 640)) -> np.ndarray:
    frame = np.full(size, 60, np.uint8)
    frame[y : y + side, x : x + side] = 255
    return frame


@pytest.mark.parametrize(
    ("size", "count"),
    [((480, 640), 6), ((240, 320), 6), ((720, 1280), 6), ((1080, 1920), 6), ((640, 480), 6), ((480, 480), 9)],
)
def test_tiles_cover_every_pixel_with_squares_half_the_longer_side(size, count) -> None:
    height, width = size
    tiles = tile_windows(height, width)
    assert len(tiles) == count
    covered = np.zeros(size, np.int32)
    for x, y, side in tiles:
        assert side == min(round(max(size) / 2), height, width)
        assert 0 <= x <= width - side and 0 <= y <= height - side
        covered[y : y + side, x : x + side] += 1
    assert covered.min() >= 1


def test_small_and_strip_images_are_not_tiled() -> None:
    assert tile_windows(48, 48) == []
    assert tile_windows(200, 250) == []
    assert tile_windows(2, 600) == []
    assert tile_windows(240, 1920) == []
    inner = SizeLimitedDetector()
    assert ZoomSearch(inner).detect(np.full((2, 600), 60, np.uint8)) == []
    assert inner.calls == 2  # the whole strip and the bordered strip, no tiles


def test_a_face_cut_by_a_tiles_edge_is_one_face_the_whole_box() -> None:
    # Tiles start every 160 px; the square at x 250..350 is whole in the tile at x 160..480 and
    # cut in the tile at x 0..320 (70 px of it), where the fake reports the cut part scored higher.
    inner = SizeLimitedDetector(cut_score=0.99)
    assert inner.detect(frame_with_square(250, 200, 100)[0:320, 0:320])[0].w == 70
    faces = ZoomSearch(inner, follow=False).detect(frame_with_square(250, 200, 100))
    assert [(f.x, f.y, f.w, f.h) for f in faces] == [(250, 200, 100, 100)]


class BorderOnlyDetector:
    """Finds a face only in the bordered frame, at a place given in that frame's pixels."""

    name = "fake"

    def __init__(self, box: FaceBox, frame_shape: tuple[int, int]) -> None:
        self.box, self.frame_shape = box, frame_shape

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        return [self.box] if gray.shape[0] > self.frame_shape[0] else []


def test_a_box_mostly_in_the_border_is_dropped_when_clipping_leaves_it_under_min_size() -> None:
    pad = 240  # a 480x480 frame gets a border of 240 on each side
    inside = BorderOnlyDetector(FaceBox(pad + 100, pad + 100, 80, 80), (480, 480))
    assert [f.as_tuple() for f in ZoomSearch(inside, min_size=32).detect(np.zeros((480, 480), np.uint8))] == [
        (100, 100, 80, 80)
    ]
    mostly_border = BorderOnlyDetector(FaceBox(pad - 70, pad + 100, 80, 80), (480, 480))  # 10 px inside
    assert ZoomSearch(mostly_border, min_size=32).detect(np.zeros((480, 480), np.uint8)) == []


def test_a_face_too_small_for_the_whole_frame_is_found_in_a_tile_in_frame_pixels() -> None:
    inner = SizeLimitedDetector()
    frame = frame_with_square(500, 330, 70)  # 70 / 640 = 11 % of the frame: too small whole
    assert inner.detect(frame) == []
    faces = ZoomSearch(inner, follow=False).detect(frame)
    assert len(faces) == 1
    face = faces[0]
    assert (face.x, face.y, face.w, face.h) == (500, 330, 70, 70)
    assert face.eyes == ((500 + 21.0, 330 + 17.5), (500 + 49.0, 330 + 17.5))


def test_a_face_whole_in_two_tiles_is_reported_once() -> None:
    # Tiles of 320 start every 160 px: a square at x 300..380 is whole in the tiles at x 160 and 320.
    faces = ZoomSearch(SizeLimitedDetector(), follow=False).detect(frame_with_square(300, 200, 80))
    assert [(f.x, f.y, f.w) for f in faces] == [(300, 200, 80)]


def test_a_face_filling_the_frame_is_found_inside_a_border() -> None:
    inner = SizeLimitedDetector(lo=0.2, hi=0.8)
    frame = frame_with_square(5, 5, 470, size=(480, 480))  # 98 % of the frame: too big whole
    assert inner.detect(frame) == []
    faces = ZoomSearch(inner, follow=False).detect(frame)
    assert [(f.x, f.y, f.w, f.h) for f in faces] == [(5, 5, 470, 470)]


def test_a_whole_frame_face_costs_one_run() -> None:
    inner = SizeLimitedDetector()
    faces = ZoomSearch(inner).detect(frame_with_square(200, 100, 250))
    assert len(faces) == 1 and inner.calls == 1


def test_an_empty_frame_costs_whole_border_and_every_tile() -> None:
    inner = SizeLimitedDetector()
    assert ZoomSearch(inner).detect(np.full((480, 640), 60, np.uint8)) == []
    assert inner.calls == 1 + 1 + len(tile_windows(480, 640))


def test_a_far_face_is_followed_with_one_extra_run_per_frame() -> None:
    inner = SizeLimitedDetector()
    search = ZoomSearch(inner, follow=True)
    assert search.detect(frame_with_square(500, 330, 70))
    for step in range(1, 6):  # the person walks left a little each frame
        inner.calls = 0
        faces = search.detect(frame_with_square(500 - 15 * step, 330, 70))
        assert [(f.x, f.w) for f in faces] == [(500 - 15 * step, 70)]
        assert inner.calls == 2  # the whole frame, then the window around the last face


def test_a_followed_face_that_leaves_is_searched_for_everywhere_again() -> None:
    inner = SizeLimitedDetector()
    search = ZoomSearch(inner, follow=True)
    search.detect(frame_with_square(500, 330, 70))
    inner.calls = 0
    faces = search.detect(frame_with_square(40, 40, 70))  # gone from there, now top left
    assert [(f.x, f.y) for f in faces] == [(40, 40)]
    assert inner.calls > 3


def test_while_following_the_whole_search_runs_again_and_finds_a_second_far_face() -> None:
    inner = SizeLimitedDetector()
    search = ZoomSearch(inner, follow=True)

    def two_far_faces() -> np.ndarray:
        frame = frame_with_square(500, 330, 70)
        frame[40:110, 40:110] = 255
        return frame

    search.detect(frame_with_square(500, 330, 70))  # one far person: followed from now on
    counts = []
    for _ in range(FOLLOW_FRAMES + 1):  # a second one arrives far away at the top left
        faces = search.detect(two_far_faces())
        counts.append(len(faces))
    assert counts[:FOLLOW_FRAMES] == [1] * FOLLOW_FRAMES  # the followed window only
    assert counts[-1] == 2  # the whole search again: both
    inner.calls = 0
    assert len(search.detect(two_far_faces())) == 2 and inner.calls == 3  # both followed: 1 + 2 windows


def test_a_whole_frame_face_ends_following_and_a_lost_face_costs_a_full_search() -> None:
    inner = SizeLimitedDetector()
    search = ZoomSearch(inner, follow=True)
    search.detect(frame_with_square(500, 330, 70))
    search.detect(frame_with_square(200, 100, 250))  # someone close: found whole
    inner.calls = 0
    search.detect(frame_with_square(500, 330, 70))
    assert inner.calls == 1 + 1 + 6  # nothing followed any more: whole, border, tiles
    inner.calls = 0
    assert search.detect(np.full((480, 640), 60, np.uint8)) == []  # the far person left
    assert inner.calls == 1 + 1 + 1 + 6  # whole, their window, border, tiles


def test_photos_are_searched_each_on_their_own() -> None:
    inner = SizeLimitedDetector()
    search = ZoomSearch(inner, follow=False)
    search.detect(frame_with_square(500, 330, 70))
    inner.calls = 0
    search.detect(frame_with_square(500, 330, 70))
    assert inner.calls > 3  # no remembered window


def astronaut_head(width: int) -> np.ndarray:
    skimage = pytest.importorskip("skimage")
    image = cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png"), cv2.IMREAD_GRAYSCALE)
    head = image[40:220, 140:310]
    return cv2.resize(head, (width, round(width * head.shape[0] / head.shape[1])), interpolation=cv2.INTER_AREA)


def test_the_shipped_detector_finds_a_person_far_from_the_camera_only_when_zoomed() -> None:
    from edge.faces.blazeface import BlazeFaceDetector
    from edge.faces.registry import make_detector

    frame = np.full((480, 640), 110, np.uint8)
    head = astronaut_head(120)
    frame[300 : 300 + head.shape[0], 450:570] = head  # the face itself is ~70 px: 11 % of the frame
    assert BlazeFaceDetector().detect(frame) == []
    faces = make_detector("blazeface").detect(frame)
    assert len(faces) == 1
    face = faces[0]
    assert 450 < face.x < face.x + face.w < 570 and 300 < face.y < face.y + face.h < 300 + head.shape[0]
    (lx, ly), (rx, ry) = face.eyes or ((0, 0), (0, 0))
    assert face.x < lx < rx < face.x + face.w and face.y < min(ly, ry) < face.y + face.h / 2
    assert make_detector("blazeface", zoom=False).detect(frame) == []


def test_the_config_switch_and_the_photo_detector() -> None:
    from edge.config.loader import build_config
    from edge.faces.registry import photo_detector
    from edge.pipeline.assembly import build_detector

    assert isinstance(build_detector(build_config({}, "test")), ZoomSearch)
    assert not isinstance(build_detector(build_config({"faces": {"zoom": False}}, "test")), ZoomSearch)
    assert not isinstance(build_detector(build_config({"faces": {"detector": "haar"}}, "test")), ZoomSearch)
    photos = photo_detector()
    assert isinstance(photos, ZoomSearch) and not photos.follow


def test_the_config_default_is_the_detectors_default() -> None:
    from edge.config.schema import FacesConfig
    from edge.faces.base import DetectorSettings

    assert FacesConfig().min_size == DetectorSettings().min_size
    assert FacesConfig().threshold == DetectorSettings().threshold
