"""Faults on cue: camera lost and back, display lost, bad logs, Edge TPU lost, SIGHUP, sd_notify."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from edge.core.decision import Decider
from edge.core.errors import DisplayError, SourceError
from edge.core.image import to_gray
from edge.core.types import Frame
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import Pipeline
from edge.sinks.fallback import FallbackSink
from edge.sinks.jsonlog import JsonLogSink
from edge.sinks.line_writer import LineWriter
from edge.sources.base import CameraLostError
from edge.sources.reconnect import ReconnectingSource
from tests.conftest import start_headless_demo
from tests.fakes import ConstClassifier, FixedDetector, GoodSource, ListSink

ROOT = Path(__file__).resolve().parents[2]


class FlakyCamera:
    """A live source that fails after ``good`` frames, stays away for ``away`` opens, then works."""

    name = "flaky"
    live = True

    def __init__(self, good: int, away: int, missing_at_start: int = 0):
        self.good, self.away = good, away
        self.missing_at_start = missing_at_start
        self.index = 0
        self.opens = 0
        self.failed = False

    def open(self):
        self.opens += 1
        if self.missing_at_start > 0:
            self.missing_at_start -= 1
            raise SourceError("camera unplugged")
        if self.failed and self.away > 0:
            self.away -= 1
            raise SourceError("camera unplugged")

    def read(self):
        if not self.failed and self.index >= self.good:
            self.failed = True
            raise CameraLostError("read failed")
        self.index += 1
        return Frame(np.full((120, 160), 128, np.uint8), self.index, time.monotonic())

    def close(self):
        pass


def pipeline_with(source, sinks, notifier=None):
    return Pipeline(source, Analyzer(FixedDetector(), ConstClassifier()), Decider(), sinks, notifier)


def test_camera_lost_mid_run_is_a_state_and_recovers_without_restart():
    camera = FlakyCamera(good=5, away=2)
    sink = ListSink()
    source = ReconnectingSource(camera, initial_backoff=0.01, max_backoff=0.05)
    stats = pipeline_with(source, [sink]).run(max_frames=12)
    states = [r.decision.state for r in sink.reports]
    assert "camera_lost" in states
    first_lost = states.index("camera_lost")
    assert first_lost >= 5 and states[-1] != "camera_lost"  # back to faces afterwards
    assert stats.frames == 12 and stats.camera_faults >= 1 and source.outages == 1
    assert camera.opens >= 3  # reopened, not restarted


def test_camera_missing_at_start_keeps_the_kiosk_up_until_it_appears(caplog):
    camera = FlakyCamera(good=1000, away=0, missing_at_start=2)
    sink = ListSink()
    source = ReconnectingSource(camera, initial_backoff=0.01, max_backoff=0.02, wait_at_start=True)
    with caplog.at_level(logging.ERROR):
        pipeline_with(source, [sink]).run(max_frames=3)
    assert sink.reports[0].decision.state == "camera_lost"
    assert "camera unplugged" in caplog.text
    assert sink.reports[-1].decision.state != "camera_lost" and sink.reports[-1].faces  # frames flow again


def test_camera_missing_at_start_is_an_error_without_a_screen():
    source = ReconnectingSource(FlakyCamera(good=1, away=0, missing_at_start=1))
    with pytest.raises(SourceError, match="unplugged"):
        pipeline_with(source, [ListSink()]).run(max_frames=1)


class BrokenDisplay(ListSink):
    def __init__(self, fail_after: int):
        super().__init__()
        self.fail_after = fail_after

    def handle(self, report):
        if len(self.reports) >= self.fail_after:
            raise RuntimeError("kmsdrm: DRM master lost")
        super().handle(report)


def test_display_lost_mid_run_falls_back_to_json_lines_with_one_warning(caplog):
    fallback = ListSink()
    sink = FallbackSink(BrokenDisplay(fail_after=3), lambda: fallback, required=False)
    with caplog.at_level(logging.WARNING):
        stats = pipeline_with(GoodSource(), [sink]).run(max_frames=10)
    assert stats.frames == 10 and sink.failed
    assert len(fallback.reports) == 7
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_display_lost_when_a_kiosk_was_required_is_a_clear_error():
    sink = FallbackSink(BrokenDisplay(fail_after=0), ListSink, required=True)
    with pytest.raises(DisplayError, match="--display none"):
        pipeline_with(GoodSource(), [sink]).run(max_frames=3)


def test_log_directory_read_only_then_writable(tmp_path, caplog):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    folder = tmp_path / "logs"
    folder.mkdir()
    folder.chmod(0o500)
    clock = [0.0]
    writer = LineWriter(folder / "a.jsonl", retry_seconds=5, clock=lambda: clock[0])
    with caplog.at_level(logging.WARNING):
        assert not writer.write("{}")
        clock[0] = 6
        folder.chmod(0o700)
        assert writer.write('{"x":1}')
    assert (folder / "a.jsonl").read_text() == '{"x":1}\n'


def test_unwritable_log_location_then_fixed_resumes(tmp_path, caplog):
    """Root-proof variant: the log's folder is a file (cannot be created) until someone fixes it."""
    blocker = tmp_path / "logs"
    blocker.write_text("not a folder")
    clock = [0.0]
    writer = LineWriter(blocker / "a.jsonl", retry_seconds=5, clock=lambda: clock[0])
    with caplog.at_level(logging.WARNING):
        assert not writer.write('{"lost":1}')
        clock[0] = 2
        assert not writer.write('{"lost":2}')  # not retried before retry_seconds
        blocker.unlink()
        clock[0] = 6
        assert writer.write('{"kept":1}')
    assert (blocker / "a.jsonl").read_text() == '{"kept":1}\n'
    assert writer.dropped == 2
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot write" in m for m in messages) == 1 and any("writable again" in m for m in messages)


