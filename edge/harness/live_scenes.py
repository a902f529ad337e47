"""Scripts of camera-like test clips: who shows which FER2013 PublicTest face when, and where.

We have no labelled video of real people, so these clips stand in for one: a FER2013 PublicTest
face (48x48, upscaled with bicubic interpolation to 120-260 px, the size of a face 1-2 m from a
640x480 camera) is held for 1-4 s, with its label as the truth, then cross-fades into another
face, as an expression change would. :mod:`edge.harness.live_clips` draws each face on a simple
head (hair) and shoulders, which BlazeFace needs to find it, in a blurred room backdrop, and adds
motion, scale changes, small head turns, per-frame jitter, lighting drift, defocus and motion
blur, sensor noise, MJPG compression, hands over the face, stretches with nobody, and two faces
that swap size.

What they cannot show: a real person's expression builds up and fades over many frames and
keeps one identity; here each expression is a different person's photo, and the model's
frame-to-frame variation comes from jitter, blur and noise, not from a moving face. Use them to
tune and compare decision rules, not to claim accuracy on real people.

Kinds (:data:`KINDS`):

``expressive``  one face, a new expression every 1-4 s, mild motion.
``laughing``    a talking, laughing face: happy photos changing every 0.4-1.2 s, with brief
                (0.1-0.35 s) open-mouthed or neutral moments; the truth is happy throughout.
``hard``        expressive, plus strong lighting drift, big scale changes, fast moves with
                motion blur, hands over the face and two walk-outs of 2-3 s.
``two_faces``   two people whose sizes swap every 5 s.
``arrivals``    people arriving in an empty room and leaving; one vanishes for 0.2 s, one for 3 s.
``demo``        the built-in demo animation (the astronaut photo), for a real photographed face.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.core.labels import LABELS
from edge.data.datasets import iter_fer_csv

KINDS = ("expressive", "laughing", "hard", "two_faces", "arrivals", "demo")
#: Default length of each kind (seconds).
SECONDS = {"expressive": 40.0, "laughing": 30.0, "hard": 45.0, "two_faces": 40.0, "arrivals": 45.0, "demo": 20.0}
WIDTH, HEIGHT = 640, 480
#: Cross-fade between two shots (seconds); the truth switches at its middle.
FADE = 0.12


@dataclass(frozen=True)
class FacePool:
    """PublicTest faces by class: ``images[c]`` is ``(N, 48, 48)`` uint8, ``rows[c]`` their CSV lines."""

    images: dict[int, np.ndarray]
    rows: dict[int, list[int]]

    @classmethod
    def load(cls, csv_path: Path) -> FacePool:
        """Read the PublicTest rows of a FER2013 CSV (never the Training rows)."""
        images: dict[int, list[np.ndarray]] = {c: [] for c in range(len(LABELS))}
        rows: dict[int, list[int]] = {c: [] for c in range(len(LABELS))}
        for sample in iter_fer_csv(csv_path, "PublicTest"):
            images[sample.label].append(sample.image)
            rows[sample.label].append(int(sample.origin.rsplit(":", 1)[1]))
        return cls({c: np.stack(v) for c, v in images.items() if v}, rows)


@dataclass(frozen=True)
class Shot:
    """One face photo held on screen from ``t0`` to ``t1``."""

    t0: float
    t1: float
    label: int
    index: int  # into FacePool.images[label]


@dataclass
class Actor:
    """One person: what they show when, where they are, when they are in view."""

    shots: list[Shot]
    base: tuple[float, float, float]  # centre x, centre y, face size (px)
    wobble: tuple[float, float, float, float]  # x, y amplitude (px), size amplitude (fraction), turn (deg)
    speed: float  # multiplies the wobble frequencies
    phase: float
    hair: float
    skin: float
    present: list[tuple[float, float]] = field(default_factory=list)  # empty: always
    slide: float = 0.0  # seconds to walk in and out at the edges of ``present`` (0: a cut)
    hands: list[tuple[float, float]] = field(default_factory=list)
    size_of: Any = None  # optional t -> size override (two_faces)

    def shot_at(self, t: float) -> tuple[Shot, Shot | None, float]:
        """The shot at ``t``, the next one when cross-fading into it, and the blend weight."""
        for k, shot in enumerate(self.shots):
            if shot.t0 <= t < shot.t1 or k == len(self.shots) - 1:
                nxt = self.shots[k + 1] if k + 1 < len(self.shots) else None
                if nxt is not None and t > shot.t1 - FADE / 2:
                    return shot, nxt, min(1.0, (t - (shot.t1 - FADE / 2)) / FADE)
                prev = self.shots[k - 1] if k > 0 else None
                if prev is not None and t < shot.t0 + FADE / 2:
                    return prev, shot, 0.5 + (t - shot.t0) / FADE
                return shot, None, 0.0
        raise ValueError("an actor needs at least one shot")

    def visible(self, t: float) -> float:
        """Horizontal offset as a fraction of the frame width (0 in view, >= 1 out), or ``inf`` when absent."""
        if not self.present:
            return 0.0
        for a, b in self.present:
            if a <= t < b:
                if self.slide > 0:
                    edge = min(t - a, b - t)
                    return max(0.0, 1.0 - edge / self.slide)
                return 0.0
        return math.inf

    def pose(self, t: float, rng: np.random.Generator) -> tuple[float, float, float, float]:
        """Centre x, centre y, face size and head turn (degrees) at ``t``, with per-frame jitter."""
        x0, y0, s0 = self.base
        ax, ay, asz, turn = self.wobble
        w = self.speed * 2 * math.pi
        p = self.phase
        x = x0 + ax * (0.7 * math.sin(0.07 * w * t + p) + 0.3 * math.sin(0.23 * w * t + 2 * p))
        y = y0 + ay * math.sin(0.11 * w * t + 3 * p)
        size = self.size_of(t) if self.size_of is not None else s0 * (1 + asz * math.sin(0.05 * w * t + p))
        angle = turn * math.sin(0.17 * w * t + 5 * p)
        j = rng.normal(0, 1, 4)
        return x + 1.2 * j[0], y + 1.0 * j[1], size * (1 + 0.015 * j[2]), angle + 1.2 * j[3]


@dataclass
class Scene:
    """Everything a clip shows: actors plus camera effects over time."""

    kind: str
    seconds: float
    fps: float
    seed: int
    actors: list[Actor]
    light: Any  # t -> gain
    blur: Any  # t -> defocus sigma (px)
    noise: float
    motion_blur: bool = False


def _shots(
    rng: np.random.Generator,
    pool: FacePool,
    t0: float,
    t1: float,
    hold: tuple[float, float],
    labels: Iterable[int] | None = None,
) -> list[Shot]:
    """Consecutive shots covering ``[t0, t1)``, each a random face of a class other than the last."""
    choices = list(labels) if labels is not None else sorted(pool.images)
    shots: list[Shot] = []
    t, last = t0, -1
    while t < t1:
        label = int(rng.choice([c for c in choices if c != last] or choices))
        length = float(rng.uniform(*hold))
        end = min(t + length, t1) if t1 - (t + length) > hold[0] / 2 else t1
        shots.append(Shot(t, end, label, int(rng.integers(len(pool.images[label])))))
        t, last = end, label
    return shots


def _actor(rng: np.random.Generator, shots: list[Shot], **kw: Any) -> Actor:
    defaults: dict[str, Any] = {
        "base": (320.0, 200.0, 190.0),
        "wobble": (50.0, 15.0, 0.12, 4.0),
        "speed": 1.0,
        "phase": float(rng.uniform(0, 2 * math.pi)),
        "hair": float(rng.uniform(20, 90)),
        "skin": float(rng.uniform(110, 200)),
    }
    defaults.update(kw)
    return Actor(shots=shots, **defaults)


def _laughing_shots(rng: np.random.Generator, pool: FacePool, seconds: float) -> list[Shot]:
    happy, others = LABELS.index("happy"), [LABELS.index(n) for n in ("surprise", "neutral", "fear")]
    shots: list[Shot] = []
    t = 0.0
    while t < seconds:
        length = min(float(rng.uniform(0.4, 1.2)), seconds - t)
        shots.append(Shot(t, t + length, happy, int(rng.integers(len(pool.images[happy])))))
        t += length
        if t < seconds - 0.5 and rng.random() < 0.3:
            label = int(rng.choice(others))
            length = float(rng.uniform(0.1, 0.35))
            shots.append(Shot(t, t + length, label, int(rng.integers(len(pool.images[label])))))
            t += length
    return shots


def _steady(t: float) -> float:
    return 1.0 + 0.08 * math.sin(2 * math.pi * t / 13)


def _mild_blur(t: float) -> float:
    return 0.6


def _expressive(rng: np.random.Generator, pool: FacePool, length: float) -> tuple[list[Actor], dict[str, Any]]:
    return [_actor(rng, _shots(rng, pool, 0, length, (1.0, 4.0)))], {}


def _laughing(rng: np.random.Generator, pool: FacePool, length: float) -> tuple[list[Actor], dict[str, Any]]:
    return [_actor(rng, _laughing_shots(rng, pool, length), wobble=(25.0, 12.0, 0.06, 5.0), speed=2.5)], {}


def _hard_light(t: float) -> float:
    return (0.9 + 0.35 * math.sin(2 * math.pi * t / 17)) * (0.6 if 20 <= t % 30 < 24 else 1.0)


def _hard_blur(t: float) -> float:
    return 0.5 + 1.2 * (0.5 + 0.5 * math.sin(t / 3))


def _hard(rng: np.random.Generator, pool: FacePool, length: float) -> tuple[list[Actor], dict[str, Any]]:
    outs = sorted(float(v) for v in rng.uniform(0.15 * length, 0.7 * length, 2))
    present = [
        (0.0, outs[0]),
        (outs[0] + float(rng.uniform(2, 3)), max(outs[1], outs[0] + 6)),
        (max(outs[1], outs[0] + 6) + float(rng.uniform(2, 3)), length),
    ]
    hands = [(float(t), float(t + rng.uniform(0.3, 0.8))) for t in rng.uniform(0.05 * length, 0.9 * length, 4)]
    actor = _actor(
        rng,
        _shots(rng, pool, 0, length, (1.0, 4.0)),
        base=(320.0, 210.0, 180.0),
        wobble=(120.0, 30.0, 0.3, 9.0),
        speed=1.8,
        present=present,
        slide=0.5,
        hands=hands,
    )
    return [actor], {"light": _hard_light, "blur": _hard_blur, "noise": 5.0, "motion_blur": True}


def _two_faces(rng: np.random.Generator, pool: FacePool, length: float) -> tuple[list[Actor], dict[str, Any]]:
    def swap(sign: int) -> Any:
        return lambda t: 165 + sign * 55 * math.sin(2 * math.pi * t / 10)

    actors = [
        _actor(
            rng,
            _shots(rng, pool, 0, length, (2.0, 4.0)),
            base=(x, 200.0, 165.0),
            wobble=(25.0, 10.0, 0.0, 3.0),
            size_of=swap(sign),
        )
        for x, sign in ((180.0, 1), (460.0, -1))
    ]
    return actors, {}


def _arrivals(rng: np.random.Generator, pool: FacePool, length: float) -> tuple[list[Actor], dict[str, Any]]:
    actors = []
    t = float(rng.uniform(1.5, 3.0))
    k = 0
    while t < length - 2:
        stay = float(rng.uniform(2.0, 3.5))
        end = min(t + stay, length)
        gap = 0.2 if k == 1 else 3.0 if k == 3 else None  # a 0.2 s and a 3 s disappearance
        if gap is not None and end - t > 1.5:
            mid = t + (end - t) / 2
            present = [(t, mid), (mid + gap, end + gap)]
            end += gap
        else:
            present = [(t, end)]
        shots = _shots(rng, pool, t, end, (end - t + 1, end - t + 2))
        actors.append(_actor(rng, shots, present=present, slide=0.4 if k % 2 else 0.0))
        t = end + float(rng.uniform(1.5, 3.0))
        k += 1
    return actors, {}


#: The script of each kind but the demo: ``(rng, pool, seconds) -> (actors, camera effects)``.
_SCRIPTS = {
    "expressive": _expressive,
    "laughing": _laughing,
    "hard": _hard,
    "two_faces": _two_faces,
    "arrivals": _arrivals,
}


def make_scene(
    kind: str, pool: FacePool | None, seconds: float | None = None, fps: float = 15.0, seed: int = 0
) -> Scene:
    """The script of one clip of ``kind`` (see the module docstring); deterministic for a seed.

    Raises:
        ValueError: Unknown kind, or no faces for a kind that needs them (all but ``demo``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown clip kind {kind!r}: choose from {', '.join(KINDS)}")
    length = SECONDS[kind] if seconds is None else seconds
    if kind == "demo":
        return Scene(kind, length, fps, seed, [], lambda t: 1.0, lambda t: 0.0, 0.0)  # rendered by DemoSource
    if pool is None:
        raise ValueError(f"clip kind {kind!r} needs the FER2013 PublicTest faces")
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    actors, effects = _SCRIPTS[kind](rng, pool, length)
    camera: dict[str, Any] = {"light": _steady, "blur": _mild_blur, "noise": 3.0} | effects
    return Scene(kind, length, fps, seed, actors, **camera)
