"""The live loop: source -> faces -> classifier -> smoother -> sinks.

One pass per frame, newest frame first (sources drop stale frames), every stage timed. The
loop never branches on hardware: headless is a different list of sinks.

Watchdog meaning: the loop pings systemd after a pass that made progress, that is a frame was
processed, or a camera fault was handled and shown. A source whose ``read`` hangs stops the
pings, and systemd restarts the service.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge.core.labels import NUM_CLASSES
from edge.core.preprocess import face_to_model_pixels
from edge.core.smoothing import DecisionSmoother
from edge.core.types import Decision, FaceBox, FaceResult, Frame, FrameReport
from edge.faces.base import FaceDetector
from edge.sinks import Sink
from edge.sources.base import CameraLostError, Source

log = logging.getLogger(__name__)


class Classifier(Protocol):
    """What the loop needs from :class:`edge.inference.classifier.ExpressionClassifier`."""

    def classify(self, pixels: np.ndarray) -> np.ndarray:
        """Probabilities for one face's 48x48 uint8 pixels."""
        ...


class Notifier(Protocol):
    """What the loop needs from :class:`edge.notify.SystemdNotifier`."""

    def ready(self) -> object: ...
    def status(self, text: str) -> object: ...
    def watchdog(self) -> object: ...
    def stopping(self) -> object: ...
    def notify(self, *assignments: str) -> object: ...


class _NullNotifier:
    def ready(self) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def watchdog(self) -> None:
        pass

    def stopping(self) -> None:
        pass

    def notify(self, *assignments: str) -> bool:
        return False


@dataclass
class RunStats:
    """What a run did."""

    frames: int = 0
    seconds: float = 0.0
    first_decision_s: float | None = None
    camera_faults: int = 0
    reason: str = ""
    stage_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Processed frames per second."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class Analyzer:
    """Faces and their expression probabilities for one frame.

    Args:
        detector: Face detector.
        classifier: Expression classifier.
        max_faces: Classify at most this many faces (largest first).
        detect_every: Run the detector on every N-th frame and reuse its boxes in between
            (a face moves little in 1/15 s at camera rate; the crop margin absorbs it). A frame
            where the last detection found nobody is always detected again.
    """

    def __init__(
        self, detector: FaceDetector, classifier: Classifier, max_faces: int = 5, detect_every: int = 1
    ) -> None:
        self.detector = detector
        self.classifier = classifier
        self.max_faces = max_faces
        self.detect_every = max(1, detect_every)
        self._boxes: list[FaceBox] = []
        self._since_detect = 0

    def _detect(self, gray: np.ndarray) -> list[FaceBox]:
        self._since_detect += 1
        if self._boxes and self._since_detect < self.detect_every:
            return self._boxes
        self._since_detect = 0
        self._boxes = self.detector.detect(gray)[: self.max_faces]
        return self._boxes

    def analyze(self, frame: Frame, timings: dict[str, float]) -> list[FaceResult]:
        """Detect and classify up to ``max_faces`` faces, largest first; adds stage times (ms)."""
        t0 = time.perf_counter()
        boxes = self._detect(frame.gray)
        t1 = time.perf_counter()
        crops = [face_to_model_pixels(frame.gray, box.as_tuple()) for box in boxes]
        t2 = time.perf_counter()
        results = [FaceResult(box, self.classifier.classify(crop)) for box, crop in zip(boxes, crops, strict=True)]
        t3 = time.perf_counter()
        timings["detect"] = (t1 - t0) * 1000
        timings["preprocess"] = (t2 - t1) * 1000
        timings["classify"] = (t3 - t2) * 1000
        return results


