"""Replayable test material: a clip of the demo animation, and sources that replay a clip or the demo."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2

from edge.sources.base import Source
from edge.sources.demo import DemoSource
from edge.sources.video import VideoFileSource

#: The demo animation's frame index with nobody in the picture (its 14-17 s stretch).
EMPTY_INDEX = 465


def _write_demo_frames(path: Path, indices: Iterable[int], fps: float) -> Path:
    """Write the demo animation's frames ``indices`` (at its 30 fps animation rate) as a 640x480 MJPG clip."""
    demo = DemoSource(fps=0, preview=True)
    demo.open()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 480))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path}")
    try:
        for index in indices:
            _, rgb = demo.render(index)
            assert rgb is not None
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
        demo.close()
    return path


def make_clip(path: Path, seconds: float = 10.0, fps: float = 30.0) -> Path:
    """Write a 640x480 MJPG clip of the demo animation (a real face, and a stretch without one)."""
    return _write_demo_frames(path, (int(i * 30.0 / fps) for i in range(int(seconds * fps))), fps)


def make_kiosk_clip(path: Path, cycles: int = 4, fps: float = 30.0) -> Path:
    """Write a clip that exercises the kiosk's screens: each cycle a face held still, then nobody.

    One cycle (6 s): the face appears and is held without moving for 3.5 s (the screen changes,
    then settles until nothing on it changes), then the picture is empty for 2.5 s (after the
    smoother's no-face delay the idle screen fades in and breathes).
    """
    hold, empty = round(3.5 * fps), round(2.5 * fps)
    indices = ([0] * hold + [EMPTY_INDEX] * empty) * max(1, cycles)
    return _write_demo_frames(path, indices, fps)


def replay_source(spec: str, realtime: bool) -> Source:
    """``demo`` or a looping video file, paced like a camera (``realtime``) or as fast as it is read."""
    if spec == "demo":
        return DemoSource(fps=30.0 if realtime else 0.0)
    return VideoFileSource(Path(spec), loop=True, realtime=realtime)