def test_disk_full_keeps_running_and_warns_once(caplog):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    clock = [0.0]
    writer = LineWriter(Path("/dev/full"), retry_seconds=5, clock=lambda: clock[0])
    with caplog.at_level(logging.WARNING):
        results = [writer.write(f'{{"n":{i}}}') for i in range(5)]
        clock[0] = 10
        writer.write("{}")
    assert not any(results) and writer.dropped == 6
    assert len([r for r in caplog.records if "cannot write" in r.getMessage()]) == 1


def test_log_folder_deleted_mid_run_is_recreated(tmp_path):
    folder = tmp_path / "logs"
    writer = LineWriter(folder / "a.jsonl")
    assert writer.write("{}")
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    assert writer.write('{"after":1}')
    assert (folder / "a.jsonl").read_text() == '{"after":1}\n'


def test_rotation_never_splits_or_loses_a_line(tmp_path):
    path = tmp_path / "a.jsonl"
    writer = LineWriter(path, max_bytes=300, backups=50)
    lines = [json.dumps({"n": i, "pad": "x" * (i % 37)}) for i in range(200)]
    for line in lines:
        assert writer.write(line)
    writer.close()
    files = sorted(tmp_path.glob("a.jsonl*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    seen = []
    for file in files:
        assert file.stat().st_size <= 300
        for raw in file.read_text().splitlines():
            seen.append(json.loads(raw)["n"])  # every line is whole JSON
    assert seen == list(range(200))


def test_json_sink_lines_are_whole_json(tmp_path):
    path = tmp_path / "log.jsonl"
    sink = JsonLogSink(LineWriter(path, max_bytes=2000, backups=3), summary_interval=1e9)
    pipeline_with(GoodSource(), [sink]).run(max_frames=50)
    for file in tmp_path.iterdir():
        for line in file.read_text().splitlines():
            json.loads(line)


class FlakyTpuInterpreter:
    def __init__(self, real, fail_after):
        self.real, self.fail_after, self.calls = real, fail_after, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def invoke(self):
        self.calls += 1
        if self.calls > self.fail_after:
            raise RuntimeError("Edge TPU: USB transfer error")
        self.real.invoke()


def test_edge_tpu_lost_mid_run_continues_on_cpu(monkeypatch, tmp_path, model_path, caplog):
    import shutil

    from edge.inference import runtime
    from edge.inference.classifier import ExpressionClassifier

    cpu = tmp_path / "emotion_int8.tflite"
    shutil.copy(model_path, cpu)
    shutil.copy(model_path, tmp_path / "emotion_int8_edgetpu.tflite")
    real = runtime.get_runtime()

    class TpuRuntime:
        package, version = "fake", "0"

        def interpreter(self, **kwargs):
            tpu = kwargs.pop("experimental_delegates", None)
            interp = real.interpreter(**kwargs)
            return FlakyTpuInterpreter(interp, 2) if tpu else interp

        def load_delegate(self, library, options=None):
            return object()

    monkeypatch.setattr(runtime, "get_runtime", lambda: TpuRuntime())
    clf = ExpressionClassifier(cpu, delegate="auto")
    assert clf.info.delegate == "edgetpu"
    pixels = np.full((48, 48), 120, np.uint8)
    with caplog.at_level(logging.WARNING):
        results = [clf.classify(pixels) for _ in range(5)]
    assert clf.info.delegate == "cpu" and all(r.shape == (7,) for r in results)
    assert "continuing on the CPU" in caplog.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_]),
        shape=st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=90),
            st.tuples(st.integers(1, 60), st.integers(1, 60), st.sampled_from([1, 3, 4])),
        ),
    )
)
def test_frame_path_handles_odd_sizes_and_dtypes(image):
    """Any array a source could hand over goes through grey -> detector -> crop -> classify."""
    from edge.faces.registry import make_detector

    detector = _detector(make_detector)
    analyzer = Analyzer(detector, ConstClassifier())
    gray = to_gray(image)
    faces = analyzer.analyze(Frame(gray, 0, 0.0), {})
    assert all(f.scores.shape == (7,) for f in faces)


