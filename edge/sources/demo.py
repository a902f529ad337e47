"""The built-in demo source: a real face, animated, for trying the product without a camera.

The picture is ``skimage/data/astronaut.png`` that ships with scikit-image (NASA portrait of
astronaut Eileen Collins, public domain). It is found through the installed package's
location, without importing scikit-image (which is slow to import), and never copied or written
anywhere.

One loop lasts :data:`PERIOD` seconds of animation and is a pure function of the frame index,
so two runs give identical frames:

====== ============================================================================
time   what happens
====== ============================================================================
0-4    slow zoom towards the face
4-7    mirrored, lights dim
7-10   lights come back, gentle pan
10-13  a second, smaller copy of the face in the corner ("several faces")
13-14  the person slides out of the picture
14-17  empty backdrop: no face for 3 s, so the kiosk's idle state shows
17-20  the person slides back in and the view returns to the start
====== ============================================================================
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.core.errors import SourceError
from edge.core.types import Frame
from edge.sources.base import SourceOptions

log = logging.getLogger(__name__)

#: Length of one animation loop in seconds.
PERIOD = 20.0
#: Animation rate used to turn frame indices into animation time when ``fps`` is 0.
ANIMATION_FPS = 30.0
#: Layout is designed on this canvas and scaled to the requested size.
BASE_W, BASE_H = 640, 480
#: The intervals (in animation seconds) in which the picture is mirrored.
MIRRORED = ((4.0, 7.0),)
#: The interval in which the second face is shown, and its fade time.
INSET = (10.0, 13.0)
INSET_FADE = 0.3
#: The interval in which no face is visible at all (backdrop only).
NO_FACE = (14.0, 17.0)
#: Second face: crop of the photo (x0, y0, x1, y1), its scale and its top-left corner on the canvas.
INSET_CROP = (130, 10, 320, 230)
INSET_SCALE = 1.2
INSET_AT = (410, 195)
#: Where the backdrop colour is sampled from in the photo (a patch of studio wall).
WALL_PATCH = (300, 20, 360, 120)

_INSTALL_HINT = "the demo source needs scikit-image: pip install 'emojify-edge[demo]'"


@dataclass(frozen=True)
class _Key:
    """One keyframe of the animation.

    Attributes:
        t: Animation time in seconds.
        zoom: Canvas pixels per photo pixel (on the 640x480 design canvas).
        cx: Photo x shown at the canvas centre.
        cy: Photo y shown at the canvas centre.
        offset: Sideways shift in canvas pixels (slides the person out of the picture).
        gain: Brightness gain.
    """

    t: float
    zoom: float
    cx: float
    cy: float
    offset: float
    gain: float


# The photo is 512x512 with the face at about (176..274, 75..173). With zoom >= 1.25 and the
# centre kept inside [320/zoom, 512-320/zoom] x [240/zoom, 512-240/zoom] the photo covers the canvas.
_KEYS = (
    _Key(0.0, 1.25, 256, 200, 0, 1.0),
    _Key(4.0, 1.55, 232, 190, 0, 1.0),
    _Key(5.0, 1.50, 236, 192, 0, 0.8),
    _Key(6.0, 1.45, 240, 195, 0, 0.55),
    _Key(7.0, 1.35, 250, 200, 0, 0.6),
    _Key(8.5, 1.30, 270, 205, 0, 1.0),
    _Key(10.0, 1.30, 250, 200, 0, 1.05),
    _Key(13.0, 1.30, 245, 200, 0, 1.15),
    _Key(14.0, 1.30, 245, 200, 760, 1.15),
    _Key(17.0, 1.30, 245, 200, 760, 1.0),
    _Key(17.001, 1.30, 245, 200, -760, 1.0),
    _Key(18.2, 1.30, 250, 200, 0, 1.0),
    _Key(PERIOD, 1.25, 256, 200, 0, 1.0),
)


def _smooth(u: float) -> float:
    """Smoothstep easing on ``[0, 1]``."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def _interpolate(t: float) -> _Key:
    """The eased keyframe values at animation time ``t`` (in ``[0, PERIOD)``)."""
    for a, b in itertools.pairwise(_KEYS):
        if a.t <= t < b.t:
            u = _smooth((t - a.t) / (b.t - a.t))
            values = [p + (q - p) * u for p, q in zip(astuple(a)[1:], astuple(b)[1:], strict=True)]
            return _Key(t, *values)
    return _KEYS[-1]


