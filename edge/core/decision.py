"""What the screen shows: per-frame probabilities in, one calm and honest decision out.

Pure code. Each call gets the frame's time in seconds (media time for a file, the camera clock
live, never the wall clock), so a recording replays to the same decisions at any speed.

**Two averages per face.** Every face is followed from frame to frame
(:mod:`edge.core.face_tracks`) and keeps, over its own frames:

* the *average*: an exponential moving average of the classifier's probabilities with time
  constant ``time_constant`` seconds (frame-rate independent). It picks the leader, is reported
  as :attr:`Decision.scores`, and the emoji's value in it is :attr:`Decision.confidence`;
* the *support*: the plain mean of the probabilities over the last ``support_window`` seconds,
  the same "what a careful viewer would say" that :mod:`edge.core.decision_metrics` scores with.

A face's time only runs while it is seen (a gap counts as at most :data:`MAX_STEP` seconds), so
the first frame after an occlusion cannot replace either average. The *primary* face (the
largest, kept with hysteresis, see :mod:`edge.core.face_tracks`) drives the screen; its averages
are already warm when it takes over. When it takes over from a primary face still in view
(someone came closer), its lead times start afresh: that person's emoji earns its dwell
(rule 3) while they are the one on screen.

A label *leads clearly* when its average is ahead of the runner-up by at least ``lead_margin``.
Its *lead time* grows while it leads clearly, shrinks at the same rate while another label
does, and pauses while none does; it is capped at ``switch_after``. A label *qualifies* when it
leads clearly, its average is at least ``unsure_threshold`` and its support at least
``support_floor``.

**Rules** (each is a property test on random score streams in ``tests/core/test_decision.py``):

1. *Support.* An emoji is never shown while its support is under ``support_floor``. When the
   support falls under, the emoji gives way in that same frame: to the qualifying leader if that
   has its full lead time, else to "not sure". This rule beats every hold time below.
2. *Entry.* Only a qualifying label is ever newly shown.
3. *Dwell.* A qualifying label replaces the shown emoji, or "not sure", once its lead time has
   reached ``switch_after``. A one-frame blip costs one frame of lead time and a dip to "not
   sure" (no clear leader) costs nothing, so neither restarts the count. Promise: a label the
   model names steadily, clearing the margin, ``unsure_threshold`` and ``support_floor`` by
   ``d``, is on screen within ``max(time_constant * ln(2 / d), support_window) +
   max(face_after, switch_after) + min_hold`` plus two frames, and stays.
4. *Minimum stretch.* Whatever is shown (an emoji, "not sure", the idle screen) stays at least
   ``min_hold`` seconds, except when rule 1 ends an emoji early. That takes an emoji whose
   support falls from where it entered to the floor within ``min_hold``: a label the model
   named for only about that long, the flicker the dwell of rule 3 exists to filter.
5. *New face.* A face seen over ``face_after`` seconds ends the idle screen (once that has been
   up for ``min_hold``): straight to its emoji when that qualifies, else "not sure". A confident
   face is on screen within ``face_after`` plus one frame.
6. *No face.* While the primary face is out of sight nothing changes (a missed detection never
   blanks the screen), for up to ``no_face_after`` seconds; then the idle screen, and the faces
   are forgotten. If another face is in view, it takes over after ``min_hold`` seconds instead.
7. *Stills.* :meth:`Decider.still` decides one photo on its own, as the settled result of
   showing it for a long time: its largest face's label if that qualifies, else "not sure".
   :meth:`Decider.reset` starts a new scene (a new file, the camera back after a fault).

**Defaults** (:class:`DecisionConfig`) were chosen by replaying the app's logs of camera-like
clips (``scripts/make_live_clips.py``, ``scripts/tune_decision.py``): ``switch_after`` must be
short enough that a clear new leader has its lead time before the old emoji's support runs
out (about 0.35 s after a clean change), else every change detours through "not sure";
``support_floor`` and ``support_window`` are the levels at which the metrics call an emoji
wrong; ``min_hold`` is the shortest stretch a viewer can read.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Annotated

import msgspec
import numpy as np

from edge.core.face_tracks import FaceTracker
from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.types import Decision, FaceBox, FaceResult, State

#: Longest time step one frame may contribute to an average or a lead time (seconds).
MAX_STEP = 0.25
#: Tolerance for comparing accumulated times with their limits.
EPS = 1e-9
#: The box given to scores passed without one (:meth:`Decider.update_scores`).
WHOLE_FRAME = FaceBox(0, 0, 100, 100)


Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=10.0)]
Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class DecisionConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The ``[smoothing]`` config section: every time in seconds, every level a probability.

    Attributes:
        time_constant: Time constant of each face's moving average of probabilities.
        switch_after: Lead time a label needs before it replaces what is shown.
        unsure_threshold: Average a clear leader needs before it is shown; with nothing that
            reaches it the screen says "not sure".
        support_floor: A shown emoji whose support (mean over ``support_window``) falls under
            this gives way at once; a label under it is never shown.
        support_window: Seconds of a face's frames its support is the mean of.
        lead_margin: How far a label must be ahead of the runner-up to lead clearly.
        min_hold: Shortest time anything stays on screen (except rule 1 of the module).
        face_after: A face must be seen this long before it ends the idle screen.
        no_face_after: Seconds without a face before the idle screen.
        switch_ratio: How many times wider than the primary face another face must be to take
            over (1.25: a face a quarter wider, about 1.5 times the area).

    Raises:
        ValueError: Two settings that contradict each other; the message starts with the key
            to change (the config loader turns it into ``file:line: [smoothing] key ...``).
    """

    time_constant: Seconds = 0.25
    switch_after: Seconds = 0.15
    unsure_threshold: Share = 0.4
    support_floor: Share = 0.25
    support_window: Seconds = 0.5
    lead_margin: Share = 0.05
    min_hold: Seconds = 0.5
    face_after: Seconds = 0.1
    no_face_after: Annotated[float, msgspec.Meta(ge=0.0, le=3600.0)] = 1.5
    switch_ratio: Annotated[float, msgspec.Meta(ge=1.0, le=10.0)] = 1.25

    def __post_init__(self) -> None:
        if self.support_floor > self.unsure_threshold:
            raise ValueError(
                f"support_floor ({self.support_floor}) must not exceed unsure_threshold ({self.unsure_threshold}): "
                "an emoji would have to leave as soon as it is shown"
            )
        if self.no_face_after < self.min_hold:
            raise ValueError(
                f"no_face_after ({self.no_face_after}) must be at least min_hold ({self.min_hold}): "
                "the idle screen would cut an emoji short"
            )


