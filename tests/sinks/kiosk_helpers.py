"""Shared helpers of the kiosk tests: reports, screenshots as arrays, regions of the layout."""

from __future__ import annotations

import numpy as np
import pygame

from edge.core.labels import LABELS
from edge.core.types import Decision, FaceResult, Frame, FrameReport
from edge.display import theme
from edge.display.layout import Layout
from edge.display.theme import Box
from edge.sinks.kiosk import KioskSink
from tests.fakes import FakeClock

SMALL = (800, 480)
FULL_HD = (1920, 1080)
HUGE = (3840, 2160)


def scores_for(top: str, p: float = 0.8) -> np.ndarray:
    rest = (1.0 - p) / (len(LABELS) - 1)
    return np.array([p if label == top else rest for label in LABELS])


def make_report(
    state: str = "face",
    label: str | None = "happy",
    scores: np.ndarray | None = None,
    preview: np.ndarray | None = None,
    faces: list[FaceResult] | None = None,
    camera_fault: str | None = None,
) -> FrameReport:
    if scores is None:
        scores = scores_for(label) if label else np.zeros(len(LABELS))
    gray = np.full((240, 320), 90, np.uint8)
    conf = float(np.nan_to_num(scores).max()) if scores.size else 0.0
    return FrameReport(
        frame=Frame(gray=gray, index=3, timestamp=1.0, preview=preview),
        faces=faces or [],
        decision=Decision(state=state, label=label, confidence=conf, scores=scores),  # type: ignore[arg-type]
        latency_ms={"detect": 2.0, "classify": 9.0},
        primary=0 if faces else None,
        camera_fault=camera_fault,
    )


def pixels(sink: KioskSink) -> np.ndarray:
    """The surface as an ``(H, W, 3)`` int array."""
    return pygame.surfarray.array3d(sink.surface).transpose(1, 0, 2).astype(int)


def crop(img: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return img[y : y + h, x : x + w]


def emoji_region(sink: KioskSink, img: np.ndarray | None = None) -> np.ndarray:
    cx, cy, size = sink.layout.emoji
    half = size // 2
    img = pixels(sink) if img is None else img
    return img[cy - half : cy + half, cx - half : cx + half]


def layout_of(sink: KioskSink) -> Layout:
    return sink.layout


def draw(sink: KioskSink, clock: FakeClock, report: FrameReport) -> np.ndarray:
    clock.t += 1.0
    sink.handle(report)
    return pixels(sink)


def bar_runs(img: np.ndarray, lay: Layout) -> list[int]:
    """Longest run of coloured pixels on each bar row's middle line (the filled part of the bar)."""
    plain = np.array([theme.BG, theme.TRACK, theme.ROW_HI])
    runs = []
    for i in range(len(LABELS)):
        x, top, w, h = lay.bar_row(i)
        row = img[top + h // 2, x : x + w]
        coloured = np.abs(row[:, None, :] - plain[None]).sum(axis=2).min(axis=1) > 30
        best = cur = 0
        for c in coloured:
            cur = cur + 1 if c else 0
            best = max(best, cur)
        runs.append(best)
    return runs