_cached = {}


def _detector(make):
    if "d" not in _cached:
        _cached["d"] = make("blazeface")
    return _cached["d"]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_dataset_loaders_on_random_bytes_only_raise_dataset_errors(tmp_path_factory, raw):
    from edge.data.datasets import DatasetError, load_arrays

    folder = tmp_path_factory.mktemp("ds")
    csv = folder / "x.csv"
    csv.write_bytes(b"emotion,pixels,Usage\n" + raw)
    gz = folder / "x.csv.gz"
    gz.write_bytes(raw)
    (folder / "imgs" / "happy").mkdir(parents=True)
    (folder / "imgs" / "happy" / "a.png").write_bytes(raw)
    for path in (csv, gz, folder / "imgs"):
        with contextlib.suppress(DatasetError):
            load_arrays(path)


def _notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(0.05)
    return sock, path


def _drain(sock, until):
    messages = []
    while time.monotonic() < until:
        with contextlib.suppress(TimeoutError):
            messages.append((time.monotonic(), sock.recv(4096).decode()))
    return messages


class StallingSource(GoodSource):
    """Delivers frames, then blocks in read() (a hung driver) until released."""

    def __init__(self, stall_after):
        super().__init__()
        self.stall_after = stall_after
        self.release = threading.Event()

    def read(self):
        if self.i == self.stall_after:
            self.release.wait(10)
        time.sleep(0.005)
        return super().read()


def test_sd_notify_ready_watchdog_only_while_frames_flow(tmp_path):
    from edge.system.notify import SystemdNotifier

    sock, path = _notify_socket(tmp_path)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}, status_interval=0.0)
    source = StallingSource(stall_after=40)
    pipeline = pipeline_with(source, [ListSink()], notifier)
    thread = threading.Thread(target=pipeline.run, kwargs={"max_frames": 80})
    thread.start()
    flowing = _drain(sock, time.monotonic() + 0.6)
    stalled = _drain(sock, time.monotonic() + 0.8)
    source.release.set()
    thread.join(5)
    after = _drain(sock, time.monotonic() + 0.3)
    texts = [m for _, m in flowing]
    assert texts[0].startswith("READY=1")
    assert any("WATCHDOG=1" in m for m in texts)
    assert any("STATUS=" in m and "fps" in m for m in texts + [m for _, m in stalled])
    # while the source is stuck the loop makes no progress, so systemd hears nothing
    assert not any("WATCHDOG=1" in m for _, m in stalled[1:])
    assert not thread.is_alive()
    assert all("STOPPING" not in m for _, m in after)  # the CLI sends STOPPING, see below