class _Evidence:
    """One face's average, support and per-label lead times, in the face's own time."""

    def __init__(self, scores: np.ndarray, now: float) -> None:
        self.avg = scores.astype(np.float64)
        self.support = self.avg.copy()
        self.lead = np.zeros(NUM_CLASSES, np.float64)
        self.seen = now  # frame time of the last observation
        self.clock = 0.0  # the face's own time: frame intervals, each capped at MAX_STEP
        self.window: deque[tuple[float, np.ndarray]] = deque([(0.0, self.avg.copy())])
        self.total = self.avg.copy()  # sum of the window's probabilities

    def observe(self, scores: np.ndarray, now: float, cfg: DecisionConfig) -> None:
        dt = min(max(now - self.seen, 0.0), MAX_STEP)
        self.seen = max(now, self.seen)
        self.clock += dt
        alpha = 1.0 - math.exp(-dt / cfg.time_constant) if cfg.time_constant > 0 else 1.0
        self.avg += alpha * (scores - self.avg)
        self.window.append((self.clock, scores))
        self.total += scores
        while self.window[0][0] <= self.clock - cfg.support_window + EPS and len(self.window) > 1:
            self.total -= self.window.popleft()[1]
        self.support = self.total / len(self.window)
        leader = clear_leader(self.avg, cfg.lead_margin)
        if leader is not None and dt > 0:
            gained = self.lead[leader] + dt
            self.lead = np.maximum(self.lead - dt, 0.0)
            self.lead[leader] = min(gained, cfg.switch_after)


def clear_leader(avg: np.ndarray, margin: float) -> int | None:
    """Index of the label ahead of every other by at least ``margin``, or ``None``."""
    top = int(np.argmax(avg))
    best = avg[top]
    runner_up = max(v for i, v in enumerate(avg.tolist()) if i != top)
    return top if best - runner_up >= margin - EPS else None


