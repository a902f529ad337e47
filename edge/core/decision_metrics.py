"""How good a run of decisions looked, from per-frame records alone (a log, a replay, a test).

What is *shown* on a frame is its emoji when the state is ``face``, else the state itself
(``unsure``, ``no_face``, ``camera_lost``, ``starting``). The *trailing mean* of a frame is the
plain mean of the primary face's per-frame probabilities over the frames with a face in the
last :data:`WINDOW` seconds (``t - WINDOW < t' <= t``); it is what a careful viewer of the same
frames would call the expression. Frames without a trailing mean are left out of ``agree``,
``wrong_low`` and ``react_s``.

Metrics (all in :class:`LiveMetrics`):

``agree``
    Share of ``face`` frames whose emoji is the trailing mean's argmax.
``wrong_low``
    Share of ``face`` frames whose emoji has a trailing mean under :data:`LOW`.
``unsure_share``
    ``unsure`` frames / frames whose state is ``face`` or ``unsure``.
``changes_per_min``
    Changes of what is shown per minute of log (the change out of ``starting`` is not counted).
``short``
    Stretches of one shown thing lasting under :data:`SHORT` seconds (the last stretch, cut by
    the end of the log, and ``starting`` are not counted). A stretch lasts from its first frame to
    the first frame of the next one.
``react_s``
    Median delay from a change of the trailing mean's leader (between two frames that both have
    a trailing mean) that then holds at least :data:`HOLD` seconds, to the first frame showing the
    new leader (0 when it already was shown). A change never shown while it holds is a miss:
    counted in ``react_missed``, not in the median.
``new_face_s``
    (Extra.) Median delay from a confident face's arrival to its first emoji. An arrival is a
    face after at least :data:`HOLD` seconds without one (or the first face of the log); it is
    confident when the mean of its first :data:`CONFIDENT_WINDOW` seconds of probabilities has a
    top class of at least :data:`CONFIDENT`. ``new_face_max_s`` is the slowest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from edge.core.labels import LABELS, NUM_CLASSES

#: Trailing window of the reference mean (seconds).
WINDOW = 0.5
#: A shown emoji whose trailing mean is under this is "wrong".
LOW = 0.25
#: Stretches shorter than this (seconds) are too short to read.
SHORT = 0.5
#: How long (seconds) a leader change must hold to be a reaction test; also the gap before an arrival.
HOLD = 1.0
#: A new face is confident when its first ``CONFIDENT_WINDOW`` seconds average at least this on one class.
CONFIDENT = 0.7
CONFIDENT_WINDOW = 0.3
#: Tolerance for comparing frame times.
EPS = 1e-6


@dataclass(frozen=True)
class FrameRecord:
    """One processed frame, as a log or a replay gives it.

    Attributes:
        t: Frame time in seconds (media time, or the camera clock).
        state: Decision state (``face``, ``unsure``, ``no_face``, ``camera_lost``, ``starting``).
        label: The emoji's label when ``state`` is ``face``.
        scores: The primary face's per-frame probabilities (label order), ``None`` without a face.
        box: The primary face's box ``(x, y, w, h)``, when known (to match it with a ground truth).
        face_id: Which person the primary face is, when known (a track id): the trailing mean
            then follows that person only, so a change of primary face does not mix two people.
    """

    t: float
    state: str
    label: str | None
    scores: np.ndarray | None
    box: tuple[int, int, int, int] | None = None
    face_id: int | None = None

    @property
    def shown(self) -> str:
        """What the screen shows: the label in state ``face``, else the state."""
        return self.label if self.state == "face" and self.label else self.state


@dataclass(frozen=True)
class LiveMetrics:
    """The numbers of the module docstring (``nan`` where a metric has nothing to count)."""

    frames: int
    seconds: float
    agree: float
    wrong_low: float
    unsure_share: float
    changes_per_min: float
    short: int
    react_s: float
    react_events: int
    react_missed: int
    new_face_s: float
    new_face_max_s: float
    new_faces: int

    def as_dict(self) -> dict[str, float | int]:
        """The metrics as a plain dict (for JSON)."""
        return asdict(self)


def trailing_means(records: Sequence[FrameRecord], window: float = WINDOW) -> list[np.ndarray | None]:
    """Each frame's trailing mean (see the module docstring); ``None`` where no frame in the window had a face.

    Where records carry a ``face_id``, a frame's mean is over the frames of the same person (for
    a frame without a face: of the last person seen).
    """
    means: list[np.ndarray | None] = []
    totals: dict[int | None, np.ndarray] = {}
    counts: dict[int | None, int] = {}
    start = 0
    last_id: int | None = None
    for rec in records:
        if rec.scores is not None:
            totals[rec.face_id] = totals.get(rec.face_id, np.zeros(NUM_CLASSES, np.float64)) + rec.scores
            counts[rec.face_id] = counts.get(rec.face_id, 0) + 1
            last_id = rec.face_id
        while records[start].t <= rec.t - window + EPS:
            old = records[start]
            if old.scores is not None:
                counts[old.face_id] -= 1
                if counts[old.face_id] == 0:  # drop the sum: no float drift across gaps
                    del counts[old.face_id], totals[old.face_id]
                else:
                    totals[old.face_id] = totals[old.face_id] - old.scores
            start += 1
        key = rec.face_id if rec.scores is not None else last_id
        means.append(totals[key] / counts[key] if counts.get(key) else None)
    return means


def stretches(records: Sequence[FrameRecord]) -> list[tuple[str, int, int]]:
    """Runs of one shown thing: ``(shown, first index, index after the last)``."""
    runs: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(records) + 1):
        if i == len(records) or records[i].shown != records[start].shown:
            runs.append((records[start].shown, start, i))
            start = i
    return runs


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan


def _duration(records: Sequence[FrameRecord]) -> float:
    """Seconds covered by the records: first to last frame plus one typical frame interval."""
    if not records:
        return 0.0
    times = np.array([r.t for r in records])
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    return float(times[-1] - times[0]) + step


def _reactions(records: Sequence[FrameRecord], means: list[np.ndarray | None]) -> tuple[list[float], int]:
    leaders = [int(np.argmax(m)) if m is not None else None for m in means]
    delays: list[float] = []
    missed = 0
    n = len(records)
    for i in range(1, n):
        new, old = leaders[i], leaders[i - 1]
        if new is None or old is None or new == old:
            continue
        end = i
        while end < n and leaders[end] == new:
            end += 1
        until = records[end].t if end < n else records[-1].t
        if until - records[i].t < HOLD - EPS:
            continue  # did not hold (or the log ended before it could)
        label = LABELS[new]
        seen = next((j for j in range(i, end) if records[j].shown == label), None)
        if seen is None:
            missed += 1
        else:
            delays.append(records[seen].t - records[i].t)
    return delays, missed


def _arrivals(records: Sequence[FrameRecord]) -> list[float]:
    delays: list[float] = []
    last_face = -math.inf
    n = len(records)
    for i, rec in enumerate(records):
        if rec.scores is None:
            continue
        arrival = rec.t - last_face >= HOLD - EPS
        last_face = rec.t
        if not arrival:
            continue
        first = []
        for later in records[i:]:
            if later.t >= rec.t + CONFIDENT_WINDOW - EPS:
                break
            if later.scores is not None:
                first.append(later.scores)
        if float(np.mean(first, axis=0).max()) < CONFIDENT:
            continue
        # The face's presence: until it has been gone for HOLD seconds.
        seen_at = rec.t
        for j in range(i, n):
            if records[j].scores is not None:
                seen_at = records[j].t
            elif records[j].t - seen_at >= HOLD - EPS:
                break
            if records[j].state == "face":
                delays.append(records[j].t - rec.t)
                break
    return delays


@dataclass
class _Counts:
    """The raw counts behind the metrics; counts of several runs add up."""

    frames: int = 0
    seconds: float = 0.0
    shown: int = 0
    agree: int = 0
    low: int = 0
    unsure: int = 0
    face_states: int = 0
    changes: int = 0
    short: int = 0
    delays: list[float] = field(default_factory=list)
    missed: int = 0
    arrivals: list[float] = field(default_factory=list)

    def add(self, other: _Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _count(records: Sequence[FrameRecord]) -> _Counts:
    means = trailing_means(records)
    shown = [
        (LABELS.index(r.label), mean)
        for r, mean in zip(records, means, strict=True)
        if r.state == "face" and r.label in LABELS and mean is not None
    ]
    states = [r.state for r in records]
    runs = stretches(records)
    delays, missed = _reactions(records, means)
    return _Counts(
        frames=len(records),
        seconds=_duration(records),
        shown=len(shown),
        agree=sum(int(np.argmax(mean)) == label for label, mean in shown),
        low=sum(float(mean[label]) < LOW for label, mean in shown),
        unsure=states.count("unsure"),
        face_states=states.count("unsure") + states.count("face"),
        changes=sum(1 for i in range(1, len(runs)) if runs[i - 1][0] != "starting"),  # runs differ by construction
        short=sum(1 for what, a, b in runs[:-1] if what != "starting" and records[b].t - records[a].t < SHORT - EPS),
        delays=delays,
        missed=missed,
        arrivals=_arrivals(records),
    )


def _finish(c: _Counts) -> LiveMetrics:
    return LiveMetrics(
        frames=c.frames,
        seconds=round(c.seconds, 3),
        agree=_ratio(c.agree, c.shown),
        wrong_low=_ratio(c.low, c.shown),
        unsure_share=_ratio(c.unsure, c.face_states),
        changes_per_min=c.changes / (c.seconds / 60.0) if c.seconds > 0 else math.nan,
        short=c.short,
        react_s=_median(c.delays),
        react_events=len(c.delays) + c.missed,
        react_missed=c.missed,
        new_face_s=_median(c.arrivals),
        new_face_max_s=max(c.arrivals) if c.arrivals else math.nan,
        new_faces=len(c.arrivals),
    )


def compute_metrics(records: Sequence[FrameRecord]) -> LiveMetrics:
    """All metrics of the module docstring for one run, in time order."""
    return _finish(_count(records))


def pooled_metrics(runs: Iterable[Sequence[FrameRecord]]) -> LiveMetrics:
    """The metrics of several runs (clips, or a log's runs between restarts) taken together.

    Shares and rates are over all the runs' frames and seconds; medians over all their events.
    """
    total = _Counts()
    for records in runs:
        if records:
            total.add(_count(records))
    return _finish(total)


#: Columns of :func:`format_table`: (heading, field, format).
COLUMNS = (
    ("agree", "agree", "{:.3f}"),
    ("wrong_low", "wrong_low", "{:.3f}"),
    ("unsure", "unsure_share", "{:.3f}"),
    ("chg/min", "changes_per_min", "{:.1f}"),
    ("short", "short", "{:d}"),
    ("react_s", "react_s", "{:.2f}"),
    ("missed", "react_missed", "{:d}"),
    ("new_face_s", "new_face_s", "{:.2f}"),
    ("frames", "frames", "{:d}"),
)


def format_table(rows: Sequence[tuple[str, LiveMetrics]]) -> str:
    """A fixed-width text table, one row per ``(name, metrics)``."""
    width = max([len(name) for name, _ in rows] + [4])
    lines = [f"{'run':<{width}}  " + "  ".join(f"{h:>10}" for h, _, _ in COLUMNS)]
    for name, m in rows:
        cells = []
        for _, key, fmt in COLUMNS:
            value = getattr(m, key)
            cells.append(f"{'-' if isinstance(value, float) and math.isnan(value) else fmt.format(value):>10}")
        lines.append(f"{name:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)
