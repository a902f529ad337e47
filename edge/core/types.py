"""Neutral result types that cross module boundaries.

No camera request, interpreter or pygame surface ever leaves the module that made it: stages
talk in these dataclasses only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

State = Literal["face", "unsure", "no_face", "camera_lost", "starting"]


@dataclass(frozen=True)
class Frame:
    """One camera frame.

    Attributes:
        gray: ``(H, W)`` uint8 grey image, the only thing the pipeline needs.
        index: Frame number from the source, counting from 0.
        timestamp: Capture time in seconds (monotonic clock of the source).
        preview: Optional ``(h, w, 3)`` RGB image for an on-screen preview; never stored.
        still: A photo to be decided on its own (an image folder), not a moment of a video.
    """

    gray: np.ndarray
    index: int
    timestamp: float
    preview: np.ndarray | None = None
    still: bool = False


@dataclass(frozen=True)
class FaceBox:
    """A detected face in frame pixels.

    Attributes:
        keypoints: Landmarks ``(x, y)`` in frame pixels when the detector gives them (BlazeFace:
            eyes, nose, mouth, ears in ``edge.faces.blazeface.KEYPOINTS`` order); ``None``
            otherwise (Haar).
    """

    x: int
    y: int
    w: int
    h: int
    score: float = 1.0
    keypoints: tuple[tuple[float, float], ...] | None = None

    @property
    def area(self) -> int:
        """Box area in pixels."""
        return self.w * self.h

    def as_tuple(self) -> tuple[int, int, int, int]:
        """``(x, y, w, h)``."""
        return (self.x, self.y, self.w, self.h)

    @property
    def eyes(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The two eye keypoints (image-left eye first), or ``None`` without keypoints."""
        if self.keypoints is None or len(self.keypoints) < 2:
            return None
        return (self.keypoints[0], self.keypoints[1])


@dataclass(frozen=True)
class FaceResult:
    """A face and the classifier's probabilities for it (label order of :mod:`edge.core.labels`)."""

    box: FaceBox
    scores: np.ndarray

    @property
    def top(self) -> int:
        """Index of the most likely class."""
        return int(np.argmax(self.scores))


@dataclass(frozen=True)
class Decision:
    """What the product shows after smoothing.

    Attributes:
        state: ``face`` (a confident emoji), ``unsure`` (a face, no clear expression),
            ``no_face`` (nobody there for a while), ``camera_lost`` or ``starting``.
        label: The emotion shown, or ``None`` when there is none to show.
        confidence: Averaged probability of the emoji shown, ``label`` (of the leader when
            unsure, 0 without a face): the number to show next to the emoji.
        scores: Averaged probabilities in label order (zeros when there is no face).
    """

    state: State
    label: str | None
    confidence: float
    scores: np.ndarray

    @property
    def shown(self) -> str:
        """What the screen shows: the emotion in state ``face``, else the state."""
        return self.label if self.state == "face" and self.label else self.state


@dataclass(frozen=True)
class FrameReport:
    """Everything one pass of the loop produced before the sinks; sinks render or log it.

    Attributes:
        frame: The frame (a blank one while the camera is lost).
        faces: Faces found, largest first, with their probabilities.
        decision: What the decision layer decided.
        latency_ms: Milliseconds per stage that ran (``capture``, ``detect``, ``preprocess``,
            ``classify``, ``smooth``); the sinks' own time is measured by the loop afterwards.
        primary: Index into ``faces`` of the face that drives the decision, ``None`` when it
            is not in this frame.
        camera_fault: While the camera is lost, why: a key of ``edge.sources.base.CAMERA_FAULTS``
            (``no_device``, ``unplugged``, ``stalled``...); ``None`` otherwise.
        face_ids: Which person each face is (a track id, unique within a run), in ``faces`` order.
        person: Track id of the face that drives the decision, also while it is out of sight.
    """

    frame: Frame
    faces: tuple[FaceResult, ...] | list[FaceResult]
    decision: Decision
    latency_ms: Mapping[str, float] = field(default_factory=dict)
    primary: int | None = None
    camera_fault: str | None = None
    face_ids: tuple[int, ...] = ()
    person: int | None = None


@dataclass(frozen=True)
class RunInfo:
    """What a run is made of, given to every sink when it opens (status texts, telemetry, overlay).

    Attributes:
        source: The source's description, e.g. ``"picamera2 (lores 320x240 Y plane)"``.
        detector: The face detector's name.
        model: The expression model's file name.
        delegate: Where the model runs (``cpu`` or ``edgetpu``).
    """

    source: str = ""
    detector: str = ""
    model: str = ""
    delegate: str = ""

    @property
    def model_on(self) -> str:
        """``"emotion_int8.tflite (cpu)"``: the model and where it runs."""
        return f"{self.model} ({self.delegate})" if self.delegate else self.model

    def describe(self) -> str:
        """One line for logs and ``systemctl status``: source, detector, model and delegate."""
        return f"{self.source} | {self.detector} | {self.model} on {self.delegate}"
