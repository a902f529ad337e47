"""Camera-like frames made from labelled face crops, for checking the app's face path.

Each condition turns a 48x48 face crop (FER2013 PublicTest, say) into a camera frame: the face
is enlarged, blended into a generated room-like background at a random place and size, and
then changed the way a camera, a room or a person changes it (a tilted head, light from one
side, defocus, JPEG compression, dim light with sensor noise, glasses, a face far away).
:mod:`edge.harness.robustness` runs every frame through the app's own detector, crop and
classifier and ``scripts/robustness.py`` reports accuracy per class and condition and the
detector's misses.

What this cannot show: the faces are upscaled 48x48 web photos (a camera gives sharper ones),
the backgrounds are generated, and a head turned away (yaw) cannot be made from a flat photo.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

#: Frame size of the generated scenes (a USB webcam's usual mode; the Pi camera's lores stream is half).
FRAME_W, FRAME_H = 640, 480
#: Side of the enlarged face crop, in frame pixels (an arm's length to ~1.5 m from a webcam).
FACE_SIDE = (140, 220)
#: Side for the "far" condition (close to the detector's limit at this frame size).
FAR_SIDE = (90, 110)
#: Where FER2013 faces have their eyes in 48x48 pixels (medians of BlazeFace keypoints on
#: FER2013 Training; used to place glasses when the detector finds no eyes on the clean face).
FER_EYES = ((15.0, 18.9), (32.9, 18.9))


@dataclass(frozen=True)
class Scene:
    """A generated frame and where the face truly is.

    Attributes:
        frame: ``(FRAME_H, FRAME_W)`` uint8 grey frame.
        box: The face crop's square (before tilting) in frame pixels, ``(x, y, side, side)``.
    """

    frame: np.ndarray
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Variation:
    """How one condition changes a face and its frame."""

    tilt_deg: float = 0.0
    side: tuple[int, int] = FACE_SIDE
    glasses: str = ""  # "", "clear" or "dark"
    camera: Callable[[np.ndarray, tuple[int, int, int, int], np.random.Generator], np.ndarray] | None = None


def _side_light(frame: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Light from one side: the far half of the face falls into shadow (down to 30 %)."""
    x, _, side, _ = box
    centre = x + side / 2.0
    xs = (np.arange(frame.shape[1], dtype=np.float32) - centre) / (side / 4.0)
    direction = 1.0 if rng.random() < 0.5 else -1.0
    ramp = 0.3 + 0.8 / (1.0 + np.exp(-direction * xs))  # 0.3 in the shadow, 1.1 on the lit side
    return np.clip(frame.astype(np.float32) * ramp[None, :], 0, 255).astype(np.uint8)


def _blur(frame: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Defocus: Gaussian blur with sigma 2.5 % of the face side (about 1.2 model pixels)."""
    sigma = 0.025 * box[2]
    return cv2.GaussianBlur(frame, (0, 0), sigma)


def _jpeg(frame: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Strong JPEG compression (quality 15), as from a cheap webcam's MJPG stream or a saved photo."""
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 15])
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return frame if decoded is None else np.asarray(decoded, np.uint8)


def _low_light(frame: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator) -> np.ndarray:
    """A dim room: 30 % of the light, sensor noise (sigma 4 grey levels)."""
    dark = frame.astype(np.float32) * 0.3 + rng.normal(0, 4.0, frame.shape)
    return np.clip(dark, 0, 255).astype(np.uint8)


#: The conditions, in report order. Every one goes through the same frame, detector and crop.
CONDITIONS: dict[str, Variation] = {
    "frame": Variation(),
    "tilt+20": Variation(tilt_deg=20.0),
    "tilt-20": Variation(tilt_deg=-20.0),
    "side_light": Variation(camera=_side_light),
    "blur": Variation(camera=_blur),
    "jpeg15": Variation(camera=_jpeg),
    "low_light": Variation(camera=_low_light),
    "glasses": Variation(glasses="clear"),
    "sunglasses": Variation(glasses="dark"),
    "far": Variation(side=FAR_SIDE),
}


def seed_for(condition: str, index: int) -> int:
    """A stable seed per condition and face (the same frame every run)."""
    return zlib.crc32(f"{condition}:{index}".encode())


