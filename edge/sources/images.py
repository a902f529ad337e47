"""A folder of still images, read in name order (for tests, demos and recorded data)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge.core.errors import SourceError
from edge.core.image import IMAGE_SUFFIXES, MAX_DECODE_PIXELS, decode, is_image_file, to_gray, to_rgb, too_large
from edge.core.types import Frame
from edge.sources.base import SourceOptions

log = logging.getLogger(__name__)


def list_images(folder: Path) -> list[Path]:
    """The image files directly inside ``folder`` (see :data:`edge.core.image.IMAGE_SUFFIXES`), sorted by name."""
    return sorted(p for p in folder.iterdir() if is_image_file(p.name) and p.is_file())


class ImageFolderSource:
    """Images from a folder, one frame each, sorted by file name.

    Each frame is marked ``still``: the decision layer decides every photo on its own, so a
    folder of happy faces gives one happy decision per photo, however fast it is read.

    Files that cannot be decoded are skipped with one WARNING each (also when looping). Images
    may differ in size; 16-bit and colour images are converted to 8-bit grey.

    Args:
        path: The folder.
        loop: Start again after the last image instead of returning ``None``.
        fps: Pace frames to this rate with ``sleep``; ``None`` (or 0) reads as fast as asked.
        preview: Also produce an RGB ``Frame.preview``.
        clock: Monotonic clock (``Frame.timestamp`` and pacing).
        sleep: Sleep function for pacing.
    """

    live = False

    def __init__(
        self,
        path: str | Path,
        loop: bool = False,
        fps: float | None = None,
        *,
        preview: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if fps is not None and fps < 0:
            raise ValueError("fps must be >= 0")
        self.path = Path(path)
        self.loop = loop
        self.fps = fps or None
        self.preview = preview
        self._clock = clock
        self._sleep = sleep
        self.name = f"image folder {self.path}" + (" (looping)" if loop else "")
        self._files: list[Path] = []
        self._bad: set[Path] = set()
        self._position = 0
        self._index = 0
        self._next_due: float | None = None

    @classmethod
    def from_spec(cls, spec: str, options: SourceOptions) -> ImageFolderSource:
        """The image folder named by ``spec`` (see :mod:`edge.sources.registry`)."""
        return cls(Path(spec).expanduser(), loop=options.loop, preview=options.preview)

    def open(self) -> None:
        """List the images.

        Raises:
            SourceError: The folder is missing or holds no image files.
        """
        if not self.path.is_dir():
            raise SourceError(f"image folder not found: {self.path}")
        self._files = list_images(self.path)
        if not self._files:
            raise SourceError(
                f"no images in {self.path}: put {', '.join(IMAGE_SUFFIXES)} files there, or choose another source"
            )
        self._bad = set()
        self._position = 0
        self._index = 0
        self._next_due = None
        log.info("%s opened (%d images)", self.name, len(self._files))

    def _decode(self, path: Path) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Grey (and RGB when a preview is asked for) 8-bit images from a file, or ``None`` if unreadable."""
        try:
            data = np.fromfile(path, dtype=np.uint8)
        except OSError as exc:
            log.warning("skipping %s: %s", path, exc)
            return None
        large = too_large(data)
        if large is not None:
            log.warning("skipping %s: %dx%d pixels is more than %d; scale it down", path, *large, MAX_DECODE_PIXELS)
            return None
        image = decode(data)
        if image is None:
            log.warning("skipping %s: not an image OpenCV can decode", path)
            return None
        return to_gray(image), (to_rgb(image) if self.preview else None)

    def _pace(self) -> None:
        if self.fps is None:
            return
        now = self._clock()
        if self._next_due is None or now - self._next_due > 1.0:
            self._next_due = now
        elif now < self._next_due:
            self._sleep(self._next_due - now)
        self._next_due += 1.0 / self.fps

    def read(self) -> Frame | None:
        """The next readable image, or ``None`` after the last one (never when looping)."""
        misses = 0
        while self._files:
            if self._position >= len(self._files):
                if not self.loop:
                    return None
                self._position = 0
            path = self._files[self._position]
            self._position += 1
            decoded = None if path in self._bad else self._decode(path)
            if decoded is None:
                self._bad.add(path)
                misses += 1
                if misses >= len(self._files):
                    return None  # nothing in the folder is readable: end rather than spin
                continue
            self._pace()
            gray, rgb = decoded
            frame = Frame(gray=gray, index=self._index, timestamp=self._clock(), preview=rgb, still=True)
            self._index += 1
            return frame
        return None

    def close(self) -> None:
        """Forget the file list; safe to call twice."""
        self._files = []
