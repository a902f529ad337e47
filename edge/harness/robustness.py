"""Robustness checks: labelled faces in camera-like frames through the app's own face path.

Each face of a labelled split goes into a generated frame for each condition of
:data:`edge.harness.face_scenes.CONDITIONS`; the frame goes through the analyzer the assembly
builds for ``emojify run`` (:func:`edge.pipeline.assembly.build_analyzer`: the ``[faces]``
detector, the one crop, the ``[model]`` classifier), and the largest face found is scored
against the label. A face found somewhere else than where it was placed counts as missed.
``scripts/robustness.py`` is the command line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import cv2
import numpy as np

from edge.core.confidence import expected_calibration_error
from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.types import FaceBox, Frame
from edge.data.evaluation import NO_FACE, metrics
from edge.harness.face_scenes import CONDITIONS, make_scene, seed_for
from edge.pipeline.analyzer import Analyzer

log = logging.getLogger(__name__)

Eyes = tuple[tuple[float, float], tuple[float, float]]


def overlaps_truth(found: FaceBox, truth: tuple[int, int, int, int], min_iou: float = 0.3) -> bool:
    """Whether a detected box is the placed face (IoU with the face's square)."""
    ax0, ay0, ax1, ay1 = found.x, found.y, found.x + found.w, found.y + found.h
    bx0, by0, bx1, by1 = truth[0], truth[1], truth[0] + truth[2], truth[1] + truth[3]
    inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
    union = found.w * found.h + truth[2] * truth[3] - inter
    return union > 0 and inter / union >= min_iou


class WithoutKeypoints:
    """A detector that drops its faces' keypoints, so the one crop takes the plain box path.

    Measures what levelling tilted faces brings, with the same detections and the same crop code.

    Args:
        detector: Any face detector.
    """

    def __init__(self, detector: Any) -> None:
        self._detector = detector
        self.name = f"{detector.name}-plain-crop"

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """The wrapped detector's faces, without keypoints."""
        return [FaceBox(f.x, f.y, f.w, f.h, f.score) for f in self._detector.detect(gray)]


class LastFrameMemo:
    """Runs a detector once per frame for several analyzers that look at the same frame.

    Args:
        detector: Any face detector.
    """

    def __init__(self, detector: Any) -> None:
        self._detector = detector
        self.name = detector.name
        self._frame: np.ndarray | None = None
        self._faces: list[FaceBox] = []

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """The faces of ``gray`` (detected once while the same frame is asked again)."""
        if gray is not self._frame:
            self._faces = self._detector.detect(gray)
            self._frame = gray
        return self._faces


def variants(analyzer: Analyzer, compare_align: bool) -> dict[str, Analyzer]:
    """The shipped analyzer as ``shipped``, and with ``compare_align`` one with the plain crop (``plain``)."""
    memo = LastFrameMemo(analyzer.detector)
    analyzer.detector = memo
    out = {"shipped": analyzer}
    if compare_align:
        out["plain"] = Analyzer(
            WithoutKeypoints(memo), analyzer.classifier, analyzer.max_faces, input_size=analyzer.input_size
        )
    return out


def clean_eyes(detector: Any, face48: np.ndarray) -> Eyes | None:
    """Eye keypoints of a face crop in crop pixels (the detector on the upscaled crop), to place glasses."""
    side = face48.shape[0]
    big = cv2.resize(face48, (256, 256), interpolation=cv2.INTER_CUBIC)
    faces = detector.detect(big)
    if not faces or faces[0].eyes is None:
        return None
    f = side / 256.0
    (lx, ly), (rx, ry) = faces[0].eyes
    return (lx * f, ly * f), (rx * f, ry * f)


def summarise(y: np.ndarray, pred: np.ndarray, probs: np.ndarray, wrong_place: int, seconds: float) -> dict[str, Any]:
    """A condition's numbers: accuracy (misses count wrong), on faces found, misses, ECE, recall per class."""
    m = metrics(y, pred)
    found = pred != NO_FACE
    return {
        "n": len(y),
        "accuracy": m["accuracy"],
        "accuracy_found": float((pred[found] == y[found]).mean()) if found.any() else 0.0,
        "miss_rate": float(1.0 - found.mean()) if len(y) else 0.0,
        "wrong_place": wrong_place,
        "ece_found": expected_calibration_error(probs[found], y[found]) if found.any() else 0.0,
        "recall": {label: row["recall"] for label, row in m["per_class"].items()},
        "recall_found": {
            label: float((pred[found & (y == c)] == c).mean()) if (found & (y == c)).any() else 0.0
            for c, label in enumerate(LABELS)
        },
        "confusion": m["confusion"],
        "seconds": seconds,
    }


def run_condition(
    name: str,
    faces: np.ndarray,
    labels: np.ndarray,
    analyzers: Mapping[str, Analyzer],
    eye_detector: Any,
    tick: Callable[[], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every face in one condition's frame through every analyzer.

    Args:
        name: A key of :data:`~edge.harness.face_scenes.CONDITIONS`.
        faces: ``(N, S, S)`` uint8 face crops.
        labels: ``(N,)`` their classes.
        analyzers: The analyzers to score, by name (see :func:`variants`).
        eye_detector: Finds the eyes on a clean crop, where glasses go.
        tick: Called after each face (progress).

    Returns:
        :func:`summarise` per analyzer.
    """
    variation = CONDITIONS[name]
    preds = {k: np.full(len(labels), NO_FACE, np.int64) for k in analyzers}
    probs = {k: np.zeros((len(labels), NUM_CLASSES), np.float32) for k in analyzers}
    wrong = dict.fromkeys(analyzers, 0)
    started = time.perf_counter()
    for i, face in enumerate(faces):
        eyes = clean_eyes(eye_detector, face) if variation.glasses else None
        scene = make_scene(face, variation, np.random.default_rng(seed_for(name, i)), eyes)
        frame = Frame(scene.frame, i, float(i), still=True)
        for key, analyzer in analyzers.items():
            results = analyzer.analyze(frame, {})
            if not results:
                continue
            if not overlaps_truth(results[0].box, scene.box):
                wrong[key] += 1  # the largest "face" is somewhere else: as good as a miss
                continue
            preds[key][i] = results[0].top
            probs[key][i] = results[0].scores
        if tick is not None:
            tick()
    seconds = time.perf_counter() - started
    log.info("%s: %d faces in %.0f s", name, len(labels), seconds)
    return {k: summarise(labels, preds[k], probs[k], wrong[k], seconds) for k in analyzers}
