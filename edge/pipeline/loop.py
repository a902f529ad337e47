"""The live loop: source -> faces -> classifier -> decision layer -> sinks.

One pass per frame, newest frame first (sources drop stale frames), every stage timed. The
loop never branches on hardware: headless is a different list of sinks. Harnesses (benchmark,
soak) watch the same loop through :class:`Observer` objects instead of running their own.
Everything the loop keeps about the run is bounded: it may run for months.

Watchdog meaning: the loop pings systemd after a pass that made progress, that is a frame was
processed, or a camera fault was handled and shown. A source whose ``read`` hangs stops the
pings, and systemd restarts the service. A camera that is away keeps the pings going (the screen
says why and it retries: a restart would not plug it in), with one exception: when its driver
has been stuck (``stalled``: no frame and the read does not return, or it cannot be reopened
because the old read never returned) for more than :data:`HUNG_RESTART_AFTER` seconds, the pings
stop, so systemd restarts the service (``WatchdogSec``) and with it the driver.

Time: the decision layer gets each frame's own time (media time for a video file, the camera's
monotonic clock live), so a file decides the same however fast it is read. A photo of an image
folder (``Frame.still``) is decided on its own; after a camera fault the decision layer starts a
new scene, so nobody's emoji outlives the outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.core.decision import Decider
from edge.core.labels import NUM_CLASSES
from edge.core.stats import RateMeter
from edge.core.types import Decision, Frame, FrameReport, RunInfo
from edge.pipeline.analyzer import Analyzer
from edge.sinks.base import Sink
from edge.sources.base import CAMERA_FAULTS, CameraLostError, Source

log = logging.getLogger(__name__)

#: Seconds a stuck camera driver is waited out before the loop stops pinging the watchdog.
HUNG_RESTART_AFTER = 60.0


def _among(part: object, parts: Collection[object]) -> bool:
    """Whether ``part`` is one of ``parts`` (by identity)."""
    return any(part is other for other in parts)


class Notifier(Protocol):
    """What the loop needs from :class:`edge.system.notify.SystemdNotifier`."""

    def ready(self) -> object: ...
    def status(self, text: str) -> object: ...
    def watchdog(self) -> object: ...
    def stopping(self) -> object: ...
    def notify(self, *assignments: str) -> object: ...


class NullNotifier:
    """No systemd: every notification is dropped."""

    def ready(self) -> None:
        """Nothing to tell."""

    def status(self, text: str) -> None:
        """Nothing to tell."""

    def watchdog(self) -> None:
        """Nothing to tell."""

    def stopping(self) -> None:
        """Nothing to tell."""

    def notify(self, *assignments: str) -> bool:
        """Nothing sent."""
        return False


class Observer(Protocol):
    """Watches every pass of :meth:`Pipeline.run` after the sinks (benchmark, soak)."""

    def observe(self, report: FrameReport, sinks_ms: float) -> None:
        """One pass: its report and the time the sinks took (milliseconds)."""
        ...


@dataclass
class RunStats:
    """What a run did (a fixed size, however long it ran)."""

    frames: int = 0
    seconds: float = 0.0
    camera_faults: int = 0
    reason: str = ""

    @property
    def fps(self) -> float:
        """Processed frames per second."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class Pipeline:
    """Runs the loop until the source ends, a limit is reached, or :meth:`stop` is called.

    Args:
        source: Opened by :meth:`run`.
        analyzer: Faces and probabilities.
        decider: Turns the faces' probabilities into what is shown.
        sinks: Display, log, telemetry; opened by :meth:`run` with :attr:`info`.
        notifier: systemd notifications (a no-op by default).
        info: What the run is made of (status lines, sinks).
        clock: Monotonic clock.
        observers: Harnesses that watch every pass (see :class:`Observer`).
        parts: The assembly's names for its parts (``source``, ``kiosk``, ``mqtt``...), so that a
            reload can hand the unchanged ones over to the next pipeline.
        hung_limit: Seconds of a stuck camera driver before the watchdog pings stop.
    """

    def __init__(
        self,
        source: Source,
        analyzer: Analyzer,
        decider: Decider,
        sinks: Sequence[Sink],
        notifier: Notifier | None = None,
        info: RunInfo | None = None,
        clock: Callable[[], float] = time.monotonic,
        observers: Sequence[Observer] = (),
        parts: Mapping[str, object] | None = None,
        hung_limit: float = HUNG_RESTART_AFTER,
    ) -> None:
        self.source = source
        self.analyzer = analyzer
        self.decider = decider
        self.sinks = list(sinks)
        self.notifier: Notifier = notifier or NullNotifier()
        self.info = info or RunInfo(source=source.name, detector=getattr(analyzer.detector, "name", ""))
        self.clock = clock
        self.observers = list(observers)
        self._stop = threading.Event()
        self._stop_reason = ""
        self._last_frame: Frame | None = None
        self._new_scene = False  # the camera was lost: start the decision layer afresh
        self._rate = RateMeter(60)
        self._open = False
        self.parts: dict[str, object] = dict(parts or {})
        self.hung_limit = hung_limit
        self._hung = False

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
        decider = self.decider
        if self._new_scene:
            decider.reset()
            self._new_scene = False
        decision = (decider.still if frame.still else decider.update)(faces, frame.timestamp)
        timings["smooth"] = (time.perf_counter() - t1) * 1000
        ids = tuple(decider.track_ids)
        report = FrameReport(
            frame, tuple(faces), decision, timings, decider.primary, face_ids=ids, person=decider.person
        )
        self._emit(report)
        return report

    def _camera_lost(self, exc: CameraLostError) -> FrameReport:
        shape = self._last_frame.gray.shape if self._last_frame is not None else (240, 320)
        index = self._last_frame.index if self._last_frame is not None else 0
        frame = Frame(np.zeros(shape, np.uint8), index, self.clock())
        decision = Decision("camera_lost", None, 0.0, np.zeros(NUM_CLASSES, np.float32))
        report = FrameReport(frame, (), decision, {}, camera_fault=exc.fault)
        self._new_scene = True
        hung = exc.fault == "stalled" and exc.stalled_for > self.hung_limit
        if hung and not self._hung:
            log.error(
                "the camera driver has been stuck for %.0f s; no more watchdog pings, so systemd restarts the service",
                exc.stalled_for,
            )
        self._hung = hung
        self._emit(report)
        self._stop.wait(0.2)  # don't spin while the camera is away
        return report

    def _emit(self, report: FrameReport) -> None:
        t0 = time.perf_counter()
        for sink in self.sinks:
            sink.handle(report)
            if sink.poll_quit():
                self.stop(getattr(sink, "quit_reason", "quit key"))
        sinks_ms = (time.perf_counter() - t0) * 1000
        for observer in self.observers:
            observer.observe(report, sinks_ms)

    def open(self, shared: Collection[object] = ()) -> None:
        """Open the source and the sinks, except the parts in ``shared`` (handed over already open).

        Raises:
            EmojifyError: A part cannot be opened; what this call opened is closed again first.
        """
        opened: list[object] = []
        try:
            if not _among(self.source, shared):
                self.source.open()
                opened.append(self.source)
            for sink in self.sinks:
                if not _among(sink, shared):
                    sink.open(self.info)
                    opened.append(sink)
        except BaseException:
            for part in reversed(opened):
                self._close_part(part)
            raise
        self._open = True

    def loop(self, max_frames: int | None = None, duration: float | None = None) -> RunStats:
        """Tell systemd it is ready and loop until :meth:`stop`, a limit or the end of the source.

        The pipeline stays open afterwards (:meth:`close` releases it; :meth:`resume` before looping again).

        Args:
            max_frames: Stop after this many passes.
            duration: Stop after this many seconds.
        """
        stats = RunStats()
        started = self.clock()
        self.notifier.ready()
        log.info("running: %s", self.info.describe())
        try:
            self._loop(stats, started, max_frames, duration)
        finally:
            stats.seconds = self.clock() - started
            stats.reason = self._stop_reason or "stopped"
        return stats

    def resume(self) -> None:
        """Forget an earlier :meth:`stop` (a reload that failed goes on with this pipeline)."""
        self._stop_reason = ""
        self._stop.clear()

    def close(self, keep: Collection[object] = ()) -> None:
        """Close the sinks (last first) and the source, except the parts in ``keep`` (handed over); never raises."""
        if not self._open:
            return
        self._open = False
        for sink in reversed(self.sinks):
            if not _among(sink, keep):
                self._close_part(sink)
        if not _among(self.source, keep):
            self._close_part(self.source)

    def close_parts(self, parts: Collection[object]) -> None:
        """Close some parts now (a reload replaces them); the rest stays open."""
        for part in parts:
            self._close_part(part)

    def reopen_parts(self, parts: Collection[object]) -> None:
        """Open parts closed by :meth:`close_parts` again (a reload that failed)."""
        for part in parts:
            if part is self.source:
                self.source.open()
            else:
                next(s for s in self.sinks if s is part).open(self.info)

    @staticmethod
    def _close_part(part: object) -> None:
        try:
            part.close()  # type: ignore[attr-defined]
        except Exception:
            log.exception("closing %s failed", type(part).__name__)

    def run(self, max_frames: int | None = None, duration: float | None = None) -> RunStats:
        """Open everything, loop, close everything (also on errors).

        Args:
            max_frames: Stop after this many passes.
            duration: Stop after this many seconds.

        Returns:
            Statistics of the run.
        """
        self.open()
        try:
            return self.loop(max_frames, duration)
        finally:
            self.close()

    def _loop(self, stats: RunStats, started: float, max_frames: int | None, duration: float | None) -> None:
        while not self._stop.is_set():
            if max_frames is not None and stats.frames >= max_frames:
                self._stop_reason = "max frames reached"
                return
            if duration is not None and self.clock() - started >= duration:
                self._stop_reason = "duration reached"
                return
            report = self.step()
            if report is None:
                self._stop_reason = "end of source"
                return
            self._account(report, stats)

    def _account(self, report: FrameReport, stats: RunStats) -> None:
        if report.decision.state == "camera_lost":
            stats.camera_faults += 1
        else:
            stats.frames += 1
            self._hung = False
            self._rate.tick(self.clock())
        if not self._hung:
            self.notifier.watchdog()
        self.notifier.status(self.status_line(report))  # the notifier sends at most one a second

    def fps(self) -> float:
        """Frames per second over the last 60 processed frames."""
        return self._rate.rate

    def status_line(self, report: FrameReport) -> str:
        """Text for ``systemctl status``: source, detector, model and delegate, fps, state."""
        state = report.decision.state
        what = f"{state}: {report.decision.label}" if report.decision.label else state.replace("_", " ")
        if report.camera_fault:
            what += f": {CAMERA_FAULTS.get(report.camera_fault, report.camera_fault)}"
        return f"{self.info.describe()} | {self.fps():.1f} fps | {what}"