def test_cli_sends_stopping_on_sigterm_and_reloads_on_sighup(tmp_path):
    sock, path = _notify_socket(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(
        '[camera]\nsource = "demo"\n[display]\nmode = "none"\n[model]\ndelegate = "cpu"\n[log]\nevery = 1000\n'
    )
    env = {**os.environ, "NOTIFY_SOCKET": path, "HOME": str(tmp_path)}
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge", "run", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        start = _drain(sock, time.monotonic() + 4.0)
        assert any(m.startswith("READY=1") for _, m in start)
        config.write_text(config.read_text() + "[faces]\nmin_size = 'x'\n")  # a broken edit
        proc.send_signal(signal.SIGHUP)
        reload_msgs = _drain(sock, time.monotonic() + 2.5)
        assert any("RELOADING=1" in m for _, m in reload_msgs)
        assert any(m.startswith("READY=1") for _, m in reload_msgs)  # running again on the old config
        assert proc.poll() is None
        # a valid file whose model cannot load: refused at build time, the old pipeline comes back
        config.write_text(
            config.read_text()
            .replace("[faces]\nmin_size = 'x'\n", "")
            .replace('delegate = "cpu"', 'delegate = "cpu"\npath = "missing.tflite"')
        )
        proc.send_signal(signal.SIGHUP)
        second = _drain(sock, time.monotonic() + 2.5)
        assert any(m.startswith("READY=1") for _, m in second) and proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        end = _drain(sock, time.monotonic() + 0.3)
        assert any("STOPPING=1" in m for _, m in end)
        err = proc.stderr.read()
        assert "configuration not reloaded" in err and "min_size" in err and "Traceback" not in err
        assert "cannot start" in err and "missing.tflite" in err
        assert proc.returncode == 0
    finally:
        proc.kill()


def test_no_network_listener_by_default(tmp_path):
    proc = start_headless_demo(tmp_path, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None and proc.stdout.readline()
        inodes = set()
        for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        listening = set()
        for table in ("tcp", "tcp6", "udp", "udp6"):
            lines = Path(f"/proc/{proc.pid}/net/{table}").read_text().splitlines()[1:]
            for line in lines:
                fields = line.split()
                if fields[9] in inodes and (fields[3] == "0A" or table.startswith("udp")):
                    listening.add((table, fields[1]))
        assert listening == set()
    finally:
        proc.terminate()
        proc.wait(5)


def test_detect_every_reuses_boxes_and_redetects_when_nobody_was_found():
    calls = []

    class CountingDetector(FixedDetector):
        def detect(self, gray):
            calls.append(1)
            return super().detect(gray)

    analyzer = Analyzer(CountingDetector(), ConstClassifier(), detect_every=3)
    face = Frame(np.full((120, 160), 128, np.uint8), 0, 0.0)
    empty = Frame(np.zeros((120, 160), np.uint8), 0, 0.0)
    for _ in range(6):
        assert len(analyzer.analyze(face, {})) == 1
    assert len(calls) == 2  # frames 0 and 3
    for _ in range(3):
        analyzer.analyze(empty, {})  # first one still reuses the box from frame 3... then nobody
    calls.clear()
    analyzer.analyze(empty, {})
    analyzer.analyze(empty, {})
    assert len(calls) == 2  # with no face found, every frame is searched


def test_every_still_is_searched_on_its_own():
    """A folder of photos with detect_every: no boxes, and no followed far faces, from the last photo."""
    from edge.faces.zoom import ZoomSearch

    calls = []
    forgotten = []

    class CountingDetector(FixedDetector):
        def detect(self, gray):
            calls.append(1)
            return super().detect(gray)

    class Following(ZoomSearch):
        def forget(self):
            forgotten.append(1)
            super().forget()

    analyzer = Analyzer(Following(CountingDetector()), ConstClassifier(), detect_every=3)
    photo = Frame(np.full((120, 160), 128, np.uint8), 0, 0.0, still=True)
    for _ in range(3):
        assert len(analyzer.analyze(photo, {})) == 1
    assert len(calls) == 3  # every photo, although detect_every is 3
    assert len(forgotten) >= 3  # before each photo