def find_astronaut() -> Path:
    """The path of scikit-image's bundled ``astronaut.png``, found without importing scikit-image.

    Raises:
        SourceError: scikit-image is not installed or the picture is missing from it.
    """
    try:
        spec = importlib.util.find_spec("skimage")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SourceError(_INSTALL_HINT)
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "astronaut.png"
        if path.is_file():
            return path
    raise SourceError(f"{_INSTALL_HINT} (the installed copy has no data/astronaut.png)")


class DemoSource:
    """An endless, deterministic animation of a real face (see the module docstring).

    Args:
        fps: Frames per second to pace to with ``sleep``; 0 gives frames as fast as possible.
        width: Canvas width in pixels.
        height: Canvas height in pixels.
        preview: Also produce an RGB ``Frame.preview``.
        clock: Monotonic clock in seconds (injectable for tests).
        sleep: Sleep function (injectable for tests).
    """

    live = False

    def __init__(
        self,
        fps: float = 30.0,
        width: int = BASE_W,
        height: int = BASE_H,
        preview: bool = False,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if fps < 0:
            raise ValueError("fps must be >= 0")
        if width < 16 or height < 16:
            raise ValueError("the demo canvas must be at least 16x16")
        self.fps = float(fps)
        self.width = int(width)
        self.height = int(height)
        self.preview = preview
        self.name = f"demo (astronaut photo, {self.width}x{self.height}, {PERIOD:.0f} s loop)"
        self._clock = clock
        self._sleep = sleep
        self._index = 0
        self._start: float | None = None
        self._gray: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self._layers: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def from_spec(cls, spec: str, options: SourceOptions) -> DemoSource:
        """The demo for ``demo`` (see :mod:`edge.sources.registry`)."""
        return cls(preview=options.preview)

    def open(self) -> None:
        """Load the photo and prepare the backdrop and the second face.

        Raises:
            SourceError: scikit-image (which ships the photo) is not installed.
        """
        path = find_astronaut()
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SourceError(f"{path}: the demo picture could not be read; reinstall scikit-image")
        self._gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        self._rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        self._layers = {"gray": self._prepare(self._gray)}
        if self.preview:
            self._layers["rgb"] = self._prepare(self._rgb)
        self._index = 0
        self._start = None
        log.debug("demo source: %s", path)

    def _scale(self) -> tuple[float, float, float]:
        """Uniform scale and offsets that map the 640x480 design canvas onto the requested one."""
        s = max(self.width / BASE_W, self.height / BASE_H)
        return s, (self.width - BASE_W * s) / 2, (self.height - BASE_H * s) / 2

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backdrop canvas, second-face patch and its position for one colour layout."""
        x0, y0, x1, y1 = WALL_PATCH
        patch = image[y0:y1, x0:x1]
        wall = cv2.resize(patch, (self.width, self.height), interpolation=cv2.INTER_CUBIC)
        k = max(3, (min(self.width, self.height) // 8) | 1)
        wall = cv2.GaussianBlur(wall, (k, k), 0)
        # Studio lighting: a soft vignette so the wall is not perfectly flat.
        yy, xx = np.mgrid[0 : self.height, 0 : self.width].astype(np.float32)
        r = np.hypot((xx - self.width / 2) / self.width, (yy - self.height / 2) / self.height)
        shade = (1.05 - 0.5 * r**2).astype(np.float32)
        if wall.ndim == 3:
            shade = shade[:, :, None]
        backdrop = np.clip(wall.astype(np.float32) * shade, 0, 255).astype(np.uint8)

        s, ox, oy = self._scale()
        cx0, cy0, cx1, cy1 = INSET_CROP
        size = (max(1, round((cx1 - cx0) * INSET_SCALE * s)), max(1, round((cy1 - cy0) * INSET_SCALE * s)))
        inset = cv2.resize(image[cy0:cy1, cx0:cx1], size, interpolation=cv2.INTER_AREA)
        at = np.array([round(INSET_AT[0] * s + ox), round(INSET_AT[1] * s + oy)])
        return backdrop, inset, at

    @staticmethod
    def animation_time(index: int, fps: float) -> float:
        """Animation time in ``[0, PERIOD)`` of frame ``index`` at ``fps`` (0 means :data:`ANIMATION_FPS`)."""
        rate = fps if fps > 0 else ANIMATION_FPS
        return math.fmod(index / rate, PERIOD)

    @staticmethod
    def has_face(t: float) -> bool:
        """Whether the main face is meant to be fully visible at animation time ``t`` (for tests and docs)."""
        return not (NO_FACE[0] - 1.0 <= t < NO_FACE[1] + 1.2)

    def render(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The grey frame (and RGB preview when asked) for frame ``index``; pure function of the index."""
        if self._gray is None or self._rgb is None:
            raise RuntimeError("DemoSource.open() was not called")
        t = self.animation_time(index, self.fps)
        gray = self._render_layer(self._gray, self._layers["gray"], t)
        rgb = self._render_layer(self._rgb, self._layers["rgb"], t) if self.preview else None
        return gray, rgb

    def _render_layer(
        self, photo: np.ndarray, layer: tuple[np.ndarray, np.ndarray, np.ndarray], t: float
    ) -> np.ndarray:
        backdrop, inset, at = layer
        key = _interpolate(t)
        s, ox, oy = self._scale()
        z = key.zoom * s
        matrix = np.array(
            [
                [z, 0.0, ox + s * (BASE_W / 2 + key.offset) - z * key.cx],
                [0.0, z, oy + s * BASE_H / 2 - z * key.cy],
            ],
            dtype=np.float64,
        )
        if any(a <= t < b for a, b in MIRRORED):
            flip = np.array([[-1.0, 0.0, self.width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            matrix = (flip @ np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
        canvas = backdrop.copy()
        cv2.warpAffine(
            photo,
            matrix,
            (self.width, self.height),
            dst=canvas,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        alpha = min(_smooth((t - INSET[0]) / INSET_FADE), _smooth((INSET[1] - t) / INSET_FADE))
        if alpha > 0:
            x, y = int(at[0]), int(at[1])
            h = min(inset.shape[0], self.height - y)
            w = min(inset.shape[1], self.width - x)
            if h > 0 and w > 0:
                roi = canvas[y : y + h, x : x + w]
                cv2.addWeighted(inset[:h, :w], alpha, roi, 1.0 - alpha, 0.0, dst=roi)
        if abs(key.gain - 1.0) > 1e-3:
            lut = np.clip(np.arange(256, dtype=np.float32) * key.gain, 0, 255).astype(np.uint8)
            canvas = cv2.LUT(canvas, lut)
        return canvas

    def read(self) -> Frame:
        """The next frame, paced to ``fps``; the demo never ends."""
        if self._gray is None:
            raise RuntimeError("DemoSource.open() was not called")
        if self.fps > 0:
            now = self._clock()
            if self._start is None:
                self._start = now
            due = self._start + self._index / self.fps
            if now < due:
                self._sleep(due - now)
            elif now - due > 1.0:
                # Far behind (the consumer was paused): restart the schedule instead of bursting.
                self._start = now - self._index / self.fps
        gray, rgb = self.render(self._index)
        frame = Frame(gray=gray, index=self._index, timestamp=self._clock(), preview=rgb)
        self._index += 1
        return frame

    def close(self) -> None:
        """Forget the loaded picture; safe to call twice."""
        self._gray = None
        self._rgb = None
        self._layers = {}
