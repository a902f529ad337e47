"""The one preprocessing path from a camera frame or photo to the model's input.

Training, evaluation, personalisation and the live app all call :func:`face_to_model_pixels`
(face crop -> grey -> ``INPUT_SIZE`` square uint8; a classifier passes the size its model takes) and then :func:`pixels_to_float` (training, float models)
or :func:`pixels_to_int8` (the int8 model). A test pins the output with a golden image, so a
change here is a deliberate change for every consumer at once.

With the detector's eye keypoints (BlazeFace), a face whose head is tilted by more than
:data:`ROLL_DEADZONE_DEG` is levelled down to it before the crop (:func:`aligned_transform`);
faces within it, and faces from detectors without keypoints (Haar), get the plain box crop.

Input scaling: the float model sees ``pixel / 255`` in ``[0, 1]``. The int8 model's input
tensor is quantised with scale ``1/255`` and zero point ``-128``, so its input is exactly
``pixel - 128``: no rounding anywhere between a camera pixel and the model.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.core.image import to_gray
from edge.core.quantization import quantize

#: Side of the square model input, in pixels: the default where no model is at hand (capture,
#: data sets); :class:`edge.inference.classifier.ExpressionClassifier` reads it from its model.
INPUT_SIZE = 48

#: Extra context around a detected face box, as a fraction of the box side on each side.
#: Chosen so that a BlazeFace box on a FER2013 image reproduces FER2013's own framing
#: (measured by ``scripts/calibrate_crop.py``).
CROP_MARGIN = 0.09

#: Upward shift of the crop centre, as a fraction of the box side (FER2013 faces sit with
#: the eyes slightly above the centre). Measured together with :data:`CROP_MARGIN`.
CROP_SHIFT_UP = 0.09

#: Quantisation of the int8 model's input tensor (see module docstring).
INPUT_SCALE = 1.0 / 255.0
INPUT_ZERO_POINT = -128

#: Head roll (degrees) left as it is: FER2013's own faces lean (|roll| median 5°, 90th
#: percentile 19°, measured by ``scripts/calibrate_crop.py``) and the model reads them best as
#: they are. Only the roll beyond it is levelled, so a face tilted by 20° is cropped as if
#: tilted by 8° (see :func:`aligned_transform`).
ROLL_DEADZONE_DEG = 8.0

Box = tuple[int, int, int, int]
Point = tuple[float, float]


def crop_box(box: Box) -> Box:
    """The square region cut from a frame for a detected face box.

    Args:
        box: Face box ``(x, y, w, h)`` in frame pixels.

    Returns:
        ``(x, y, side, side)``; it may extend past the frame, which is then padded.
    """
    cx, cy, side = _crop_square(box)
    side_i = max(1, round(side))
    return (round(cx - side / 2.0), round(cy - side / 2.0), side_i, side_i)


def _crop_square(box: Box) -> tuple[float, float, float]:
    """Centre ``(cx, cy)`` and side of the crop for a face box, in frame pixels (floats)."""
    x, y, w, h = box
    side = max(w, h)
    return x + w / 2.0, y + h / 2.0 - CROP_SHIFT_UP * side, side * (1.0 + 2.0 * CROP_MARGIN)


def face_to_model_pixels(
    image: np.ndarray, box: Box | None = None, size: int = INPUT_SIZE, eyes: tuple[Point, Point] | None = None
) -> np.ndarray:
    """Cut the face out of ``image`` and make the model's square grey pixels.

    Args:
        image: A frame or photo (any layout :func:`edge.core.image.to_gray` accepts).
        box: The detected face ``(x, y, w, h)``; ``None`` when ``image`` already is a face
            crop (FER2013 rows, captured crops, cropped photos).
        size: Side of the model input (:data:`INPUT_SIZE` unless a model says otherwise).
        eyes: The detector's eye keypoints (image-left eye first), in frame pixels; with a
            ``box``, a tilted face is levelled by them (see :func:`aligned_transform`).
            ``None`` (Haar, or no keypoints) keeps the plain box crop.

    Returns:
        ``(size, size)`` uint8 grey pixels.
    """
    gray = to_gray(image)
    if box is not None and eyes is not None and roll_correction(eyes) != 0.0:
        return _warp(gray, aligned_transform(box, eyes, size), size)
    if box is not None:
        gray = _cut(gray, crop_box(box))
    h, w = gray.shape
    if (h, w) == (size, size):
        return gray
    if h != w:
        gray = _cut(gray, _centre_square(w, h))
    interpolation = cv2.INTER_AREA if gray.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(gray, (size, size), interpolation=interpolation)


def roll_correction(eyes: tuple[Point, Point]) -> float:
    """The rotation (radians, image coordinates) that :func:`aligned_transform` undoes.

    The eyes' roll with the first :data:`ROLL_DEADZONE_DEG` degrees taken off (a soft
    threshold, so the crop turns smoothly as a head tilts).
    """
    (lx, ly), (rx, ry) = eyes
    roll = float(np.arctan2(ry - ly, rx - lx))
    return float(np.sign(roll) * max(abs(roll) - np.radians(ROLL_DEADZONE_DEG), 0.0))


def aligned_transform(box: Box, eyes: tuple[Point, Point], size: int = INPUT_SIZE) -> np.ndarray:
    """The 2x3 affine map from frame pixels to the ``size`` square of a levelled face crop.

    Same centre and scale as the plain crop (:func:`crop_box`), rotated about that centre by
    :func:`roll_correction`; with a roll inside the dead zone it *is* the plain crop.
    """
    cx, cy, side = _crop_square(box)
    angle = roll_correction(eyes)
    scale = size / side
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    # Rotate by -angle and scale about (cx, cy), then move (cx, cy) to the output's centre.
    # OpenCV puts pixel centres on integers, the crop's geometry has them at +0.5: hence the halves.
    px, py = cx - 0.5, cy - 0.5
    half = size / 2.0 - 0.5
    return np.array([[cos, sin, half - cos * px - sin * py], [-sin, cos, half + sin * px - cos * py]], np.float64)


def _warp(gray: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Apply a frame -> ``size`` square affine map.

    A face larger than the output is warped at an integer multiple of ``size`` and then
    area-averaged down, so it is as sharp as the plain crop's area resize (a direct bilinear
    warp skips pixels and blurs sub-pixel shifts: 1.6 points lower on PublicTest).
    """
    scale = float(np.hypot(matrix[0, 0], matrix[0, 1]))
    factor = int(min(max(np.ceil(1.0 / scale), 1), 8)) if scale < 1.0 else 1
    # The frame region the output square comes from, plus two pixels for interpolation.
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64)
    src = corners @ inverse.T
    x0, y0 = (np.floor(src.min(axis=0)).astype(int) - 2).tolist()
    x1, y1 = (np.ceil(src.max(axis=0)).astype(int) + 2).tolist()
    patch = _cut(gray, (x0, y0, x1 - x0, y1 - y0))
    # Output pixel centres: (i + 0.5) / factor - 0.5 in output units maps through the matrix.
    up = np.array([[factor, 0.0, (factor - 1) / 2.0], [0.0, factor, (factor - 1) / 2.0], [0.0, 0.0, 1.0]])
    to_patch = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    full = up @ np.vstack([matrix, [0.0, 0.0, 1.0]]) @ to_patch
    big = size * factor
    out = cv2.warpAffine(patch, full[:2], (big, big), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out if factor == 1 else cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)


