"""Faces and their expression probabilities for one frame: detect, crop, classify."""

from __future__ import annotations

import logging
import time
from typing import Protocol

import numpy as np

from edge.core.preprocess import INPUT_SIZE, face_to_model_pixels
from edge.core.types import FaceBox, FaceResult, Frame
from edge.faces.base import FaceDetector

log = logging.getLogger(__name__)


class Classifier(Protocol):
    """What the loop needs from :class:`edge.inference.classifier.ExpressionClassifier`."""

    def classify(self, pixels: np.ndarray) -> np.ndarray:
        """Probabilities for one face's square uint8 pixels."""
        ...


class Analyzer:
    """Faces and their expression probabilities for one frame.

    Args:
        detector: Face detector.
        classifier: Expression classifier.
        max_faces: Classify at most this many faces (largest first).
        detect_every: Run the detector on every N-th frame and reuse its boxes in between
            (a face moves little in 1/15 s at camera rate; the crop margin absorbs it). A frame
            where the last detection found nobody, and every still, is always detected again.
        input_size: Side of the classifier's input (read from its model by the assembly).
    """

    def __init__(
        self,
        detector: FaceDetector,
        classifier: Classifier,
        max_faces: int = 5,
        detect_every: int = 1,
        input_size: int = INPUT_SIZE,
    ) -> None:
        self.detector = detector
        self.classifier = classifier
        self.max_faces = max_faces
        self.detect_every = max(1, detect_every)
        self.input_size = input_size
        self._boxes: list[FaceBox] = []
        self._since_detect = 0
        #: Faces whose probabilities were not finite (left out: no decision from them).
        self.non_finite = 0

    def _detect(self, frame: Frame) -> list[FaceBox]:
        self._since_detect += 1
        if frame.still:  # a photo is searched on its own: no boxes or followed faces from another
            forget = getattr(self.detector, "forget", None)
            if forget is not None:
                forget()
        elif self._boxes and self._since_detect < self.detect_every:
            return self._boxes
        self._since_detect = 0
        self._boxes = self.detector.detect(frame.gray)[: self.max_faces]
        return self._boxes

    def analyze(self, frame: Frame, timings: dict[str, float]) -> list[FaceResult]:
        """Detect and classify up to ``max_faces`` faces, largest first; adds stage times (ms) to ``timings``."""
        t0 = time.perf_counter()
        boxes = self._detect(frame)
        t1 = time.perf_counter()
        crops = [face_to_model_pixels(frame.gray, box.as_tuple(), self.input_size, box.eyes) for box in boxes]
        t2 = time.perf_counter()
        results = [FaceResult(box, self.classifier.classify(crop)) for box, crop in zip(boxes, crops, strict=True)]
        finite = [face for face in results if np.isfinite(face.scores).all()]
        if len(finite) < len(results):
            self._count_non_finite(len(results) - len(finite))
        t3 = time.perf_counter()
        timings["detect"] = (t1 - t0) * 1000
        timings["preprocess"] = (t2 - t1) * 1000
        timings["classify"] = (t3 - t2) * 1000
        return finite

    def _count_non_finite(self, count: int) -> None:
        if not self.non_finite:
            log.warning("the model gave NaN or infinite probabilities for a face; such faces give no decision")
        self.non_finite += count
