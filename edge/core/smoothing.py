"""Turning per-frame probabilities into a calm, honest decision.

Two mechanisms, both in pure code with an injected clock:

* an exponential moving average of the probabilities with time constant ``time_constant``
  seconds (frame-rate independent);
* hysteresis: a new emoji replaces the shown one only after it has led the average for
  ``switch_after`` seconds.

Explicit states: ``face`` (an emoji), ``unsure`` (the leader's averaged probability is under
``unsure_threshold``), ``no_face`` (no face for ``no_face_after`` seconds; a shorter gap keeps
the last decision, so one missed detection does not blank the screen).
"""

from __future__ import annotations

import math
from typing import Annotated

import msgspec
import numpy as np

from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.types import Decision

Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=30.0)]


class SmoothingConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Smoothing parameters (the ``[smoothing]`` config section; the ranges are the file's)."""

    time_constant: Seconds = 0.4
    switch_after: Seconds = 0.6
    unsure_threshold: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.40
    no_face_after: Annotated[float, msgspec.Meta(ge=0.0, le=3600.0)] = 1.5


class DecisionSmoother:
    """Stateful smoother; call :meth:`update` once per processed frame."""

    def __init__(self, config: SmoothingConfig | None = None) -> None:
        self.config = config or SmoothingConfig()
        self._avg: np.ndarray | None = None
        self._last_time: float | None = None
        self._last_face: float | None = None
        self._shown: int | None = None
        self._candidate: int | None = None
        self._candidate_since = 0.0
        self._decision = Decision("starting", None, 0.0, np.zeros(NUM_CLASSES, np.float32))

    @property
    def decision(self) -> Decision:
        """The latest decision."""
        return self._decision

    def update(self, scores: np.ndarray | None, now: float) -> Decision:
        """Feed one frame's probabilities for the primary face, or ``None`` for no face.

        Args:
            scores: ``(7,)`` probabilities in label order, or ``None`` when no face was found.
            now: Current time in seconds (monotonic).

        Returns:
            The decision to show for this frame.
        """
        cfg = self.config
        if scores is None:
            if self._last_face is None or now - self._last_face >= cfg.no_face_after:
                self._avg = None
                self._shown = self._candidate = None
                self._decision = Decision("no_face", None, 0.0, np.zeros(NUM_CLASSES, np.float32))
            self._last_time = now
            return self._decision

        scores = np.asarray(scores, dtype=np.float32)
        if self._avg is None or self._last_time is None:
            self._avg = scores.copy()
        else:
            dt = max(now - self._last_time, 0.0)
            alpha = 1.0 - math.exp(-dt / cfg.time_constant) if cfg.time_constant > 0 else 1.0
            self._avg = self._avg + np.float32(alpha) * (scores - self._avg)
        self._last_time = now
        self._last_face = now

        leader = int(np.argmax(self._avg))
        confidence = float(self._avg[leader])
        if leader != self._candidate:
            self._candidate = leader
            self._candidate_since = now
        if self._shown is None or (leader != self._shown and now - self._candidate_since >= cfg.switch_after):
            if self._shown is None and now - self._candidate_since < min(cfg.switch_after, cfg.time_constant):
                pass  # a brand-new face: let the average settle for a moment first
            else:
                self._shown = leader
        if confidence < cfg.unsure_threshold or self._shown is None:
            self._decision = Decision("unsure", None, confidence, self._avg.copy())
        else:
            self._decision = Decision("face", LABELS[self._shown], float(self._avg[self._shown]), self._avg.copy())
        return self._decision
