"""The one preprocessing path from a camera frame or photo to the model's input.

Training, evaluation, personalisation and the live app all call :func:`face_to_model_pixels`
(face crop -> grey -> ``INPUT_SIZE`` square uint8; a classifier passes the size its model takes) and then :func:`pixels_to_float` (training, float models)
or :func:`pixels_to_int8` (the int8 model). A test pins the output with a golden image, so a
change here is a deliberate change for every consumer at once.

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

Box = tuple[int, int, int, int]


def crop_box(box: Box) -> Box:
    """The square region cut from a frame for a detected face box.

    Args:
        box: Face box ``(x, y, w, h)`` in frame pixels.

    Returns:
        ``(x, y, side, side)``; it may extend past the frame, which is then padded.
    """
    x, y, w, h = box
    side = max(w, h) * (1.0 + 2.0 * CROP_MARGIN)
    cx = x + w / 2.0
    cy = y + h / 2.0 - CROP_SHIFT_UP * max(w, h)
    side_i = max(1, round(side))
    return (round(cx - side / 2.0), round(cy - side / 2.0), side_i, side_i)


def face_to_model_pixels(image: np.ndarray, box: Box | None = None, size: int = INPUT_SIZE) -> np.ndarray:
    """Cut the face out of ``image`` and make the model's square grey pixels.

    Args:
        image: A frame or photo (any layout :func:`edge.core.image.to_gray` accepts).
        box: The detected face ``(x, y, w, h)``; ``None`` when ``image`` already is a face
            crop (FER2013 rows, captured crops, cropped photos).
        size: Side of the model input (:data:`INPUT_SIZE` unless a model says otherwise).

    Returns:
        ``(size, size)`` uint8 grey pixels.
    """
    gray = to_gray(image)
    if box is not None:
        gray = _cut(gray, crop_box(box))
    h, w = gray.shape
    if (h, w) == (size, size):
        return gray
    if h != w:
        gray = _cut(gray, _centre_square(w, h))
    interpolation = cv2.INTER_AREA if gray.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(gray, (size, size), interpolation=interpolation)


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
