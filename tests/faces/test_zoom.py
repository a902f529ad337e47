"""The zoomed second look: tiles, border, following a far face, and the real detector."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.types import FaceBox
from edge.faces.zoom import ZoomSearch, tile_windows


class SizeLimitedDetector:
    """Finds the one bright square of an image, like a fixed-input detector: only when its side
    is between ``lo`` and ``hi`` of the image's longer side and it is whole inside the image.
    Keypoints: two "eyes" a quarter of the way down the square."""

    name = "fake"
    zoomable = True

    def __init__(self, lo: float = 0.2, hi: float = 0.8) -> None:
        self.lo, self.hi = lo, hi
        self.calls = 0

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        self.calls += 1
        ys, xs = np.nonzero(gray > 200)
        if not len(xs):
            return []
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        h, w = gray.shape
        touches_edge = x0 == 0 or y0 == 0 or x1 == w or y1 == h
        if touches_edge and (x1 - x0) < w:  # cut by the window's edge: not a whole face
            return []
        if not self.lo <= (x1 - x0) / max(h, w) <= self.hi:
            return []
        side = int(x1 - x0)
        eyes = ((x0 + side * 0.3, y0 + side * 0.25), (x0 + side * 0.7, y0 + side * 0.25))
        return [FaceBox(int(x0), int(y0), side, int(y1 - y0), 0.9, eyes)]


def frame_with_square(x: int, y: int, side: int, size: tuple[int, int] = (480, 640)) -> np.ndarray:
    frame = np.full(size, 60, np.uint8)
    frame[y : y + side, x : x + side] = 255
    return frame


@pytest.mark.parametrize("size", [(480, 640), (240, 320), (720, 1280), (1080, 1920), (640, 480)])
def test_tiles_cover_every_pixel_with_squares_half_the_longer_side(size) -> None:
    height, width = size
    tiles = tile_windows(height, width)
    covered = np.zeros(size, np.int32)
    for x, y, side in tiles:
        assert side == min(round(max(size) / 2), height, width)
        assert 0 <= x <= width - side and 0 <= y <= height - side
        covered[y : y + side, x : x + side] += 1
    assert covered.min() >= 1
    assert len(tiles) <= 9


def test_small_images_are_not_tiled() -> None:
    assert tile_windows(48, 48) == []
    assert tile_windows(200, 250) == []


def test_a_face_too_small_for_the_whole_frame_is_found_in_a_tile_in_frame_pixels() -> None:
    inner = SizeLimitedDetector()
    frame = frame_with_square(500, 330, 70)  # 70 / 640 = 11 % of the frame: too small whole
    assert inner.detect(frame) == []
    faces = ZoomSearch(inner, follow=False).detect(frame)
    assert len(faces) == 1
    face = faces[0]
    assert (face.x, face.y, face.w, face.h) == (500, 330, 70, 70)
    assert face.eyes == ((500 + 21.0, 330 + 17.5), (500 + 49.0, 330 + 17.5))


def test_a_face_on_a_seam_between_tiles_is_reported_once() -> None:
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