class Decider:
    """The decision layer; call :meth:`update` once per processed frame.

    Args:
        config: The ``[smoothing]`` settings.
    """

    def __init__(self, config: DecisionConfig | None = None) -> None:
        self.config = config or DecisionConfig()
        cfg = self.config
        self._tracker = FaceTracker(cfg.face_after, cfg.no_face_after, cfg.switch_ratio, cfg.min_hold)
        self._evidence: dict[int, _Evidence] = {}
        self._shown: str = "starting"  # a label, or a state other than "face"
        self._since = -math.inf
        self._avg = np.zeros(NUM_CLASSES, np.float64)
        self._support = self._avg
        self._primary: int | None = None
        self._ids: list[int] = []
        self._person: int | None = None
        self._decision = _blank("starting")

    @property
    def decision(self) -> Decision:
        """The latest decision."""
        return self._decision

    @property
    def primary(self) -> int | None:
        """Index, in the faces of the latest frame, of the face driving the decision (``None``: none in view)."""
        return self._primary

    @property
    def support(self) -> np.ndarray:
        """The primary face's support (mean over ``support_window``), zeros when there is none."""
        return self._support.astype(np.float32)

    @property
    def person(self) -> int | None:
        """Track id of the face driving the decision, also while it is out of sight (``None``: nobody)."""
        return self._person

    @property
    def track_ids(self) -> list[int]:
        """Which person each face of the latest frame is (ids are never reused within a scene)."""
        return list(self._ids)

    @property
    def shown_since(self) -> float:
        """Time at which what is shown now first appeared."""
        return self._since

    def reset(self) -> None:
        """Forget every face and what was shown: the next frame starts a new scene."""
        self._tracker.reset()
        self._evidence.clear()
        self._shown = "starting"
        self._since = -math.inf
        self._avg = np.zeros(NUM_CLASSES, np.float64)
        self._support = self._avg
        self._primary = None
        self._ids = []
        self._person = None
        self._decision = _blank("starting")

    def update_scores(self, scores: np.ndarray | None, now: float) -> Decision:
        """:meth:`update` for a single face given by its probabilities only (``None``: no face)."""
        faces = [] if scores is None else [FaceResult(WHOLE_FRAME, np.asarray(scores, np.float32))]
        return self.update(faces, now)

    def update(self, faces: Sequence[FaceResult], now: float) -> Decision:
        """Feed one frame.

        Args:
            faces: Every face found in the frame, each with its ``(7,)`` probabilities.
            now: Frame time in seconds (non-decreasing).

        Returns:
            What to show for this frame.
        """
        ids = self._tracker.update([f.box for f in faces], now)
        self._ids = ids
        for face, track_id in zip(faces, ids, strict=True):
            scores = np.asarray(face.scores, np.float64)
            evidence = self._evidence.get(track_id)
            if evidence is None:
                self._evidence[track_id] = _Evidence(scores, now)
            else:
                evidence.observe(scores, now, self.config)
        for track_id in set(self._evidence) - set(self._tracker.tracks):
            del self._evidence[track_id]
        primary = self._tracker.primary
        if primary is not None and self._person not in (None, primary.id) and self._person in ids:
            # Someone came closer than the person on screen: their emoji earns its dwell afresh.
            self._evidence[primary.id].lead[:] = 0.0
        self._person = primary.id if primary is not None else None
        self._primary = ids.index(primary.id) if primary is not None and primary.id in ids else None
        if primary is None:
            # Nobody confirmed. While the first face of a run is being confirmed, keep "starting".
            target = "starting" if self._shown == "starting" and self._tracker.tracks else "no_face"
            if target != self._shown and self._held(now):
                self._show(target, now)
        else:
            self._avg = self._evidence[primary.id].avg
            self._support = self._evidence[primary.id].support
            if self._primary is not None:  # rule 6: out of sight, nothing changes
                self._decide(self._evidence[primary.id], now)
        self._decision = self._make_decision()
        return self._decision

    def still(self, faces: Sequence[FaceResult], now: float) -> Decision:
        """Decide one photo on its own (rule 7): a new scene, settled at once.

        Args:
            faces: The faces found in the photo.
            now: Any time; only kept as the moment the result was shown.

        Returns:
            ``no_face``, ``unsure`` or ``face`` with the largest face's qualifying label. The
            faces' :attr:`track_ids` are their positions (each photo is a scene of its own).
        """
        self.reset()
        self._since = now
        self._ids = list(range(len(faces)))
        if not faces:
            self._primary = None
            self._shown = "no_face"
        else:
            self._primary = max(range(len(faces)), key=lambda i: faces[i].box.area)
            self._avg = np.asarray(faces[self._primary].scores, np.float64)
            self._support = self._avg
            leader = self._qualifying(self._avg, self._avg)
            self._shown = LABELS[leader] if leader is not None else "unsure"
        self._person = self._primary
        self._decision = self._make_decision()
        return self._decision

    # -- the rules -------------------------------------------------------------------------

    def _qualifying(self, avg: np.ndarray, support: np.ndarray) -> int | None:
        cfg = self.config
        leader = clear_leader(avg, cfg.lead_margin)
        if leader is None or avg[leader] < cfg.unsure_threshold - EPS or support[leader] < cfg.support_floor - EPS:
            return None
        return leader

    def _held(self, now: float) -> bool:
        """Rule 4: what is shown has been up for ``min_hold`` (``starting`` is never held)."""
        return self._shown == "starting" or now - self._since >= self.config.min_hold - EPS

    def _show(self, shown: str, now: float) -> None:
        self._shown = shown
        self._since = now

    def _decide(self, evidence: _Evidence, now: float) -> None:
        cfg = self.config
        leader = self._qualifying(evidence.avg, evidence.support)
        candidate = LABELS[leader] if leader is not None else None
        shown = self._shown
        if shown in ("starting", "no_face"):
            if self._held(now):  # rule 5
                self._show(candidate or "unsure", now)
            return
        proven = leader is not None and candidate != shown and evidence.lead[leader] >= cfg.switch_after - EPS
        if shown in LABELS and evidence.support[LABELS.index(shown)] < cfg.support_floor - EPS:
            self._show(candidate if proven and candidate else "unsure", now)  # rule 1
        elif proven and candidate and self._held(now):  # rules 3 and 4
            self._show(candidate, now)

    def _make_decision(self) -> Decision:
        shown = self._shown
        scores = self._avg.astype(np.float32)
        if shown in LABELS:
            return Decision("face", shown, float(self._avg[LABELS.index(shown)]), scores)
        if shown == "unsure":
            return Decision("unsure", None, float(self._avg.max()), scores)
        return _blank("no_face" if shown == "no_face" else "starting")


def _blank(state: State) -> Decision:
    return Decision(state, None, 0.0, np.zeros(NUM_CLASSES, np.float32))
