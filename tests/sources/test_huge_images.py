"""A 30000x30000 picture in an image folder is skipped from its header, never decoded into gigabytes."""

from __future__ import annotations

import logging
import struct
import zlib

import cv2
import numpy as np
import pytest

from edge.core import image as core_image
from edge.core.image import image_size, too_large
from edge.sources.images import ImageFolderSource


def huge_png(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header says ``width`` x ``height`` (a few bytes of data: it is never decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp", ".tif", ".pgm", ".ppm"])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_size_reads_the_header_of_every_format(ext, channels):
    if (ext, channels) in ((".pgm", 3), (".ppm", 1)):
        pytest.skip("not a layout of that format")
    picture = np.random.default_rng(1).integers(0, 255, (37, 53, channels)[: 2 if channels == 1 else 3], np.uint8)
    ok, data = cv2.imencode(ext, picture)
    assert ok
    assert image_size(data.tobytes()) == (53, 37)


def test_huge_png_in_an_image_folder_is_skipped_without_decoding(tmp_path, monkeypatch, caplog):
    (tmp_path / "a_huge.png").write_bytes(huge_png())
    cv2.imwrite(str(tmp_path / "b_small.png"), np.full((40, 60), 90, np.uint8))
    assert too_large(np.frombuffer(huge_png(), np.uint8)) == (30000, 30000)
    real = cv2.imdecode
    decoded = []

    def watched(data, flags):
        decoded.append(len(data))
        return real(data, flags)

    monkeypatch.setattr(core_image.cv2, "imdecode", watched)
    source = ImageFolderSource(tmp_path)
    source.open()
    with caplog.at_level(logging.WARNING):
        frame = source.read()
        assert source.read() is None
    assert frame is not None and frame.gray.shape == (40, 60)
    assert len(decoded) == 1  # only the small one
    assert sum("a_huge.png" in r.getMessage() and "30000x30000" in r.getMessage() for r in caplog.records) == 1
