"""``emojify capture``: a guided session that stores a person's face crops for personalisation.

This is the only code in the project that writes face images. A session asks for consent
first, then for each emotion shows the target emoji ("make this face"), counts down and takes
``per_emotion`` crops at intervals while suggesting small pose changes. Each crop goes through
the live app's path exactly: the configured face detector on the grey frame, the largest face,
:func:`edge.core.preprocess.face_to_model_pixels`. Crops are written as 48x48 grey PNGs to::

    <state>/dataset/<person>/<emotion>/<timestamp>-<n>.png

the layout :mod:`edge.data.datasets` reads, and stay there until ``emojify capture --delete``.

The screen is behind the :class:`CaptureUI` protocol: :class:`ConsoleCaptureUI` (stdout/stdin)
here and :class:`edge.personalize.capture_ui.KioskCaptureUI` (pygame) for the kiosk.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from edge.core.errors import ConfigError, EmojifyError
from edge.core.labels import EMOJI, LABELS, label_for_name
from edge.core.types import FaceBox, Frame
from edge.faces.base import FaceDetector
from edge.faces.crop import largest_face_crop
from edge.personalize.store import CaptureStore, check_person
from edge.sources.base import CameraLostError

log = logging.getLogger(__name__)

DEFAULT_PERSON = "me"
DEFAULT_PER_EMOTION = 20
DEFAULT_INTERVAL = 0.5
DEFAULT_COUNTDOWN = 3

CONSENT_TEXT = (
    "Teach it your face.\n"
    "This kiosk will take photos of your face while you make each expression, to adapt the "
    "expression model to you.\n"
    "Photos of your face are stored on this device only until you delete them "
    "('emojify capture --delete'). They are never uploaded.\n"
    "A red REC sign shows whenever photos are being taken."
)

#: Pose suggestions cycled through while recording, so the crops are not all the same.
POSE_HINTS: tuple[str, ...] = (
    "look straight at the camera",
    "turn your head a little to the left",
    "turn your head a little to the right",
    "tilt your head a little",
    "chin up a little",
    "chin down a little",
    "lean a little closer",
    "lean back a little",
)

#: What the screen asks for each emotion.
PROMPTS: dict[str, str] = {
    "angry": "Look angry",
    "disgust": "Look disgusted",
    "fear": "Look scared",
    "happy": "Smile!",
    "sad": "Look sad",
    "surprise": "Look surprised",
    "neutral": "Relax: a neutral face",
}


class CaptureCancelled(EmojifyError):
    """The person declined consent or stopped the session."""


def parse_emotions(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Emotions to capture from ``"happy,sad"`` (aliases accepted); ``None`` means all, in label order.

    Raises:
        ConfigError: An unknown emotion.
    """
    if text is None:
        return LABELS
    parts = text.split(",") if isinstance(text, str) else list(text)
    chosen: list[str] = []
    for part in parts:
        if not part.strip():
            continue
        label = label_for_name(part)
        if label is None:
            raise ConfigError(f"unknown emotion {part.strip()!r}; choose from {', '.join(LABELS)}")
        if label not in chosen:
            chosen.append(label)
    if not chosen:
        raise ConfigError(f"no emotions given; choose from {', '.join(LABELS)}")
    return tuple(chosen)


