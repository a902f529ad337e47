"""Image arrays in the layouts the project meets, converted one way everywhere.

Cameras, video files, image folders, data sets and the preprocessing all turn what they read into
8-bit grey (and, for a preview, 8-bit RGB) with these functions, so a file gives the same pixels
whichever path reads it. The one list of image file endings the project reads is here too.
"""

from __future__ import annotations

import cv2
import numpy as np

#: File name endings (lower case) read as images by image-folder sources and data sets.
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".pgm", ".tif", ".tiff")

#: How files are decoded: colour stays colour (BGR), grey stays grey, 16-bit stays 16-bit until
#: :func:`to_uint8`, and the EXIF orientation of a photo is applied (alpha is dropped).
_DECODE_FLAGS = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH


def is_image_file(name: str) -> bool:
    """Whether a file name has one of the :data:`IMAGE_SUFFIXES`."""
    return name.lower().endswith(IMAGE_SUFFIXES)


def decode(data: np.ndarray) -> np.ndarray | None:
    """Decode an encoded image (the bytes of a PNG, JPEG...) as a uint8 array; ``None`` when it is not one."""
    image = cv2.imdecode(data, _DECODE_FLAGS) if data.size else None
    if image is None or image.size == 0:
        return None
    return to_uint8(image)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """The same image in uint8: 16-bit keeps its top byte, floats in ``[0, 1]`` or ``[0, 255]`` are scaled and clipped."""
    if image.dtype == np.uint8:
        return image
    if np.issubdtype(image.dtype, np.floating):
        finite = np.clip(np.nan_to_num(image.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0), 0.0, 255.0)
        if finite.size and float(finite.max()) <= 1.0:
            finite = finite * 255.0  # floats in [0, 1]
        return np.clip(np.rint(finite), 0, 255).astype(np.uint8)
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    return np.clip(image, 0, 255).astype(np.uint8)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as a 2-D uint8 grey image.

    Args:
        image: ``(H, W)`` grey, ``(H, W, 1)``, ``(H, W, 3)`` BGR or ``(H, W, 4)`` BGRA; uint8,
            or another integer or float dtype (see :func:`to_uint8`).

    Returns:
        A contiguous ``(H, W)`` uint8 array.

    Raises:
        ValueError: The array has a shape that is not an image.
    """
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = to_uint8(image)
        code = cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        return np.ascontiguousarray(cv2.cvtColor(image, code))
    if image.ndim != 2 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"not an image: array of shape {image.shape}")
    return np.ascontiguousarray(to_uint8(image))


def to_rgb(image: np.ndarray) -> np.ndarray:
    """An RGB uint8 image from grey, BGR or BGRA (the layouts OpenCV reads)."""
    image = to_uint8(image)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
