"""Reading a JSON-lines log back, and re-deciding it with other ``[smoothing]`` settings.

A log of ``emojify run`` recorded with ``[log] lines = "frames"`` holds, per frame, every face's
box and probabilities and what was shown; that is all the decision layer needs, so a recording
of a room can be re-decided with other settings without any video. The line format is
:mod:`edge.sinks.jsonlog`'s. Frame lines use these keys (the newer ones are optional, so older
logs still read):

``frame``          frame number from the source (always present).
``faces``          list of ``{"box": [x, y, w, h], "scores": {label: p}, ...}``.
``state``          ``face``, ``unsure``, ``no_face``, ``camera_lost``, ``starting``.
``decision``       the emoji's label, or ``null``.
``ts``             wall-clock time, ISO-8601.
``t``              (newer) frame time in seconds: media time for files, camera clock live.
``primary``        (newer) index into ``faces`` of the face that drove the decision, or ``null``.
``confidence``     (newer) averaged probability of the emoji shown (of the leader when unsure).
``still``          (newer) ``true`` when the frame is a photo decided on its own.
``faces[].id``     (newer) which person each face is (a track id, unique within a run).
``person``         (newer) the id of the face driving the decision, also while it is out of
                   sight; with the ids, the metrics then follow one person at a time.

Times: ``t`` when every frame line has it; otherwise ``frame / fps`` when a frame rate is
given; otherwise the wall clock ``ts`` (right for a live camera, wrong for a file read faster
than real time). A start line (one per run of the app, with its settings) or a frame number
that goes back starts a new run; runs are laid end to end with a :data:`RUN_GAP` second gap,
and the decision layer starts afresh at each.

Start lines are kept (:attr:`LogRead.starts`); change and summary lines are counted. Lines that
are not JSON, or JSON but not a line of the app's log, are counted and skipped (a torn last line
after a power cut, a line from another program).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from edge.core.decision import Decider, DecisionConfig
from edge.core.decision_metrics import FrameRecord
from edge.core.labels import LABELS
from edge.core.types import FaceBox, FaceResult

log = logging.getLogger(__name__)

#: Seconds between two runs of one log when they are laid end to end.
RUN_GAP = 10.0


@dataclass(frozen=True)
class LoggedFrame:
    """One frame line of a log.

    Attributes:
        t: Frame time in seconds (see the module docstring for where it comes from).
        frame: The source's frame number.
        faces: Every face with its box and per-frame probabilities.
        primary: Index into ``faces`` of the face that drove the decision (``None``: none).
        state: The logged decision state.
        label: The logged emoji (``None`` unless ``state`` is ``face``).
        confidence: The logged confidence of the decision, when the log has it.
        still: The frame is a photo decided on its own.
        new_run: The first frame of a run of the app (the decision layer starts afresh).
        ids: The logged person id of each face (empty when the log has none).
        person: The logged id of the face driving the decision.
    """

    t: float
    frame: int
    faces: tuple[FaceResult, ...]
    primary: int | None
    state: str
    label: str | None
    confidence: float | None = None
    still: bool = False
    new_run: bool = False
    ids: tuple[int, ...] = ()
    person: int | None = None

    def record(
        self,
        state: str | None = None,
        label: str | None = None,
        primary: int | None = None,
        ids: Sequence[int] = (),
        person: int | None = None,
    ) -> FrameRecord:
        """The frame as the metrics see it: what was shown, and the primary face's probabilities.

        Args:
            state: Overrides the logged state (a replayed decision).
            label: Overrides the logged label (with ``state``).
            primary: Overrides the logged primary face (with ``state``).
            ids: The person (track id) of each face, when known.
            person: The track id of the face driving the decision, when known; while that face
                is out of sight the record then has no probabilities (not another face's).

        The primary face is the largest (``faces[0]``) on frames without one, e.g. while a new
        face is being confirmed, so that a face's arrival is seen where the detector saw it.
        """
        if state is None:
            state, label, primary, ids, person = self.state, self.label, self.primary, self.ids, self.person
        if not self.faces or (primary is None and person is not None):
            return FrameRecord(self.t, state, label, None, None, person)
        index = primary if primary is not None else 0
        face = self.faces[index]
        face_id = ids[index] if index < len(ids) else None
        return FrameRecord(self.t, state, label, face.scores, face.box.as_tuple(), face_id)


@dataclass
class LogRead:
    """What :func:`read_lines` found.

    Attributes:
        frames: The frame lines, in order.
        skipped: Lines that are neither frame, start, change nor summary lines.
        summaries: Summary lines.
        changes: Change lines (a log of ``lines = "changes"`` holds these instead of frames).
        time_base: Where frame times came from: ``t``, ``frame/FPS`` or ``ts (wall clock)``.
        runs: Runs of the app in the log.
        starts: The start line of each run that has one, in order (its ``smoothing``, ``lines``,
            ``every``, ``source``...).
    """

    frames: list[LoggedFrame] = field(default_factory=list)
    skipped: int = 0
    summaries: int = 0
    changes: int = 0
    time_base: str = ""
    runs: int = 0
    starts: list[dict[str, Any]] = field(default_factory=list)


class _BadLine(ValueError):
    pass


def _faces(value: Any) -> tuple[FaceResult, ...]:
    if not isinstance(value, list):
        raise _BadLine("faces is not a list")
    faces = []
    for i, face in enumerate(value):
        scores = face.get("scores") if isinstance(face, dict) else None
        if not isinstance(scores, dict):
            raise _BadLine("a face without scores")
        try:
            probs = np.array([float(scores[label]) for label in LABELS], np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise _BadLine(f"bad scores: {exc}") from exc
        if not np.all(np.isfinite(probs)):
            raise _BadLine("scores that are not numbers")
        box = face.get("box")
        if isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) for v in box):
            x, y, w, h = (int(v) for v in box)
            face_box = FaceBox(x, y, w, h)
        else:  # no box: a distinct place per index keeps faces apart
            face_box = FaceBox(1000 * i, 0, 100, 100)
        faces.append(FaceResult(face_box, probs))
    return tuple(faces)


def _parse(line: str) -> tuple[str, dict[str, Any]]:
    """``(kind, fields)``: a frame line's fields, or a start, change or summary line as it is.

    Raises:
        _BadLine: Not a line of the app's log.
    """
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _BadLine("not JSON") from exc
    if not isinstance(obj, dict):
        raise _BadLine("not an object")
    kind = obj.get("type")
    if kind in ("summary", "start", "change"):
        return str(kind), obj
    if kind is not None:
        raise _BadLine(f"unknown line type {kind!r}")
    return "frame", _frame_fields(obj)


def _frame_fields(obj: dict[str, Any]) -> dict[str, Any]:
    frame = obj.get("frame")
    state = obj.get("state")
    if not isinstance(frame, int) or not isinstance(state, str):
        raise _BadLine("no frame number or state")
    faces = _faces(obj.get("faces", []))
    primary = obj.get("primary", 0 if faces else None)
    if primary is not None and not (isinstance(primary, int) and 0 <= primary < len(faces)):
        raise _BadLine("primary is not an index into faces")
    t = obj.get("t")
    ts = obj.get("ts")
    confidence = obj.get("confidence")
    raw_ids = [f.get("id") for f in obj.get("faces", [])]
    ids = tuple(raw_ids) if raw_ids and all(isinstance(i, int) for i in raw_ids) else ()
    person = obj.get("person")
    return {
        "ids": ids,
        "person": person if isinstance(person, int) else None,
        "frame": frame,
        "faces": faces,
        "primary": primary,
        "state": state,
        "label": obj.get("decision") if isinstance(obj.get("decision"), str) else None,
        "t": float(t) if isinstance(t, int | float) and math.isfinite(t) else None,
        "ts": _wall(ts),
        "confidence": float(confidence) if isinstance(confidence, int | float) else None,
        "still": obj.get("still") is True,
    }


def _wall(ts: Any) -> float | None:
    if not isinstance(ts, str):
        return None
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


def _classify(lines: Iterable[str], result: LogRead) -> list[dict[str, Any]]:
    """The frame lines' fields (each with ``start``: a start line came before it); counts the rest."""
    parsed: list[dict[str, Any]] = []
    started = False
    for line in lines:
        if not line.strip():
            continue
        try:
            kind, fields_ = _parse(line)
        except _BadLine:
            result.skipped += 1
            continue
        if kind == "frame":
            parsed.append(fields_ | {"start": started})
            started = False
        elif kind == "start":
            result.starts.append(fields_)
            started = True
        elif kind == "change":
            result.changes += 1
        else:
            result.summaries += 1
    return parsed


def read_lines(lines: Iterable[str], fps: float | None = None) -> LogRead:
    """Parse log lines (see the module docstring).

    Args:
        lines: The lines of one or more logs, oldest first.
        fps: Frame rate for logs without ``t`` (``frame / fps``).

    Returns:
        The frame lines in order, and what else there was.

    Raises:
        ValueError: Frame lines without any time to go by.
    """
    result = LogRead()
    parsed = _classify(lines, result)
    if not parsed:
        return result
    if all(p["t"] is not None for p in parsed):
        result.time_base, key = "t", "t"
    elif fps:
        result.time_base, key = f"frame/{fps:g}", ""
    elif all(p["ts"] is not None for p in parsed):
        result.time_base, key = "ts (wall clock)", "ts"
    else:
        raise ValueError("the log has neither t nor ts on every frame line: give its frame rate (--fps)")
    offset = 0.0
    last_frame: int | None = None
    last_t = -math.inf
    for p in parsed:
        raw = p[key] if key else p["frame"] / float(fps or 1)
        new_run = last_frame is None or p["start"] or p["frame"] < last_frame
        if new_run and last_frame is not None:
            offset = last_t + RUN_GAP - raw
        if new_run:
            result.runs += 1
        t = raw + offset
        last_frame, last_t = p["frame"], t
        result.frames.append(
            LoggedFrame(
                t,
                p["frame"],
                p["faces"],
                p["primary"],
                p["state"],
                p["label"],
                p["confidence"],
                p["still"],
                new_run,
                p["ids"],
                p["person"],
            )
        )
    return result


def read_log(paths: Path | Sequence[Path], fps: float | None = None) -> LogRead:
    """Read one log, or several (rotated files, oldest first), with :func:`read_lines`."""
    paths = [paths] if isinstance(paths, Path) else list(paths)

    def lines() -> Iterable[str]:
        for path in paths:
            with open(path, encoding="utf-8", errors="replace") as handle:
                yield from handle

    result = read_lines(lines(), fps)
    if result.skipped:
        log.warning(
            "%s: skipped %d lines that are not lines of the app's log", ", ".join(map(str, paths)), result.skipped
        )
    return result


def logged_records(frames: Sequence[LoggedFrame]) -> list[FrameRecord]:
    """What the log says was shown, frame by frame."""
    return [f.record() for f in frames]


def replay(
    frames: Sequence[LoggedFrame], config: DecisionConfig | Sequence[DecisionConfig] | None = None
) -> list[FrameRecord]:
    """Decide the logged frames again with ``config`` (the logged decisions are ignored).

    As the app does: each run starts with a new decision layer; ``camera_lost`` frames stay as
    they were, and the decision layer starts a new scene after them.

    Args:
        frames: The frame lines of a log (:func:`read_lines`).
        config: The settings; a sequence gives each run its own (the last one serves the rest).
    """
    configs = list(config) if isinstance(config, Sequence) else [config or DecisionConfig()]
    decider = Decider(configs[0])
    out: list[FrameRecord] = []
    fresh = False
    runs = 0
    for f in frames:
        if f.new_run:
            decider = Decider(configs[min(runs, len(configs) - 1)])
            runs += 1
        if f.state == "camera_lost":
            out.append(FrameRecord(f.t, "camera_lost", None, None))
            fresh = True
            continue
        if fresh:
            decider.reset()
            fresh = False
        decision = decider.still(f.faces, f.t) if f.still else decider.update(f.faces, f.t)
        out.append(f.record(decision.state, decision.label, decider.primary, decider.track_ids, decider.person))
    return out


def by_run(frames: Sequence[LoggedFrame], records: Sequence[FrameRecord]) -> list[list[FrameRecord]]:
    """Split ``records`` (one per frame, as from :func:`replay`) into the log's runs of the app."""
    runs: list[list[FrameRecord]] = []
    for frame, record in zip(frames, records, strict=True):
        if frame.new_run or not runs:
            runs.append([])
        runs[-1].append(record)
    return runs
