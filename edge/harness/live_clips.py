"""Rendering camera-like test clips (:mod:`edge.harness.live_scenes`) to video, with a truth sidecar.

Each scene is drawn frame by frame into a 640x480 grey room, passed through what a cheap camera
does (lighting, blur, noise) and written as MJPG ``.avi``, with the truth next to it.

Sidecar (``<clip>.truth.json``, read with :mod:`edge.harness.live_truth`): ``kind``, ``fps``,
``width``, ``height``, ``seed`` and one entry per frame, ``{"t": seconds, "faces": [{"label",
"box": [x, y, w, h], "row", "occluded"}]}``, largest face first (``label`` is ``null`` for the
demo face, whose expression nobody labelled; ``row`` is the line of the FER2013 CSV).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.core.labels import LABELS
from edge.harness.live_scenes import HEIGHT, KINDS, WIDTH, FacePool, Scene
from edge.harness.live_truth import truth_path
from edge.sources.demo import DemoSource

log = logging.getLogger(__name__)


def _face_mask(n: int, feather: float = 0.1) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    u = np.abs(xx - (n - 1) / 2) / (n / 2)
    v = np.abs(yy - (n - 1) / 2) / (n / 2)
    return np.clip((1 - (u**4 + v**4) ** 0.25) / feather, 0, 1)


def _person(face: np.ndarray, size: int, angle: float, hair: float, skin: float) -> tuple[np.ndarray, np.ndarray]:
    """A head-and-shoulders layer and its alpha, ``3 size`` square, face centred in the upper half."""
    n = 3 * size
    layer = np.zeros((n, n), np.float32)
    alpha = np.zeros((n, n), np.float32)
    c, cy = n // 2, n // 3
    shoulders = ((c, int(cy + size * 1.25)), (int(size * 1.05), int(size * 0.65)))
    neck = ((int(c - size * 0.2), int(cy + size * 0.3)), (int(c + size * 0.2), int(cy + size * 0.75)))
    head = ((c, int(cy - size * 0.08)), (int(size * 0.62), int(size * 0.7)))
    for target, tones in ((layer, (skin * 0.55, skin * 0.85, hair)), (alpha, (1.0, 1.0, 1.0))):
        cv2.ellipse(target, *shoulders, 0, 0, 360, tones[0], -1)
        cv2.rectangle(target, *neck, tones[1], -1)
        cv2.ellipse(target, *head, 0, 0, 360, tones[2], -1)
    big = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    m = _face_mask(size)
    x, y = c - size // 2, cy - size // 2
    layer[y : y + size, x : x + size] = layer[y : y + size, x : x + size] * (1 - m) + big * m
    alpha[y : y + size, x : x + size] = np.maximum(alpha[y : y + size, x : x + size], m)
    k = max(3, (size // 40) | 1)
    soft: np.ndarray = cv2.GaussianBlur(alpha, (k, k), 0)
    if abs(angle) <= 0.1:
        return layer, soft
    rot = cv2.getRotationMatrix2D((c, cy), angle, 1.0)
    return cv2.warpAffine(layer, rot, (n, n), flags=cv2.INTER_LINEAR), cv2.warpAffine(
        soft, rot, (n, n), flags=cv2.INTER_LINEAR
    )


def _paste(canvas: np.ndarray, layer: np.ndarray, alpha: np.ndarray, cx: float, cy: float) -> None:
    """Alpha-blend a layer whose face centre is at ``(n/2, n/3)`` so that it lands on ``(cx, cy)``."""
    n = layer.shape[0]
    x, y = round(cx - n / 2), round(cy - n / 3)
    h, w = canvas.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + n, w), min(y + n, h)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    roi = canvas[y0:y1, x0:x1]
    roi[:] = roi * (1 - a) + layer[y0 - y : y1 - y, x0 - x : x1 - x] * a


def backdrop(rng: np.random.Generator) -> np.ndarray:
    """A blurred room: low-frequency texture and a few darker and lighter blocks (float32 grey)."""
    small = rng.integers(70, 180, (HEIGHT // 16, WIDTH // 16)).astype(np.float32)
    room = cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    for _ in range(5):
        x, y = int(rng.integers(0, WIDTH - 80)), int(rng.integers(0, HEIGHT - 80))
        w, h = int(rng.integers(60, 240)), int(rng.integers(60, 200))
        cv2.rectangle(room, (x, y), (x + w, y + h), float(rng.uniform(40, 210)), -1)
    return cv2.GaussianBlur(room, (0, 0), 6)


def _render(
    scene: Scene, pool: FacePool, room: np.ndarray, t: float, rng: np.random.Generator
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    canvas = room.copy()
    truth: list[dict[str, Any]] = []
    posed = []
    for actor in scene.actors:
        offset = actor.visible(t)
        if offset == math.inf:
            continue
        x, y, size, angle = actor.pose(t, rng)
        side = 1 if x >= WIDTH / 2 else -1
        x += side * offset * (WIDTH / 2 + size)
        posed.append((size, actor, x, y, angle))
    for size, actor, x, y, angle in sorted(posed, key=lambda p: p[0]):  # the nearer (larger) face in front
        shot, nxt, w = actor.shot_at(t)
        face = pool.images[shot.label][shot.index].astype(np.float32)
        if nxt is not None:
            face = (1 - w) * face + w * pool.images[nxt.label][nxt.index].astype(np.float32)
        s = round(size)
        layer, alpha = _person(face, s, angle, actor.hair, actor.skin)
        _paste(canvas, layer, alpha, x, y)
        occluded = any(a <= t < b for a, b in actor.hands)
        if occluded:  # a hand over the lower face, moving a little
            hx = x + 0.25 * s * math.sin(8 * t)
            cv2.ellipse(
                canvas,
                (round(hx), round(y + 0.2 * s)),
                (round(0.38 * s), round(0.3 * s)),
                20,
                0,
                360,
                actor.skin * 0.95,
                -1,
            )
        current = nxt if nxt is not None and w >= 0.5 else shot
        box = [round(x - s / 2), round(y - s / 2), s, s]
        if box[0] + s > 0 and box[0] < WIDTH:
            truth.append(
                {
                    "label": LABELS[current.label],
                    "box": box,
                    "row": pool.rows[current.label][current.index],
                    "occluded": occluded,
                }
            )
    truth.sort(key=lambda f: -f["box"][2])
    return canvas, truth


def _camera(scene: Scene, canvas: np.ndarray, t: float, speed: float, rng: np.random.Generator) -> np.ndarray:
    """Lighting, blur, noise: what a cheap camera does to the scene."""
    img = canvas * scene.light(t)
    img *= (0.85 + 0.3 * np.linspace(0, 1, WIDTH, dtype=np.float32))[None, :] ** (1 + 0.5 * math.sin(t / 5))
    if scene.motion_blur and speed > 150:
        k = min(25, int(speed / 25)) | 1
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        img = cv2.filter2D(img, -1, kernel)
    sigma = scene.blur(t)
    if sigma > 0.2:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.normal(0, scene.noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_clip(scene: Scene, pool: FacePool | None, path: Path) -> Path:
    """Render ``scene`` to an MJPG ``.avi`` at ``path`` and write the sidecar next to it.

    Returns:
        The sidecar's path (``<path stem>.truth.json``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), scene.fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write the video {path}")
    rng = np.random.default_rng([scene.seed, 99, KINDS.index(scene.kind)])
    frames: list[dict[str, Any]] = []
    n = round(scene.seconds * scene.fps)
    try:
        if scene.kind == "demo":
            frames = _write_demo(writer, n, scene.fps)
        else:
            if pool is None:
                raise ValueError(f"clip kind {scene.kind!r} needs the FER2013 faces")
            room = backdrop(rng)
            last_x: list[float] = []
            for i in range(n):
                t = i / scene.fps
                canvas, truth = _render(scene, pool, room, t, rng)
                xs = [f["box"][0] for f in truth]
                speed = max((abs(a - b) * scene.fps for a, b in zip(xs, last_x, strict=False)), default=0.0)
                last_x = xs
                gray = _camera(scene, canvas, t, speed, rng)
                writer.write(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
                frames.append({"t": round(t, 4), "faces": truth})
    finally:
        writer.release()
    sidecar = truth_path(path)
    meta = {
        "kind": scene.kind,
        "fps": scene.fps,
        "width": WIDTH,
        "height": HEIGHT,
        "seed": scene.seed,
        "frames": frames,
    }
    sidecar.write_text(json.dumps(meta, separators=(",", ":")), encoding="utf-8")
    log.info("wrote %s (%d frames, %s)", path, n, scene.kind)
    return sidecar


def _write_demo(writer: Any, n: int, fps: float) -> list[dict[str, Any]]:
    demo = DemoSource(fps=fps, width=WIDTH, height=HEIGHT)
    demo.open()
    frames = []
    try:
        for i in range(n):
            gray, _ = demo.render(i)
            writer.write(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
            t = i / fps
            seen = demo.has_face(demo.animation_time(i, fps))
            frames.append(
                {
                    "t": round(t, 4),
                    "faces": [{"label": None, "box": None, "row": None, "occluded": False}] if seen else [],
                }
            )
    finally:
        demo.close()
    return frames
