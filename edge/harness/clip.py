"""Replayable test material: a clip of the demo animation, and sources that replay a clip or the demo."""

from __future__ import annotations

from pathlib import Path

import cv2

from edge.sources.base import Source
from edge.sources.demo import DemoSource
from edge.sources.video import VideoFileSource


def make_clip(path: Path, seconds: float = 10.0, fps: float = 30.0) -> Path:
    """Write a 640x480 MJPG clip of the demo animation (a real face, and a stretch without one)."""
    demo = DemoSource(fps=0, preview=True)
    demo.open()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 480))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path}")
    try:
        for index in range(int(seconds * fps)):
            _, rgb = demo.render(int(index * 30.0 / fps))
            assert rgb is not None
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
        demo.close()
    return path


def replay_source(spec: str, realtime: bool) -> Source:
    """``demo`` or a looping video file, paced like a camera (``realtime``) or as fast as it is read."""
    if spec == "demo":
        return DemoSource(fps=30.0 if realtime else 0.0)
    return VideoFileSource(Path(spec), loop=True, realtime=realtime)