@dataclass(frozen=True)
class CaptureSettings:
    """What a session captures.

    Attributes:
        person: Folder name for this person's captures.
        per_emotion: Crops per emotion.
        interval: Seconds (of frame time) between two crops of the same emotion.
        emotions: Emotions to capture, in order.
        countdown: Seconds counted down before each emotion is recorded.
        max_wait: Seconds of frames without getting the next crop (no face) before an emotion is skipped.
    """

    person: str = DEFAULT_PERSON
    per_emotion: int = DEFAULT_PER_EMOTION
    interval: float = DEFAULT_INTERVAL
    emotions: tuple[str, ...] = LABELS
    countdown: int = DEFAULT_COUNTDOWN
    max_wait: float = 20.0

    def __post_init__(self) -> None:
        check_person(self.person)
        if not 1 <= self.per_emotion <= 1000:
            raise ConfigError(f"--per-emotion {self.per_emotion} must be 1-1000")
        if not 0.0 <= self.interval <= 60.0:
            raise ConfigError(f"--interval {self.interval} must be 0-60 seconds")
        if self.countdown < 0 or self.max_wait <= 0:
            raise ConfigError("countdown must be >= 0 and max_wait > 0")
        parse_emotions(self.emotions)


class CaptureUI(Protocol):
    """What a capture session shows; every method also lets the person cancel."""

    def open(self) -> None:
        """Acquire the screen. Raise :class:`edge.core.errors.EmojifyError` with a fix when impossible."""
        ...

    def ask_consent(self, text: str) -> bool:
        """Show the consent text and wait; True when the person agrees, False when not."""
        ...

    def show_target(self, emotion: str, step: int, steps: int, seconds_left: int) -> None:
        """Show the emoji to imitate and the countdown (``seconds_left`` 0: recording starts)."""
        ...

    def show_recording(
        self, emotion: str, taken: int, wanted: int, hint: str, frame: Frame | None, box: FaceBox | None
    ) -> None:
        """Show that photos are being taken (recording indicator), the progress and a pose hint."""
        ...

    def show_message(self, text: str) -> None:
        """Show a short status message (skipped emotion, end of session)."""
        ...

    def cancelled(self) -> bool:
        """True once the person asked to stop (Esc/q, window closed, Ctrl-C)."""
        ...

    def close(self) -> None:
        """Release the screen; safe to call twice."""
        ...