def _centre_square(w: int, h: int) -> Box:
    side = min(w, h)
    return ((w - side) // 2, (h - side) // 2, side, side)


def _cut(gray: np.ndarray, region: Box) -> np.ndarray:
    """Cut ``region`` from ``gray``, replicating edge pixels where it leaves the frame."""
    x, y, w, h = region
    fh, fw = gray.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, fw), min(y + h, fh)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"crop {region} lies outside the {fw}x{fh} frame")
    inner = gray[y0:y1, x0:x1]
    pad = (y0 - y, y + h - y1, x0 - x, x + w - x1)
    if any(pad):
        inner = cv2.copyMakeBorder(inner, pad[0], pad[1], pad[2], pad[3], cv2.BORDER_REPLICATE)
    return inner


def pixels_to_float(pixels: np.ndarray) -> np.ndarray:
    """Scale uint8 pixels to the float model's input range ``[0, 1]`` (float32)."""
    return pixels.astype(np.float32) * np.float32(INPUT_SCALE)


def pixels_to_int8(pixels: np.ndarray, scale: float = INPUT_SCALE, zero_point: int = INPUT_ZERO_POINT) -> np.ndarray:
    """Quantise uint8 pixels for an int8 input tensor.

    With the exported model's own parameters (``1/255``, ``-128``) this is exactly
    ``pixel - 128``; other parameters (a model from elsewhere) go through the float value.

    Args:
        pixels: uint8 pixels.
        scale: The input tensor's quantisation scale.
        zero_point: The input tensor's zero point.

    Returns:
        int8 array of the same shape.
    """
    if abs(scale - INPUT_SCALE) < 1e-9 and zero_point == INPUT_ZERO_POINT:
        return (pixels.astype(np.int16) - 128).astype(np.int8)
    return quantize(pixels_to_float(pixels), scale, zero_point)
