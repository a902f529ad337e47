"""Evaluation maths and the evaluation run shared by ``scripts/evaluate.py`` and personalise.

Predictions of ``-1`` mean "no face found" (with face detection): they count as wrong for
accuracy and recall, and are reported separately as ``no_face``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.core.confidence import expected_calibration_error
from edge.core.image import to_gray
from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.preprocess import INPUT_SIZE, face_to_model_pixels
from edge.data.datasets import iter_samples
from edge.faces.base import FaceDetector
from edge.faces.crop import largest_face_crop

log = logging.getLogger(__name__)

NO_FACE = -1


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """``classes x classes`` counts, rows = true class, columns = prediction (``-1`` ignored)."""
    keep = y_pred >= 0
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (y_true[keep], y_pred[keep]), 1)
    return cm


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix.

    Args:
        y_true: True class indices.
        y_pred: Predicted indices, ``-1`` for "no face found" (counted as wrong).

    Returns:
        A JSON-ready dict: ``accuracy``, ``macro_f1``, ``per_class``, ``confusion``, ``n``,
        ``no_face``.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    cm = confusion_matrix(y_true, y_pred)
    support = np.bincount(y_true, minlength=NUM_CLASSES)
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    present = support > 0
    n = len(y_true)
    return {
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(LABELS)
        },
        "confusion": cm.tolist(),
        "n": n,
        "no_face": int((y_pred == NO_FACE).sum()),
    }


@dataclass
class Predictions:
    """Everything an evaluation pass produced.

    ``pixels`` is the model input of each image and ``probs`` its probabilities (both zeros
    where no face was found).
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    pixels: np.ndarray
    ms_per_face: float
    probs: np.ndarray

    def calibration_error(self) -> float:
        """Expected calibration error of the probabilities over the faces found."""
        found = self.y_pred != NO_FACE
        return expected_calibration_error(self.probs[found], self.y_true[found]) if found.any() else 0.0


def detect_and_crop(detector: FaceDetector, image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray | None:
    """The app's face path for a photo: grey, detect, crop the largest face; ``None`` if none.

    Small images are upscaled first (to 256 px on the short side) so that the detector sees
    the face at a size it was trained for.
    """
    gray = to_gray(image)
    short = min(gray.shape)
    if short < 256:
        factor = 256 / short
        gray = cv2.resize(
            gray, (round(gray.shape[1] * factor), round(gray.shape[0] * factor)), interpolation=cv2.INTER_CUBIC
        )
    found = largest_face_crop(detector, gray, size)
    return None if found is None else found[1]


def predict_dataset(
    classify: Callable[[np.ndarray], np.ndarray],
    data: Path,
    usage: str | None = None,
    detector: FaceDetector | None = None,
    limit: int | None = None,
    size: int = INPUT_SIZE,
) -> Predictions:
    """Run ``classify`` over a data set through the shared preprocessing.

    Args:
        classify: ``size`` x ``size`` uint8 pixels -> probabilities.
        data: Any data set :func:`edge.data.datasets.iter_samples` reads.
        usage: Usage or split to keep.
        detector: With a face detector, images are uncropped photos (see :func:`detect_and_crop`).
        limit: Stop after this many images.
        size: Side of the classifier's input.
    """
    y_true: list[int] = []
    y_pred: list[int] = []
    pixels: list[np.ndarray] = []
    probs: list[np.ndarray] = []
    seconds = 0.0
    for sample in iter_samples(data, usage):
        if limit is not None and len(y_true) >= limit:
            break
        if detector is not None:
            face = detect_and_crop(detector, sample.image, size)
        else:
            face = face_to_model_pixels(sample.image, size=size)
        y_true.append(sample.label)
        if face is None:
            y_pred.append(NO_FACE)
            pixels.append(np.zeros((size, size), np.uint8))
            probs.append(np.zeros(NUM_CLASSES, np.float32))
            continue
        t0 = time.perf_counter()
        p = classify(face)
        seconds += time.perf_counter() - t0
        y_pred.append(int(np.argmax(p)))
        pixels.append(face)
        probs.append(np.asarray(p, np.float32))
    faces = sum(1 for v in y_pred if v != NO_FACE)
    return Predictions(
        np.asarray(y_true, np.int64),
        np.asarray(y_pred, np.int64),
        np.stack(pixels) if pixels else np.zeros((0, size, size), np.uint8),
        seconds * 1000 / faces if faces else 0.0,
        np.stack(probs) if probs else np.zeros((0, NUM_CLASSES), np.float32),
    )


def confusion_png(cm: np.ndarray, path: Path, title: str = "") -> None:
    """Draw a labelled, row-normalised confusion matrix as a PNG (OpenCV, no plotting library)."""
    cell, left, top = 70, 110, 60 if title else 40
    size_w = left + cell * NUM_CLASSES + 20
    size_h = top + cell * NUM_CLASSES + 90
    img = np.full((size_h, size_w, 3), 255, np.uint8)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros(cm.shape, np.float64), where=rows > 0)
    font = cv2.FONT_HERSHEY_SIMPLEX
    if title:
        (width, _), _ = cv2.getTextSize(title, font, 0.6, 1)
        scale = 0.6 * min(1.0, (size_w - 20) / max(width, 1))  # shrink long titles to fit
        cv2.putText(img, title, (10, 25), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
    for i in range(NUM_CLASSES):
        for j in range(NUM_CLASSES):
            shade = int(255 - 200 * norm[i, j])
            x0, y0 = left + j * cell, top + i * cell
            cv2.rectangle(img, (x0, y0), (x0 + cell, y0 + cell), (255, shade, shade), -1)
            cv2.rectangle(img, (x0, y0), (x0 + cell, y0 + cell), (200, 200, 200), 1)
            color = (255, 255, 255) if norm[i, j] > 0.55 else (0, 0, 0)
            cv2.putText(img, f"{norm[i, j] * 100:.0f}%", (x0 + 12, y0 + 32), font, 0.5, color, 1, cv2.LINE_AA)
            cv2.putText(img, str(int(cm[i, j])), (x0 + 12, y0 + 55), font, 0.4, color, 1, cv2.LINE_AA)
        cv2.putText(img, LABELS[i], (8, top + i * cell + 40), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        label_x = left + i * cell + 8
        cv2.putText(img, LABELS[i][:7], (label_x, top + NUM_CLASSES * cell + 25), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(
        img, "rows: true class, columns: predicted", (left, size_h - 20), font, 0.45, (80, 80, 80), 1, cv2.LINE_AA
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def format_report(result: dict[str, Any]) -> str:
    """A plain-text table of a :func:`metrics` result."""
    lines = [
        f"n={result['n']}  accuracy={result['accuracy'] * 100:.2f}%  macro_f1={result['macro_f1'] * 100:.2f}%"
        + (f"  no_face={result['no_face']}" if result.get("no_face") else "")
        + (f"  ms_per_face={result['ms_per_face']:.3f}" if "ms_per_face" in result else "")
        + (f"  ECE={result['ece'] * 100:.2f}%" if "ece" in result else ""),
        f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for label, row in result["per_class"].items():
        lines.append(
            f"{label:<10}{row['precision'] * 100:>9.1f}%{row['recall'] * 100:>9.1f}%{row['f1'] * 100:>9.1f}%{row['support']:>10}"
        )
    return "\n".join(lines)