def background(rng: np.random.Generator) -> np.ndarray:
    """A room-like grey background: smooth shading, a few flat shapes (walls, doors, shelves), grain."""
    small = rng.normal(0, 1, (6, 8)).astype(np.float32)
    shade = cv2.resize(small, (FRAME_W, FRAME_H), interpolation=cv2.INTER_CUBIC)
    img = rng.uniform(60, 190) + 25 * shade
    for _ in range(int(rng.integers(2, 6))):
        x0, y0 = int(rng.integers(0, FRAME_W - 40)), int(rng.integers(0, FRAME_H - 40))
        w, h = int(rng.integers(40, 300)), int(rng.integers(40, 300))
        img[y0 : y0 + h, x0 : x0 + w] = rng.uniform(30, 220)
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.5) + rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def draw_glasses(face: np.ndarray, eyes: tuple[tuple[float, float], tuple[float, float]], kind: str) -> np.ndarray:
    """Glasses on an enlarged face: two lenses round the eyes, a bridge, the temples.

    Args:
        face: ``(S, S)`` uint8 enlarged face crop.
        eyes: Eye centres in ``face`` pixels (image-left first).
        kind: ``clear`` (dark frames, lenses barely tinted) or ``dark`` (sunglasses).
    """
    (lx, ly), (rx, ry) = eyes
    dist = max(float(np.hypot(rx - lx, ry - ly)), 4.0)
    angle = float(np.degrees(np.arctan2(ry - ly, rx - lx)))
    axes = (max(2, round(0.42 * dist)), max(2, round(0.30 * dist)))
    thick = max(2, round(0.05 * dist))
    out: np.ndarray = face.astype(np.float32)
    lenses = np.zeros(face.shape, np.uint8)
    for cx, cy in eyes:
        cv2.ellipse(lenses, (round(cx), round(cy)), axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
    alpha = lenses.astype(np.float32) / 255.0
    tint = 0.9 if kind == "dark" else 0.12  # sunglasses: nearly black; clear lenses: a slight tint
    out = out * (1 - tint * alpha) + (20.0 * tint * alpha if kind == "dark" else 0.0)
    frames = np.zeros(face.shape, np.uint8)
    for cx, cy in eyes:
        cv2.ellipse(frames, (round(cx), round(cy)), axes, angle, 0, 360, 255, thick, cv2.LINE_AA)
    ux, uy = (rx - lx) / dist, (ry - ly) / dist
    inner_l = (round(lx + ux * axes[0]), round(ly + uy * axes[0]))
    inner_r = (round(rx - ux * axes[0]), round(ry - uy * axes[0]))
    cv2.line(frames, inner_l, inner_r, 255, thick, cv2.LINE_AA)
    for cx, cy, sign in ((lx, ly, -1.0), (rx, ry, 1.0)):
        start = (round(cx + sign * ux * axes[0]), round(cy + sign * uy * axes[0]))
        end = (round(cx + sign * ux * 1.3 * dist), round(cy + sign * uy * 1.3 * dist))
        cv2.line(frames, start, end, 255, thick, cv2.LINE_AA)
    f_alpha = frames.astype(np.float32) / 255.0
    out = out * (1 - f_alpha) + 25.0 * f_alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def _oval_mask(side: int) -> np.ndarray:
    """A feathered oval that keeps the face and hides the crop's square edges."""
    mask = np.zeros((side, side), np.float32)
    cv2.ellipse(mask, (side // 2, side // 2), (round(side * 0.47), round(side * 0.5)), 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), side * 0.04)


def make_scene(
    face48: np.ndarray,
    variation: Variation,
    rng: np.random.Generator,
    eyes48: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> Scene:
    """Put a 48x48 face crop into a frame with one condition's changes.

    Args:
        face48: The face crop (FER2013 framing).
        variation: What to change.
        rng: Random generator (position, size, background, noise).
        eyes48: Eye centres in the 48x48 crop, for glasses (default: FER2013's median).
    """
    side = int(rng.integers(variation.side[0], variation.side[1] + 1))
    face = cv2.resize(face48, (side, side), interpolation=cv2.INTER_CUBIC)
    if variation.glasses:
        scale = side / 48.0
        eyes = eyes48 or FER_EYES
        face = draw_glasses(
            face,
            ((eyes[0][0] * scale, eyes[0][1] * scale), (eyes[1][0] * scale, eyes[1][1] * scale)),
            variation.glasses,
        )
    mask = _oval_mask(side)
    reach = int(np.ceil(side * 1.42))  # room for any rotation
    x = int(rng.integers(0, FRAME_W - reach)) + (reach - side) // 2
    y = int(rng.integers(0, FRAME_H - reach)) + (reach - side) // 2
    frame = background(rng).astype(np.float32)
    layer: np.ndarray = np.zeros_like(frame)
    alpha: np.ndarray = np.zeros_like(frame)
    layer[y : y + side, x : x + side] = face
    alpha[y : y + side, x : x + side] = mask
    if variation.tilt_deg:
        # A positive tilt turns the head clockwise on screen (towards the person's left shoulder).
        m = cv2.getRotationMatrix2D((x + side / 2.0, y + side / 2.0), -variation.tilt_deg, 1.0)
        layer = cv2.warpAffine(layer, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(alpha, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
    out = np.clip(frame * (1 - alpha) + layer * alpha, 0, 255).astype(np.uint8)
    box = (x, y, side, side)
    if variation.camera is not None:
        out = variation.camera(out, box, rng)
    return Scene(out, box)
