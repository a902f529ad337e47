"""The truth of a camera-like test clip: its sidecar, and how often a run named it.

A sidecar (written by :func:`edge.harness.live_clips.write_clip`) holds, per frame, every face's
true label and box; a run's records are matched to it by time and box overlap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.core.decision_metrics import FrameRecord
from edge.core.labels import LABELS


def truth_path(clip: Path) -> Path:
    """Where the sidecar of ``clip`` lives."""
    return clip.with_name(clip.stem + ".truth.json")


def read_truth(path: Path) -> dict[str, Any]:
    """Load a sidecar written by :func:`write_clip`."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _iou(a: list[int], b: tuple[int, int, int, int]) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def truth_labels(records: Sequence[FrameRecord], truth: dict[str, Any]) -> list[str | None]:
    """The true label of each record's primary face: the sidecar face its box overlaps most.

    Records are matched to sidecar frames by time (``round(t * fps)``); ``None`` where the
    record has no face, the face matches no labelled one, or the time is outside the clip.
    """
    frames = truth["frames"]
    fps = float(truth["fps"])
    labels: list[str | None] = []
    for rec in records:
        i = round(rec.t * fps)
        if rec.box is None or not 0 <= i < len(frames):
            labels.append(None)
            continue
        faces = [f for f in frames[i]["faces"] if f["box"] is not None and f["label"] is not None]
        best = max(faces, key=lambda f: _iou(f["box"], rec.box), default=None)  # type: ignore[arg-type]
        labels.append(best["label"] if best is not None and _iou(best["box"], rec.box) > 0.1 else None)  # type: ignore[arg-type]
    return labels


def truth_metrics(clips: Iterable[tuple[Sequence[FrameRecord], dict[str, Any]]]) -> dict[str, float]:
    """How often the screen, and the model alone, named the true expression, over clips.

    Args:
        clips: ``(records, sidecar)`` per clip.

    Returns:
        ``truth_agree``: share of ``face`` frames (with a known truth) whose emoji is the truth;
        ``model_acc``: share of frames with a face (and a known truth) whose per-frame argmax is
        the truth, the classifier on its own.
    """
    shown = right = faces = model_right = 0
    for records, truth in clips:
        for rec, label in zip(records, truth_labels(records, truth), strict=True):
            if label is None:
                continue
            if rec.state == "face":
                shown += 1
                right += rec.label == label
            if rec.scores is not None:
                faces += 1
                model_right += LABELS[int(np.argmax(rec.scores))] == label
    return {
        "truth_agree": right / shown if shown else math.nan,
        "model_acc": model_right / faces if faces else math.nan,
    }
