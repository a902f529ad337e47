"""The one preprocessing function and the one label order, pinned."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core import labels
from edge.core.image import to_gray
from edge.core.preprocess import (
    INPUT_SCALE,
    INPUT_ZERO_POINT,
    crop_box,
    face_to_model_pixels,
    pixels_to_float,
    pixels_to_int8,
)
from edge.core.quantization import dequantize, quantize
from edge.model_format.labels_file import read_labels

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden_face48.png"
ASTRONAUT_BOX = (176, 75, 98, 98)  # BlazeFace's box on skimage's astronaut.png


def astronaut_bgr() -> np.ndarray:
    skimage = pytest.importorskip("skimage")
    path = Path(skimage.__file__).parent / "data" / "astronaut.png"
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_label_order_is_fer2013_and_matches_labels_file():
    assert labels.LABELS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert read_labels(ROOT / "models" / "labels.txt") == labels.LABELS
    assert set(labels.EMOJI) == set(labels.LABELS)


def test_labels_file_in_other_order_is_refused(tmp_path):
    bad = tmp_path / "labels.txt"
    bad.write_text("\n".join(sorted(labels.LABELS)))  # alphabetical: the classic bug
    with pytest.raises(ValueError, match="do not match"):
        read_labels(bad)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Happy", "happy"),
        ("happiness", "happy"),
        ("ANGER", "angry"),
        ("fearful", "fear"),
        ("surprised", "surprise"),
        ("Sadness", "sad"),
        ("neutral", "neutral"),
        ("contempt", None),
        ("", None),
    ],
)
def test_aliases(name, expected):
    assert labels.label_for_name(name) == expected


def test_golden_face_crop():
    """Detector box -> crop -> grey -> 48x48 is pinned byte for byte."""
    pixels = face_to_model_pixels(astronaut_bgr(), ASTRONAUT_BOX)
    assert pixels.shape == (48, 48) and pixels.dtype == np.uint8
    if not GOLDEN.exists():  # first run writes the golden file; it is committed
        cv2.imwrite(str(GOLDEN), pixels)
    golden = cv2.imread(str(GOLDEN), cv2.IMREAD_GRAYSCALE)
    assert np.array_equal(pixels, golden), "preprocessing changed: every model and capture depends on it"


def test_int8_input_is_pixel_minus_128_and_float_is_pixel_over_255():
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(pixels_to_int8(pixels).astype(np.int16), pixels.astype(np.int16) - 128)
    assert np.allclose(pixels_to_float(pixels), pixels / 255.0)
    # The int8 input is exactly the quantised float input: no drift between training and app.
    assert np.array_equal(pixels_to_int8(pixels), quantize(pixels_to_float(pixels), INPUT_SCALE, INPUT_ZERO_POINT))


def test_training_evaluation_and_app_see_the_same_pixels():
    """FER rows, folder images and live crops all pass through face_to_model_pixels."""
    from edge.core.types import FaceBox, Frame
    from edge.pipeline.analyzer import Analyzer

    frame = astronaut_bgr()
    gray = to_gray(frame)
    seen: list[np.ndarray] = []

    class Detector:
        name = "fixed"

        def detect(self, g):
            return [FaceBox(*ASTRONAUT_BOX)]

    class Recorder:
        def classify(self, px):
            seen.append(px)
            return np.full(7, 1 / 7, np.float32)

    Analyzer(Detector(), Recorder()).analyze(Frame(gray, 0, 0.0), {})
    app_pixels = seen[0]
    x, y, w, h = crop_box(ASTRONAUT_BOX)
    offline = face_to_model_pixels(frame[y : y + h, x : x + w])  # a cropped photo in a data set
    assert np.array_equal(app_pixels, face_to_model_pixels(frame, ASTRONAUT_BOX))
    assert np.array_equal(app_pixels, offline)


@pytest.mark.parametrize(
    ("image", "shape"),
    [
        (np.zeros((10, 20), np.uint8), (10, 20)),
        (np.zeros((10, 20, 1), np.uint8), (10, 20)),
        (np.zeros((10, 20, 3), np.uint8), (10, 20)),
        (np.zeros((10, 20, 4), np.uint8), (10, 20)),
        (np.ones((5, 5), np.float32), (5, 5)),
        (np.full((5, 5), 65535, np.uint16), (5, 5)),
    ],
)
def test_to_gray_layouts(image, shape):
    out = to_gray(image)
    assert out.shape == shape and out.dtype == np.uint8


def test_to_gray_rejects_non_images():
    with pytest.raises(ValueError, match="not an image"):
        to_gray(np.zeros((2, 3, 5, 1), np.uint8))


def test_crop_outside_frame_is_padded_not_crashing():
    gray = np.full((100, 100), 200, np.uint8)
    out = face_to_model_pixels(gray, (-20, -20, 50, 50))
    assert out.shape == (48, 48)


def test_quantize_dequantize_round_trip():
    values = np.linspace(-1.0, 1.0, 101)
    scale, zp = 2.0 / 255, -1
    q = quantize(values, scale, zp)
    assert q.dtype == np.int8
    assert np.max(np.abs(dequantize(q, scale, zp) - values)) <= scale / 2 + 1e-7
    assert quantize(np.array([1e9]), scale, zp)[0] == 127  # saturates
    # int32 subtraction: -128 - 127 must not wrap around
    assert dequantize(np.array([-128], np.int8), 1.0, 127)[0] == -255.0
