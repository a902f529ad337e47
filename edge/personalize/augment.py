"""More captures from few: each face crop varied the way the camera varies it, for the model to read.

A person who gives two photos per emotion gives too little for a layer of 1,799 numbers; copies
of each crop mirrored, shifted, scaled, rotated a little, brighter or darker, with more or less
contrast and sometimes a little blur are what the camera would have shown on another frame.
The copies go through the model like the captures (their *features* are what the layer is
fitted on) and always stay in their capture's group, so cross-validation never scores a capture
with a copy of it in the training part.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Aim for about this many faces (captures and copies) in a fit: more costs time, fewer moves little.
TARGET_FACES = 300
#: Most copies made of one capture.
MAX_COPIES = 15
#: Largest rotation (degrees), scale change (fraction), shift (pixels of a 48-pixel crop).
ROTATION, SCALE, SHIFT = 10.0, 0.08, 2.5
#: Largest contrast change (fraction) and brightness change (grey levels).
CONTRAST, BRIGHTNESS = 0.25, 25.0
#: Share of copies blurred, and their blur (Gaussian sigma, pixels).
BLUR_SHARE, BLUR_SIGMA = 0.3, (0.5, 1.2)


def copies_per_capture(n_captures: int) -> int:
    """Copies of each capture so that a fit sees about :data:`TARGET_FACES` faces (1 to :data:`MAX_COPIES`)."""
    if n_captures <= 0:
        return 0
    return int(np.clip(round(TARGET_FACES / n_captures) - 1, 1, MAX_COPIES))


def vary(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One varied copy of a square uint8 face crop (same size)."""
    size = pixels.shape[0]
    image = pixels[:, ::-1] if rng.random() < 0.5 else pixels
    centre = (size / 2 - 0.5, size / 2 - 0.5)
    matrix = cv2.getRotationMatrix2D(centre, rng.uniform(-ROTATION, ROTATION), rng.uniform(1 - SCALE, 1 + SCALE))
    matrix[:, 2] += rng.uniform(-SHIFT, SHIFT, 2) * size / 48
    moved = cv2.warpAffine(np.ascontiguousarray(image), matrix, (size, size), borderMode=cv2.BORDER_REPLICATE)
    lit: np.ndarray = (moved.astype(np.float32) - 128.0) * rng.uniform(1 - CONTRAST, 1 + CONTRAST) + 128.0
    lit += rng.uniform(-BRIGHTNESS, BRIGHTNESS)
    if rng.random() < BLUR_SHARE:
        lit = cv2.GaussianBlur(lit, (0, 0), rng.uniform(*BLUR_SIGMA))
    return np.clip(np.rint(lit), 0, 255).astype(np.uint8)


def augment(pixels: np.ndarray, copies: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The captures followed by ``copies`` varied copies of each.

    Args:
        pixels: ``(N, S, S)`` uint8 crops.
        copies: Copies per crop (0: the crops only).
        seed: Seed of the variation, so a run can be repeated exactly.

    Returns:
        ``(pixels (N * (1 + copies), S, S), source index of every row)``; the first ``N`` rows
        are the captures themselves.
    """
    rng = np.random.default_rng(seed)
    n = len(pixels)
    rows = [pixels]
    for _ in range(copies):
        rows.append(np.stack([vary(face, rng) for face in pixels]) if n else pixels[:0])
    source = np.tile(np.arange(n), copies + 1)
    return np.concatenate(rows), source