class Pipeline:
    """Runs the loop until the source ends, a limit is reached, or :meth:`stop` is called.

    Args:
        source: Opened by :meth:`run`.
        analyzer: Faces and probabilities.
        smoother: Turns probabilities into decisions.
        sinks: Display, log, telemetry; opened by :meth:`run`.
        notifier: systemd notifications (a no-op by default).
        describe: Short text for status lines (source, delegate).
        clock: Monotonic clock.
    """

    def __init__(
        self,
        source: Source,
        analyzer: Analyzer,
        smoother: DecisionSmoother,
        sinks: Sequence[Sink],
        notifier: Notifier | None = None,
        describe: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.analyzer = analyzer
        self.smoother = smoother
        self.sinks = list(sinks)
        self.notifier: Notifier = notifier or _NullNotifier()
        self.describe = describe
        self.clock = clock
        self._stop = threading.Event()
        self._stop_reason = ""
        self._last_frame: Frame | None = None
        self._recent: deque[float] = deque(maxlen=60)
        self._last_status = -1e9

    def stop(self, reason: str = "stopped") -> None:
        """Ask the loop to end after the current pass (safe from signal handlers and threads)."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def step(self) -> FrameReport | None:
        """One pass of the loop; ``None`` when the source has ended."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        try:
            frame = self.source.read()
        except CameraLostError as exc:
            return self._camera_lost(exc)
        if frame is None:
            return None
        timings["capture"] = (time.perf_counter() - t0) * 1000
        self._last_frame = frame
        faces = self.analyzer.analyze(frame, timings)
        t1 = time.perf_counter()
        # Frame time, not wall time: a recorded video smooths the same however fast it is read.
        decision = self.smoother.update(faces[0].scores if faces else None, frame.timestamp)
        timings["smooth"] = (time.perf_counter() - t1) * 1000
        report = FrameReport(frame, faces, decision, timings, 0 if faces else None)
        self._emit(report)
        return report

    def _camera_lost(self, exc: Exception) -> FrameReport:
        shape = self._last_frame.gray.shape if self._last_frame is not None else (240, 320)
        index = self._last_frame.index if self._last_frame is not None else 0
        frame = Frame(np.zeros(shape, np.uint8), index, self.clock())
        decision = Decision("camera_lost", None, 0.0, np.zeros(NUM_CLASSES, np.float32))
        report = FrameReport(frame, [], decision, {})
        self._emit(report)
        self._stop.wait(0.2)  # don't spin while the camera is away
        return report

    def _emit(self, report: FrameReport) -> None:
        t0 = time.perf_counter()
        for sink in self.sinks:
            sink.handle(report)
            if sink.poll_quit():
                self.stop("quit key")
        report.latency_ms["render"] = (time.perf_counter() - t0) * 1000

    def run(self, max_frames: int | None = None, duration: float | None = None) -> RunStats:
        """Open everything, loop, close everything (also on errors).

        Args:
            max_frames: Stop after this many passes.
            duration: Stop after this many seconds.

        Returns:
            Statistics of the run.
        """
        stats = RunStats()
        started = self.clock()
        opened: list[Sink] = []
        try:
            self.source.open()
            for sink in self.sinks:
                sink.open()
                opened.append(sink)
            self.notifier.ready()
            log.info("running: %s", self.describe)
            while not self._stop.is_set():
                if max_frames is not None and stats.frames >= max_frames:
                    self._stop_reason = "max frames reached"
                    break
                if duration is not None and self.clock() - started >= duration:
                    self._stop_reason = "duration reached"
                    break
                report = self.step()
                if report is None:
                    self._stop_reason = "end of source"
                    break
                self._account(report, stats, started)
        finally:
            for sink in reversed(opened):
                try:
                    sink.close()
                except Exception:
                    log.exception("closing %s failed", type(sink).__name__)
            self.source.close()
            stats.seconds = self.clock() - started
            stats.reason = self._stop_reason or "stopped"
        return stats

    def _account(self, report: FrameReport, stats: RunStats, started: float) -> None:
        now = self.clock()
        if report.decision.state == "camera_lost":
            stats.camera_faults += 1
        else:
            stats.frames += 1
            self._recent.append(now)
            for stage, ms in report.latency_ms.items():
                stats.stage_ms.setdefault(stage, []).append(ms)
            if stats.first_decision_s is None and report.decision.state in ("face", "unsure", "no_face"):
                stats.first_decision_s = now - started
        self.notifier.watchdog()
        if now - self._last_status >= 1.0:
            self._last_status = now
            self.notifier.status(self.status_line(report))

    def fps(self) -> float:
        """Frames per second over the last 60 processed frames."""
        if len(self._recent) < 2:
            return 0.0
        span = self._recent[-1] - self._recent[0]
        return (len(self._recent) - 1) / span if span > 0 else 0.0

    def status_line(self, report: FrameReport) -> str:
        """Text for ``systemctl status``: source, delegate, fps, state."""
        state = report.decision.state
        what = f"{state}: {report.decision.label}" if report.decision.label else state.replace("_", " ")
        return f"{self.describe} | {self.fps():.1f} fps | {what}"