class ConsoleCaptureUI:
    """The headless session: prompts on stdout, answers on stdin.

    Args:
        assume_yes: Consent was given on the command line (``--yes``): do not ask.
        out: Where prompts go (standard output).
        inp: Where answers come from (standard input).
    """

    def __init__(self, assume_yes: bool = False, out: TextIO | None = None, inp: TextIO | None = None) -> None:
        self._yes = assume_yes
        self._out = out or sys.stdout
        self._in = inp or sys.stdin
        self._last: tuple[str, int] | None = None

    def _say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def open(self) -> None:
        """Nothing to acquire."""

    def ask_consent(self, text: str) -> bool:
        """Print the text; accept with ``--yes`` or a typed ``y``/``yes``."""
        self._say(text)
        if self._yes:
            self._say("Consent given with --yes.")
            return True
        self._out.write("Do you agree? Type yes to start: ")
        self._out.flush()
        answer = self._in.readline()
        return answer.strip().lower() in ("y", "yes")

    def show_target(self, emotion: str, step: int, steps: int, seconds_left: int) -> None:
        """Print the emotion once, then the countdown numbers."""
        if self._last != (emotion, step):
            self._last = (emotion, step)
            self._say(f"[{step}/{steps}] {EMOJI[emotion]}  {PROMPTS[emotion]} (make this face)")
        self._say(f"  {seconds_left}…" if seconds_left > 0 else "  ● REC  recording…")

    def show_recording(
        self, emotion: str, taken: int, wanted: int, hint: str, frame: Frame | None, box: FaceBox | None
    ) -> None:
        """Print a line for every crop taken."""
        if frame is not None and taken > 0 and box is not None and self._last != (emotion, -taken):
            self._last = (emotion, -taken)
            self._say(f"  ● REC  {emotion} {taken}/{wanted}  (next: {hint})")

    def show_message(self, text: str) -> None:
        """Print the message."""
        self._say(text)

    def cancelled(self) -> bool:
        """The console stops with Ctrl-C only."""
        return False

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class CaptureResult:
    """What a session stored.

    Attributes:
        saved: Files written, per emotion.
        skipped: Emotions given up on (no face for too long).
        cancelled: The person stopped the session.
        ended: The source ran out of frames.
    """

    saved: dict[str, list[Path]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    cancelled: bool = False
    ended: bool = False

    @property
    def total(self) -> int:
        """Number of images written."""
        return sum(len(files) for files in self.saved.values())


def run_capture(
    source: object,
    detector: FaceDetector,
    ui: CaptureUI,
    store: CaptureStore,
    settings: CaptureSettings,
    *,
    now: Callable[[], datetime] = datetime.now,
    sleep: Callable[[float], None] = time.sleep,
) -> CaptureResult:
    """Run a guided capture session.

    Args:
        source: An opened :class:`edge.sources.Source`.
        detector: A :class:`edge.faces.FaceDetector` (the app's detector).
        ui: Where the session is shown.
        store: Where crops are written.
        settings: What to capture.
        now: Wall clock for the file names (injectable for tests).
        sleep: Sleep for the countdown (injectable for tests).

    Returns:
        What was stored.

    Raises:
        CaptureCancelled: The person did not give consent (nothing is stored).
    """
    if not ui.ask_consent(CONSENT_TEXT):
        raise CaptureCancelled("no consent given: nothing was captured")
    stamp = now().strftime("%Y%m%d-%H%M%S")
    result = CaptureResult()
    steps = len(settings.emotions)
    for step, emotion in enumerate(settings.emotions, 1):
        for left in range(settings.countdown, 0, -1):
            ui.show_target(emotion, step, steps, left)
            for _ in range(10):
                if ui.cancelled():
                    result.cancelled = True
                    return result
                sleep(0.1)
        ui.show_target(emotion, step, steps, 0)
        files = _record(source, detector, ui, store, settings, emotion, stamp, result)
        result.saved[emotion] = files
        if result.cancelled or result.ended:
            break
    summary = f"Saved {result.total} photos of {settings.person} in {store.person_dir(settings.person)}."
    if result.skipped:
        summary += f" Skipped (no face): {', '.join(result.skipped)}."
    ui.show_message(summary)
    log.info("capture: %s", summary)
    return result


def _record(
    source: object,
    detector: FaceDetector,
    ui: CaptureUI,
    store: CaptureStore,
    settings: CaptureSettings,
    emotion: str,
    stamp: str,
    result: CaptureResult,
) -> list[Path]:
    files: list[Path] = []
    last_shot: float | None = None
    last_progress: float | None = None
    hint = POSE_HINTS[0]
    ui.show_recording(emotion, 0, settings.per_emotion, hint, None, None)
    while len(files) < settings.per_emotion:
        if ui.cancelled():
            result.cancelled = True
            break
        try:
            frame: Frame | None = source.read()  # type: ignore[attr-defined]
        except CameraLostError as exc:
            raise EmojifyError(
                f"the camera stopped during capture ({exc}); {len(files)} {emotion} photo(s) were kept, "
                "check the camera and run emojify capture again"
            ) from None
        if frame is None:
            result.ended = True
            log.warning("capture: the source ended after %d of %d %s photos", len(files), settings.per_emotion, emotion)
            break
        ts = float(frame.timestamp)
        if last_progress is None:
            last_progress = ts
        found = largest_face_crop(detector, frame.gray)
        box = found[0] if found else None
        if found is not None and (last_shot is None or ts - last_shot >= settings.interval):
            files.append(store.save(settings.person, emotion, found[1], stamp, len(files)))
            last_shot = last_progress = ts
            hint = POSE_HINTS[len(files) % len(POSE_HINTS)]
        elif ts - last_progress > settings.max_wait:
            result.skipped.append(emotion)
            ui.show_message(f"No face seen for {settings.max_wait:.0f} s: skipping {emotion}.")
            break
        ui.show_recording(emotion, len(files), settings.per_emotion, hint, frame, box)
    return files
