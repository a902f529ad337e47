"""Image arrays in the layouts the project meets, converted one way everywhere.

Cameras, video files, image folders, data sets and the preprocessing all turn what they read into
8-bit grey (and, for a preview, 8-bit RGB) with these functions, so a file gives the same pixels
whichever path reads it. The one list of image file endings the project reads is here too.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

#: File name endings (lower case) read as images by image-folder sources and data sets.
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".pgm", ".tif", ".tiff")

#: The largest picture decoded (pixels): a 50-megapixel photo fits; a 30000x30000 PNG of a few
#: hundred kilobytes, which would take gigabytes once decoded, does not.
MAX_DECODE_PIXELS = 50_000_000

#: How files are decoded: colour stays colour (BGR), grey stays grey, 16-bit stays 16-bit until
#: :func:`to_uint8`, and the EXIF orientation of a photo is applied (alpha is dropped).
_DECODE_FLAGS = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH


def is_image_file(name: str) -> bool:
    """Whether a file name has one of the :data:`IMAGE_SUFFIXES`."""
    return name.lower().endswith(IMAGE_SUFFIXES)


def _be(data: bytes, at: int, size: int) -> int:
    return int.from_bytes(data[at : at + size], "big")


def _le(data: bytes, at: int, size: int) -> int:
    return int.from_bytes(data[at : at + size], "little")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker, length = data[at + 1], _be(data, at + 2, 2)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return _be(data, at + 7, 2), _be(data, at + 5, 2)
        at += 2 + length
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    read = _le if data[:2] == b"II" else _be
    first = read(data, 4, 4)
    found: dict[int, int] = {}
    for entry in range(min(read(data, first, 2), 64)):
        at = first + 2 + 12 * entry
        tag, kind = read(data, at, 2), read(data, at + 2, 2)
        if tag in (256, 257):
            found[tag] = read(data, at + 8, 2 if kind == 3 else 4)
    return (found[256], found[257]) if len(found) == 2 else None


def _pnm_size(data: bytes) -> tuple[int, int] | None:
    fields = re.sub(rb"#[^\n]*", b" ", data[2:256]).split()
    return (
        (int(fields[0]), int(fields[1])) if len(fields) >= 2 and fields[0].isdigit() and fields[1].isdigit() else None
    )


def image_size(head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from the first bytes of a PNG, JPEG, BMP, WebP, TIFF or PGM/PPM file, without decoding.

    Args:
        head: The start of the file (64 kB is plenty).

    Returns:
        The size, or ``None`` when the format or its header is not recognised.
    """
    try:
        if head[:8] == b"\x89PNG\r\n\x1a\n":
            return _be(head, 16, 4), _be(head, 20, 4)
        if head[:2] == b"\xff\xd8":
            return _jpeg_size(head)
        if head[:2] == b"BM":
            return _le(head, 18, 4), abs(int.from_bytes(head[22:26], "little", signed=True))
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            chunk = head[12:16]
            if chunk == b"VP8X":
                return _le(head, 24, 3) + 1, _le(head, 27, 3) + 1
            if chunk == b"VP8L":
                bits = _le(head, 21, 4)
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            return _le(head, 26, 2) & 0x3FFF, _le(head, 28, 2) & 0x3FFF
        if head[:4] in (b"II*\0", b"MM\0*"):
            return _tiff_size(head)
        if head[:1] == b"P" and head[1:2] in b"123456":
            return _pnm_size(head)
    except (IndexError, ValueError):
        return None
    return None


def too_large(data: np.ndarray | bytes, limit: int = MAX_DECODE_PIXELS) -> tuple[int, int] | None:
    """The ``(width, height)`` of an encoded image when it has more than ``limit`` pixels, else ``None``."""
    head = bytes(data[: 1 << 16])
    size = image_size(head)
    return size if size is not None and size[0] * size[1] > limit else None


def decode(data: np.ndarray) -> np.ndarray | None:
    """Decode an encoded image (the bytes of a PNG, JPEG...) as a uint8 array; ``None`` when it is not one.

    A picture of more than :data:`MAX_DECODE_PIXELS` pixels is not decoded (``None``): see :func:`too_large`.
    """
    if data.size and too_large(data) is not None:
        return None
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
