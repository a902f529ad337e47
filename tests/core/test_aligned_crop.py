"""Aligned crops: BlazeFace's eye keypoints level a tilted face before the one preprocessing function."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.image import to_gray
from edge.core.preprocess import (
    INPUT_SIZE,
    ROLL_DEADZONE_DEG,
    aligned_transform,
    face_to_model_pixels,
    roll_correction,
)
from edge.core.types import FaceBox, Frame

ASTRONAUT_BOX = (176, 75, 98, 98)


def astronaut_gray() -> np.ndarray:
    skimage = pytest.importorskip("skimage")
    image = cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png"), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def eyes_at(roll_deg: float, centre: tuple[float, float] = (225.0, 110.0), dist: float = 45.0):
    a = np.radians(roll_deg)
    dx, dy = np.cos(a) * dist / 2, np.sin(a) * dist / 2
    return (centre[0] - dx, centre[1] - dy), (centre[0] + dx, centre[1] + dy)


def test_blazeface_gives_six_keypoints_where_the_face_is():
    from edge.faces.blazeface import KEYPOINTS, BlazeFaceDetector

    face = BlazeFaceDetector().detect(astronaut_gray())[0]
    assert face.keypoints is not None and len(face.keypoints) == len(KEYPOINTS)
    points = dict(zip(KEYPOINTS, face.keypoints, strict=True))
    (lx, ly), (rx, ry) = face.eyes or ((0, 0), (0, 0))
    assert points["right_eye"] == (lx, ly)  # the person's right eye is on the image's left
    assert face.x < lx < rx < face.x + face.w
    assert face.y < ly < face.y + face.h / 2 and face.y < ry < face.y + face.h / 2
    assert min(ly, ry) < points["nose_tip"][1] < points["mouth"][1] < face.y + face.h


def test_roll_inside_the_dead_zone_keeps_the_plain_crop_byte_for_byte():
    gray = astronaut_gray()
    plain = face_to_model_pixels(gray, ASTRONAUT_BOX)
    for roll in (0.0, 5.0, -ROLL_DEADZONE_DEG + 0.1):
        assert roll_correction(eyes_at(roll)) == 0.0
        assert np.array_equal(face_to_model_pixels(gray, ASTRONAUT_BOX, eyes=eyes_at(roll)), plain)


def test_roll_beyond_the_dead_zone_is_levelled_down_to_it():
    for roll in (20.0, -20.0, 35.0):
        m = aligned_transform(ASTRONAUT_BOX, eyes_at(roll))
        (lx, ly), (rx, ry) = (m @ np.array([*p, 1.0]) for p in eyes_at(roll))
        residual = np.degrees(np.arctan2(ry - ly, rx - lx))
        assert abs(residual - np.sign(roll) * ROLL_DEADZONE_DEG) < 1e-6
        # Same centre and scale as the plain crop: the box centre maps to the output centre.
        w, h = ASTRONAUT_BOX[2:]
        assert np.hypot(m[0, 0], m[0, 1]) == pytest.approx(INPUT_SIZE / (max(w, h) * 1.18))


def test_a_tilted_face_is_cropped_like_the_upright_face_tilted_by_the_dead_zone():
    """Rotate the astronaut by 25 degrees: the aligned crop matches the upright crop turned by 17 degrees."""
    gray = astronaut_gray()
    x, y, w, h = ASTRONAUT_BOX
    centre = (x + w / 2.0, y + h / 2.0 - 0.09 * w)
    tilted = cv2.warpAffine(gray, cv2.getRotationMatrix2D(centre, -25.0, 1.0), gray.shape[::-1], flags=cv2.INTER_LINEAR)
    eyes = eyes_at(25.0, centre=(centre[0], centre[1] - 10))
    aligned = face_to_model_pixels(tilted, ASTRONAUT_BOX, eyes=eyes).astype(np.float32)
    expected_roll = 25.0 - ROLL_DEADZONE_DEG
    reference = cv2.warpAffine(
        gray, cv2.getRotationMatrix2D(centre, -(25.0 - expected_roll), 1.0), gray.shape[::-1], flags=cv2.INTER_LINEAR
    )
    expected = face_to_model_pixels(reference, ASTRONAUT_BOX).astype(np.float32)
    unaligned = face_to_model_pixels(tilted, ASTRONAUT_BOX).astype(np.float32)
    assert np.abs(aligned - expected).mean() < 6.0
    assert np.abs(aligned - expected).mean() < 0.5 * np.abs(unaligned - expected).mean()


def test_warped_crop_is_as_sharp_as_the_plain_crop():
    """A large face warped with a tiny rotation matches the plain (area-resized) crop closely."""
    gray = astronaut_gray()
    big = cv2.resize(gray, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    box = tuple(3 * v for v in ASTRONAUT_BOX)
    eyes = eyes_at(ROLL_DEADZONE_DEG + 0.01, centre=(3 * 225.0, 3 * 110.0), dist=135.0)
    warped = face_to_model_pixels(big, box, eyes=eyes).astype(np.float32)
    plain = face_to_model_pixels(big, box).astype(np.float32)
    assert np.abs(warped - plain).mean() < 2.0


def test_the_app_path_levels_faces_with_keypoints_and_not_without():
    from edge.pipeline.analyzer import Analyzer

    gray = astronaut_gray()
    seen: list[np.ndarray] = []
    keypoints = (*eyes_at(30.0), (225.0, 130.0), (225.0, 150.0), (180.0, 110.0), (270.0, 110.0))

    class Detector:
        name = "fixed"

        def __init__(self, points):
            self.points = points

        def detect(self, g):
            return [FaceBox(*ASTRONAUT_BOX, keypoints=self.points)]

    class Recorder:
        def classify(self, px):
            seen.append(px)
            return np.full(7, 1 / 7, np.float32)

    Analyzer(Detector(keypoints), Recorder()).analyze(Frame(gray, 0, 0.0), {})
    Analyzer(Detector(None), Recorder()).analyze(Frame(gray, 0, 0.0), {})
    assert np.array_equal(seen[0], face_to_model_pixels(gray, ASTRONAUT_BOX, eyes=eyes_at(30.0)))
    assert np.array_equal(seen[1], face_to_model_pixels(to_gray(gray), ASTRONAUT_BOX))
    assert not np.array_equal(seen[0], seen[1])


def test_a_model_of_another_input_size_gets_a_levelled_crop_of_its_size():
    gray = astronaut_gray()
    crop = face_to_model_pixels(gray, ASTRONAUT_BOX, size=64, eyes=eyes_at(25.0))
    assert crop.shape == (64, 64) and crop.dtype == np.uint8
    small = cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    assert np.abs(small - face_to_model_pixels(gray, ASTRONAUT_BOX, eyes=eyes_at(25.0))).mean() < 4.0
