"""Camera faults: broken frames, a hung driver, the cause on every camera_lost report, auto under systemd."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edge.core.decision import Decider
from edge.core.errors import SourceError
from edge.core.types import Frame
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import Pipeline
from edge.sources import auto, opencv_source
from edge.sources.auto import AutoCamera, AutoChoice
from edge.sources.base import CAMERA_FAULTS, CameraLostError
from edge.sources.opencv_source import OpenCVCameraSource
from edge.sources.reconnect import ReconnectingSource
from tests.fakes import ConstClassifier, FakeCapture, FixedDetector, ListSink


class OddCapture(FakeCapture):
    """Says ok, then hands over ``image`` instead of a picture after ``good_frames`` frames."""

    def __init__(self, image: object, good_frames: int = 3) -> None:
        super().__init__(good_frames=None)
        self.image, self.good = image, good_frames

    def read(self):
        if self.n >= self.good:
            time.sleep(self.period)
            return True, self.image
        return super().read()


class Recorder:
    """A notifier that records watchdog pings and status lines."""

    def __init__(self) -> None:
        self.pings: list[float] = []
        self.statuses: list[str] = []

    def ready(self) -> None: ...
    def stopping(self) -> None: ...
    def notify(self, *lines: str) -> bool:
        return True

    def watchdog(self) -> None:
        self.pings.append(time.monotonic())

    def status(self, text: str) -> None:
        self.statuses.append(text)


def pipeline(source, sinks, notifier=None, **kwargs) -> Pipeline:
    return Pipeline(source, Analyzer(FixedDetector(), ConstClassifier()), Decider(), sinks, notifier, **kwargs)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((0, 0, 3), np.uint8),
        np.random.default_rng(0).random((6, 8, 3)),
        np.zeros((6, 8, 2), np.uint8),
        None,
        "x",
    ],
    ids=["empty", "float64", "two_channels", "none", "not_an_array"],
)
def test_capture_returning_ok_with_a_broken_image_is_camera_lost_and_reconnects(image):
    captures: list[OddCapture] = []

    def factory(device):
        captures.append(OddCapture(image))
        return captures[-1]

    camera = OpenCVCameraSource(0, stall_timeout=0.3, capture_factory=factory)
    source = ReconnectingSource(camera, initial_backoff=0.01, max_backoff=0.02)
    sink = ListSink()
    stats = pipeline(source, [sink]).run(max_frames=8)  # no cv2.error, no ValueError: a state
    lost = [r for r in sink.reports if r.decision.state == "camera_lost"]
    assert lost and stats.frames == 8
    expected = "unplugged" if image is None else "bad_frames"  # None: the read failed (ok is False)
    assert lost[0].camera_fault in (expected, "bad_frames")
    assert len(captures) >= 2  # reopened
    source.close()


class HungCapture(FakeCapture):
    """A driver that hangs in read() after ``good_frames`` frames until ``release`` is set."""

    def __init__(self, unblock: threading.Event) -> None:
        super().__init__(good_frames=None)
        self.unblock = unblock

    def read(self):
        if self.n >= 3:
            self.unblock.wait()
            return False, None
        return super().read()


def grabber_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("grab-") and t.is_alive()]


def test_hung_driver_leaks_at_most_one_grabber_thread_and_reports_stalled():
    release = threading.Event()
    opens = []

    def factory(device):
        opens.append(time.monotonic())
        return HungCapture(release)

    before = len(grabber_threads())
    camera = OpenCVCameraSource("/dev/video-hung", stall_timeout=0.1, capture_factory=factory)
    source = ReconnectingSource(camera, initial_backoff=0.02, max_backoff=0.05)
    source.open()
    faults, most = [], 0
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                source.read()
            except CameraLostError as exc:
                faults.append((exc.fault, exc.stalled_for))
            most = max(most, len(grabber_threads()) - before)
        assert most == 1, f"{most} grabber threads at once"
        assert len(opens) == 1  # no new capture while the old read is stuck
        assert {fault for fault, _ in faults} == {"stalled"}
        assert faults[-1][1] > 2.0  # how long it has been stuck keeps growing
    finally:
        release.set()
    deadline = time.monotonic() + 3.0
    frame = None
    while frame is None and time.monotonic() < deadline:
        with contextlib.suppress(CameraLostError):
            frame = source.read()
    assert frame is not None and len(opens) == 2  # the driver returned: reopened once, frames again
    source.close()
    assert len(grabber_threads()) == before


class StalledSource:
    """A live source whose driver is stuck: every read says stalled, for longer each time."""

    name, live = "stalled", True

    def __init__(self, fault: str = "stalled") -> None:
        self.fault = fault
        self.started = time.monotonic()

    def open(self) -> None: ...
    def close(self) -> None: ...

    def read(self) -> Frame:
        time.sleep(0.01)
        raise CameraLostError("stuck", fault=self.fault, stalled_for=time.monotonic() - self.started)


@pytest.mark.parametrize("fault", ["stalled", "no_device"])
def test_loop_stops_pinging_the_watchdog_only_while_the_driver_is_hung_beyond_the_limit(fault, caplog):
    notifier = Recorder()
    source = StalledSource(fault)
    started = time.monotonic()
    pipeline(source, [ListSink()], notifier, hung_limit=0.3).run(duration=1.2)
    # a camera-lost pass reads, then waits 0.2 s, then pings: the last ping of a driver stuck for
    # less than 0.3 s comes before 0.3 + 0.2 s (plus scheduling slack)
    late = [t for t in notifier.pings if t - started > 0.75]
    if fault == "stalled":
        assert notifier.pings and not late  # pinged at first, then silent so systemd restarts us
        assert "no more watchdog pings" in caplog.text
    else:
        assert late  # a camera that is simply not there keeps the service up, retrying
    assert all(CAMERA_FAULTS[fault] in s for s in notifier.statuses)


class RefusingCamera:
    name, live = "refusing", True

    def __init__(self, fault: str) -> None:
        self.fault = fault

    def open(self) -> None:
        raise SourceError("cannot open /dev/video0", fault=self.fault)

    def read(self) -> Frame:
        raise AssertionError("never opened")

    def close(self) -> None: ...


@pytest.mark.parametrize("fault", ["permission", "no_device", "not_installed"])
def test_camera_lost_reports_carry_the_cause(fault):
    sink = ListSink()
    source = ReconnectingSource(RefusingCamera(fault), initial_backoff=0.01, max_backoff=0.02, wait_at_start=True)
    pipeline(source, [sink]).run(duration=0.3)
    assert sink.reports and {r.camera_fault for r in sink.reports} == {fault}
    assert all(r.decision.state == "camera_lost" for r in sink.reports)


def test_opencv_open_failure_names_permission_or_no_device(tmp_path, monkeypatch):
    def closed(device):
        return FakeCapture(opened=False)

    with pytest.raises(SourceError) as missing:
        OpenCVCameraSource(str(tmp_path / "video9"), capture_factory=closed).open()
    assert missing.value.fault == "no_device"
    node = tmp_path / "video8"
    node.write_bytes(b"")
    monkeypatch.setattr(opencv_source.os, "access", lambda path, mode: False)
    with pytest.raises(SourceError) as denied:
        OpenCVCameraSource(str(node), capture_factory=closed).open()
    assert denied.value.fault == "permission"


class FoundLater:
    name, live = "found", True

    def __init__(self) -> None:
        self.n = 0

    def open(self) -> None: ...
    def close(self) -> None: ...

    def read(self) -> Frame:
        self.n += 1
        return Frame(np.full((120, 160), 128, np.uint8), self.n, time.monotonic())


def test_auto_under_systemd_never_falls_back_to_the_demo(monkeypatch):
    plugged = {"in": False}

    def choice(**_kwargs) -> AutoChoice:
        if plugged["in"]:
            return AutoChoice("/dev/video0")
        return AutoChoice("demo", [("picamera2", "picamera2 is not installed"), ("V4L2 camera", "no camera")])

    monkeypatch.setattr(auto, "describe_auto_choice", choice)
    built = []
    camera = AutoCamera(lambda spec: built.append(spec) or FoundLater(), choice())
    source = ReconnectingSource(camera, initial_backoff=0.01, max_backoff=0.02, wait_at_start=True)
    sink = ListSink()
    pipe = pipeline(source, [sink])
    pipe.open()
    pipe.loop(duration=0.3)
    assert sink.reports and all(r.decision.state == "camera_lost" for r in sink.reports)
    assert {r.camera_fault for r in sink.reports} == {"no_device"} and not built
    plugged["in"] = True  # someone plugs a camera in: picked up without a restart
    pipe.resume()
    pipe.loop(max_frames=3)
    pipe.close()
    assert built == ["/dev/video0"] and sink.reports[-1].decision.state != "camera_lost"


def test_auto_under_systemd_in_a_real_run_shows_camera_lost_not_the_demo(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "INVOCATION_ID": "0123456789abcdef"}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET"):
        env.pop(name, None)
    if any(Path("/dev").glob("video*")):
        pytest.skip("this machine has a V4L2 device: auto would find it")
    result = subprocess.run(
        [sys.executable, "-m", "edge", "run", "--source", "auto", "--display", "none", "--duration", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "demo" not in result.stderr.split("running:")[-1].splitlines()[0]
    assert "no camera found" in result.stderr and "camera-fault passes" in result.stderr
    assert '"state":"camera_lost"' in result.stdout and '"state":"face"' not in result.stdout
    assert '"camera_fault":"no_device"' in result.stdout
