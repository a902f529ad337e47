"""Frame sources: files, folders, the demo, the registry, picamera2 / OpenCV fakes and reconnection."""

from __future__ import annotations

import contextlib
import itertools
import logging
import sys
import tempfile
import time
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core.errors import SourceError
from edge.core.types import Frame
from edge.sources import auto, registry
from edge.sources import demo as demo_module
from edge.sources.base import CameraLostError
from edge.sources.demo import NO_FACE, PERIOD, DemoSource
from edge.sources.images import ImageFolderSource
from edge.sources.opencv_source import OpenCVCameraSource
from edge.sources.picamera2_source import Picamera2Source, y_plane
from edge.sources.reconnect import MAX_WAIT_PER_READ, ReconnectingSource
from edge.sources.video import VideoFileSource
from tests.fakes import FakeCapture, FakeClock, FakePicamera2


def drain(source, limit: int = 10_000) -> list[Frame]:
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
        assert len(frames) < limit, "source did not end"
    return frames


# --------------------------------------------------------------------------------------------- video


def write_clip(path: Path, frames: int = 12, size: tuple[int, int] = (64, 48), fps: float = 30.0) -> Path:
    """An MJPG .avi whose frame ``i`` is a flat grey of level ``20 * i`` (MJPG works in every OpenCV build here)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 20 * i, np.uint8))
    writer.release()
    return path


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "clip.avi")


def level(frame: Frame) -> int:
    return round(float(frame.gray.mean()) / 20)


def test_video_reads_every_frame_in_order_then_ends(clip: Path) -> None:
    source = VideoFileSource(clip)
    source.open()
    frames = drain(source)
    assert [f.index for f in frames] == list(range(12))
    assert [level(f) for f in frames] == list(range(12))
    assert all(f.gray.shape == (48, 64) and f.gray.dtype == np.uint8 for f in frames)
    assert all(f.preview is None for f in frames)
    assert all(b.timestamp >= a.timestamp for a, b in itertools.pairwise(frames))
    assert source.read() is None  # stays ended
    source.close()
    source.close()


def test_video_loop_restarts_and_keeps_counting(clip: Path) -> None:
    source = VideoFileSource(clip, loop=True)
    source.open()
    frames = [source.read() for _ in range(30)]
    source.close()
    assert all(f is not None for f in frames)
    assert [f.index for f in frames] == list(range(30))
    assert [level(f) for f in frames] == [i % 12 for i in range(30)]


def test_video_preview_is_rgb_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "red.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (32, 32))
    for _ in range(2):
        writer.write(np.dstack([np.zeros((32, 32), np.uint8)] * 2 + [np.full((32, 32), 255, np.uint8)]))  # BGR red
    writer.release()
    source = VideoFileSource(path, preview=True)
    source.open()
    frame = source.read()
    assert frame is not None and frame.preview is not None
    assert frame.preview.shape == (32, 32, 3)
    r, g, b = frame.preview.reshape(-1, 3).mean(0)
    assert r > 200 and g < 50 and b < 50


def test_video_realtime_paces_and_drops_when_behind(clip: Path) -> None:
    clock = FakeClock()
    source = VideoFileSource(clip, realtime=True, clock=clock, sleep=clock.sleep)
    source.open()
    first = source.read()
    second = source.read()  # asked early: sleeps until frame 1 is due
    assert first is not None and second is not None
    assert second.index == 1
    assert clock.sleeps == [pytest.approx(1 / 30)]
    clock.advance(0.21)  # the caller fell behind by about 6 frames
    late = source.read()
    assert late is not None and late.index == 7 and level(late) == 7
    assert source.dropped == 5


@pytest.mark.parametrize("name", ["missing.mp4", "garbage.avi"])
def test_video_bad_file_names_the_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.startswith("garbage"):
        path.write_bytes(b"this is not a video" * 100)
    source = VideoFileSource(path)
    with pytest.raises(SourceError, match=name):
        source.open()


# --------------------------------------------------------------------------------------------- images


def save(path: Path, image: np.ndarray) -> None:
    ok, data = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(data.tobytes())


def test_image_folder_sorted_skips_corrupt_file_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for i, name in enumerate(["b.png", "a.jpg", "d.bmp", "e.webp"]):
        save(tmp_path / name, np.full((20, 30), 40 * (i + 1), np.uint8))
    (tmp_path / "c.png").write_bytes(b"\x89PNG broken")
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "empty.jpeg").write_bytes(b"")
    source = ImageFolderSource(tmp_path, loop=True)
    source.open()
    with caplog.at_level(logging.WARNING, logger="edge.sources.images"):
        frames = [source.read() for _ in range(8)]
    assert all(f is not None for f in frames)
    assert [round(float(f.gray.mean())) for f in frames] == [80, 40, 120, 160] * 2  # a, b, d, e
    assert [f.index for f in frames] == list(range(8))
    warned = sorted(r.getMessage().split(":")[0] for r in caplog.records)
    assert warned == [f"skipping {tmp_path / 'c.png'}", f"skipping {tmp_path / 'empty.jpeg'}"]


def test_image_folder_ends_with_none(tmp_path: Path) -> None:
    save(tmp_path / "only.png", np.zeros((8, 8), np.uint8))
    source = ImageFolderSource(tmp_path)
    source.open()
    assert source.read() is not None
    assert source.read() is None
    assert source.read() is None


def test_image_folder_all_corrupt_ends_even_when_looping(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"nope")
    source = ImageFolderSource(tmp_path, loop=True)
    source.open()
    assert source.read() is None


def test_image_folder_empty_or_missing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no images")
    with pytest.raises(SourceError, match="no images"):
        ImageFolderSource(tmp_path).open()
    with pytest.raises(SourceError, match="not found"):
        ImageFolderSource(tmp_path / "nowhere").open()


def test_image_folder_paced_to_fps(tmp_path: Path) -> None:
    for i in range(3):
        save(tmp_path / f"{i}.png", np.zeros((4, 4), np.uint8))
    clock = FakeClock()
    source = ImageFolderSource(tmp_path, fps=4, clock=clock, sleep=clock.sleep)
    source.open()
    stamps = [f.timestamp for f in drain(source)]
    assert np.diff(stamps) == pytest.approx([0.25, 0.25])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    height=st.integers(1, 37),
    width=st.integers(1, 37),
    channels=st.sampled_from([1, 3, 4]),
    depth=st.sampled_from([np.uint8, np.uint16]),
    ext=st.sampled_from([".png", ".jpg", ".bmp", ".webp"]),
    preview=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_image_folder_any_size_and_dtype_gives_uint8_gray(height, width, channels, depth, ext, preview, seed) -> None:
    if depth == np.uint16 and ext != ".png":
        depth = np.uint8  # only PNG stores 16 bits
    if channels == 4 and ext in (".jpg", ".bmp"):
        channels = 3
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    image = rng.integers(0, np.iinfo(depth).max, size=shape, dtype=depth, endpoint=True)
    with tempfile.TemporaryDirectory() as folder:
        save(Path(folder) / f"img{ext}", image)
        source = ImageFolderSource(folder, preview=preview)
        source.open()
        frame = source.read()
        assert source.read() is None
    assert frame is not None
    assert frame.gray.shape == (height, width) and frame.gray.dtype == np.uint8
    if preview:
        assert frame.preview is not None and frame.preview.shape == (height, width, 3)
    else:
        assert frame.preview is None
    if ext == ".png" and channels == 1 and depth == np.uint8:
        np.testing.assert_array_equal(frame.gray, image)  # lossless path is exact


# --------------------------------------------------------------------------------------------- demo


@pytest.fixture(scope="module")
def detector():
    from edge.faces.registry import make_detector

    return make_detector("blazeface")


def test_demo_frames_are_640x480_uint8_and_deterministic() -> None:
    a, b = DemoSource(fps=0), DemoSource(fps=0)
    a.open()
    b.open()
    frames_a = [a.read() for _ in range(5)]
    for frame in frames_a:
        assert frame.gray.shape == (480, 640) and frame.gray.dtype == np.uint8
        assert frame.preview is None
    assert [f.index for f in frames_a] == list(range(5))
    for index in (0, 4, 200, 333, 500, 599, 600):
        np.testing.assert_array_equal(a.render(index)[0], b.render(index)[0])
    np.testing.assert_array_equal(a.render(4)[0], frames_a[4].gray)
    np.testing.assert_array_equal(a.render(0)[0], a.render(int(PERIOD * 30))[0])  # loops
    assert not np.array_equal(a.render(0)[0], a.render(60)[0])  # it moves


def test_demo_preview_is_rgb_and_matches_gray() -> None:
    source = DemoSource(fps=0, preview=True)
    source.open()
    frame = source.read()
    assert frame.preview is not None and frame.preview.shape == (480, 640, 3) and frame.preview.dtype == np.uint8
    gray = cv2.cvtColor(frame.preview, cv2.COLOR_RGB2GRAY).astype(int)
    assert np.abs(gray - frame.gray.astype(int)).mean() < 2.0


def test_demo_other_canvas_size() -> None:
    source = DemoSource(fps=0, width=320, height=240, preview=True)
    source.open()
    frame = source.read()
    assert frame.gray.shape == (240, 320)
    assert frame.preview is not None and frame.preview.shape == (240, 320, 3)


def test_demo_shows_faces_then_a_face_less_stretch(detector) -> None:
    source = DemoSource(fps=30)
    source.open()
    with_face, without_face, two_faces = [], [], []
    for index in range(0, int(PERIOD * 30), 10):
        t = DemoSource.animation_time(index, 30)
        faces = detector.detect(source.render(index)[0])
        if NO_FACE[0] <= t < NO_FACE[1]:
            without_face.append(len(faces))
        elif DemoSource.has_face(t):
            with_face.append(len(faces) >= 1)
            if 10.5 <= t < 12.5:
                two_faces.append(len(faces) == 2)
    assert len(without_face) >= 8 and not any(without_face)  # ~3 s with nobody there
    assert sum(with_face) / len(with_face) >= 0.9
    assert all(two_faces) and len(two_faces) >= 5


def test_demo_paced_with_injected_clock() -> None:
    clock = FakeClock()
    source = DemoSource(fps=10, clock=clock, sleep=clock.sleep)
    source.open()
    stamps = [source.read().timestamp for _ in range(4)]
    assert np.diff(stamps) == pytest.approx([0.1, 0.1, 0.1])
    clock.advance(5.0)  # consumer paused: no burst of catch-up frames afterwards
    source.read()
    before = clock.now
    source.read()
    assert clock.now - before == pytest.approx(0.1)


def test_demo_without_scikit_image(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SourceError, match=r"pip install 'emojify-edge\[demo\]'"):
        DemoSource().open()


def test_demo_does_not_import_skimage() -> None:
    code = "import sys; from edge.sources.demo import DemoSource; DemoSource(fps=0).open(); print('skimage' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------- picamera2 fake


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2
    monkeypatch.setitem(sys.modules, "picamera2", module)
    FakePicamera2.instances = []
    monkeypatch.setattr(FakePicamera2, "cameras", [{"Model": "imx708"}])
    monkeypatch.setattr(FakePicamera2, "fail_with", None)
    return FakePicamera2


def test_picamera2_configuration_and_y_plane(fake_picamera2) -> None:
    source = Picamera2Source(width=160, height=120)
    source.open()
    camera = fake_picamera2.instances[0]
    assert camera.config == {
        "main": {"size": (640, 480), "format": "RGB888"},
        "lores": {"size": (160, 120), "format": "YUV420"},
        "buffer_count": 4,
        "queue": False,
    }
    frames = [source.read() for _ in range(3)]
    for i, frame in enumerate(frames):
        assert frame.index == i
        assert frame.gray.shape == (120, 160) and frame.gray.dtype == np.uint8 and frame.gray.flags.c_contiguous
        expected = (np.arange(120)[:, None] + np.arange(160)[None, :] + i + 1) % 200
        np.testing.assert_array_equal(frame.gray, expected)  # no U/V rows, no stride padding
        assert frame.preview is None
    source.close()
    source.close()
    assert camera.closed


def test_picamera2_preview_is_rgb(fake_picamera2) -> None:
    source = Picamera2Source(preview=True)
    source.open()
    frame = source.read()
    assert frame.preview is not None and frame.preview.shape == (480, 640, 3)
    assert frame.preview[0, 0].tolist() == [0, 0, 255]  # B,G,R memory -> RGB blue


@pytest.mark.parametrize("failure", [TimeoutError(), RuntimeError("Camera frontend has timed out!")])
def test_picamera2_stall_or_failure_is_camera_lost(fake_picamera2, failure: Exception) -> None:
    source = Picamera2Source(stall_timeout=0.5)
    source.open()
    assert source.read() is not None
    fake_picamera2.fail_with = failure
    with pytest.raises(CameraLostError):
        source.read()
    if isinstance(failure, TimeoutError):
        assert fake_picamera2.instances[0].cancelled


class OldFakePicamera2(FakePicamera2):
    """An older picamera2: ``wait(job)`` has no timeout, the job itself has ``get_result(timeout)``."""

    class Job:
        def __init__(self, camera: FakePicamera2, names: list[str]) -> None:
            self.camera, self.names = camera, names

        def get_result(self, timeout: float | None = None):
            return FakePicamera2.wait(self.camera, self.names, timeout)

    def capture_arrays(self, names, wait=None):
        return OldFakePicamera2.Job(self, list(names))

    def wait(self, job):  # type: ignore[override]
        raise AssertionError("this wait() cannot time out: the source must not use it")


def test_picamera2_older_wait_without_timeout(fake_picamera2, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["picamera2"], "Picamera2", OldFakePicamera2)
    source = Picamera2Source(width=32, height=24)
    source.open()
    assert source.read().gray.shape == (24, 32)
    source.close()


def test_picamera2_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import raises ImportError
    with pytest.raises(SourceError, match="sudo apt install python3-picamera2"):
        Picamera2Source().open()


def test_picamera2_no_camera(fake_picamera2, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake_picamera2, "cameras", [])
    with pytest.raises(SourceError, match="no Pi camera found"):
        Picamera2Source().open()


def test_y_plane_rejects_short_buffer() -> None:
    with pytest.raises(CameraLostError):
        y_plane(np.zeros((10, 10), np.uint8), 320, 240)


def test_hardware_modules_import_without_hardware() -> None:
    code = (
        "import sys; import edge.sources.registry, edge.sources.auto, edge.sources.picamera2_source, edge.sources.reconnect; "
        "print('picamera2' in sys.modules)"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------- OpenCV fake


def test_opencv_latest_frame_wins_never_repeats() -> None:
    capture = FakeCapture()
    source = OpenCVCameraSource(0, capture_factory=lambda device: capture)
    source.open()
    assert capture.props[cv2.CAP_PROP_BUFFERSIZE] == 1
    assert (capture.props[cv2.CAP_PROP_FRAME_WIDTH], capture.props[cv2.CAP_PROP_FRAME_HEIGHT]) == (640, 480)
    values = []
    for _ in range(5):
        frame = source.read()
        assert frame.gray.shape == (6, 8) and frame.preview is None
        values.append(int(frame.gray[0, 0]))
        time.sleep(0.03)  # a slow consumer: the grabber moves on meanwhile
    source.close()
    assert capture.released.wait(1.0)
    assert values == sorted(set(values))  # never the same frame twice, never older
    assert max(np.diff(values)) > 1  # stale frames were dropped, not queued


def test_opencv_preview_when_asked() -> None:
    source = OpenCVCameraSource("/dev/video0", preview=True, capture_factory=lambda device: FakeCapture())
    source.open()
    frame = source.read()
    source.close()
    assert frame.preview is not None and frame.preview.shape == (6, 8, 3)


@pytest.mark.parametrize("mode", ["fail", "stall"])
def test_opencv_failed_or_stalled_reads_are_camera_lost(mode: str) -> None:
    capture = FakeCapture(good_frames=2, mode=mode)
    source = OpenCVCameraSource(0, stall_timeout=0.3, capture_factory=lambda device: capture)
    source.open()
    with pytest.raises(CameraLostError):
        for _ in range(5):
            source.read()
    source.close()


def test_opencv_open_failure_is_source_error() -> None:
    source = OpenCVCameraSource("/dev/video7", capture_factory=lambda device: FakeCapture(opened=False))
    with pytest.raises(SourceError, match="/dev/video7"):
        source.open()


# --------------------------------------------------------------------------------------------- factory


@pytest.fixture
def no_hardware(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)
    monkeypatch.setattr(auto, "list_video_devices", lambda: [])


def test_factory_spec_forms(tmp_path: Path, clip: Path) -> None:
    save(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    source = registry.make_source("picamera2", width=160, height=120, preview=True)
    assert isinstance(source, Picamera2Source) and (source.width, source.height, source.preview) == (160, 120, True)
    source = registry.make_source("opencv:2")
    assert isinstance(source, OpenCVCameraSource) and source.device == 2
    source = registry.make_source("/dev/video3")
    assert isinstance(source, OpenCVCameraSource) and source.device == "/dev/video3"
    assert isinstance(registry.make_source("demo"), DemoSource)
    source = registry.make_source(str(clip), loop=True)
    assert isinstance(source, VideoFileSource) and source.loop
    source = registry.make_source(str(tmp_path), loop=True)
    assert isinstance(source, ImageFolderSource) and source.loop


@pytest.mark.parametrize("spec", ["webcam", "opencv:", "opencv:x", "/dev/videoX", "", "/no/such/clip.mp4"])
def test_factory_rejects_unknown_spec(spec: str) -> None:
    with pytest.raises(SourceError, match="valid sources: auto, picamera2, opencv:N"):
        registry.make_source(spec)


def test_auto_falls_back_to_demo_and_says_why(no_hardware, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="edge.sources.auto"):
        source = registry.make_source("auto")
    assert isinstance(source, DemoSource)
    text = caplog.text
    assert "skipping picamera2: picamera2 is not installed" in text
    assert "no /dev/video* camera device" in text
    assert "using the built-in demo" in text


def test_auto_prefers_picamera2(fake_picamera2) -> None:
    assert isinstance(registry.make_source("auto"), Picamera2Source)
    assert fake_picamera2.instances == []  # probing lists cameras without opening one


def test_auto_picamera2_installed_without_camera_tries_v4l2(
    fake_picamera2, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fake_picamera2, "cameras", [])
    monkeypatch.setattr(auto, "list_video_devices", lambda: ["/dev/video0", "/dev/video2"])
    probed = []

    def probe(device: str) -> str | None:
        probed.append(device)
        return "gave no frame for 2 s" if device == "/dev/video0" else None

    monkeypatch.setattr(auto, "probe_v4l2", probe)
    with caplog.at_level(logging.INFO, logger="edge.sources.auto"):
        choice = auto.describe_auto_choice(probe_device=probe)
        source = registry.make_source("auto")
    assert choice.spec == "/dev/video2"
    assert choice.skipped == [("picamera2", "picamera2 found no camera"), ("/dev/video0", "gave no frame for 2 s")]
    assert "skipped /dev/video0" in str(choice)
    assert isinstance(source, OpenCVCameraSource) and source.device == "/dev/video2"
    assert "using /dev/video2" in caplog.text


# --------------------------------------------------------------------------------------------- reconnect


class FlakyCamera:
    """A live source scripted per open(): an int gives that many frames then CameraLostError, an exception is
    raised by open(), ``None`` gives frames forever."""

    live = True
    name = "flaky camera"

    def __init__(self, plan: list, clock: FakeClock) -> None:
        self.plan = list(plan)
        self.clock = clock
        self.opens: list[float] = []
        self.closes = 0
        self.left: int | None = 0
        self.is_open = False
        self.n = 0

    def open(self) -> None:
        self.opens.append(self.clock.now)
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, Exception):
            raise step
        self.left, self.n, self.is_open = step, 0, True

    def read(self) -> Frame:
        assert self.is_open, "read from a closed camera"
        if self.left is not None and self.left <= 0:
            raise CameraLostError("unplugged")
        if self.left is not None:
            self.left -= 1
        frame = Frame(np.zeros((2, 2), np.uint8), index=self.n, timestamp=self.clock.now)
        self.n += 1
        self.clock.advance(1 / 30)
        return frame

    def close(self) -> None:
        self.closes += 1
        self.is_open = False


def test_reconnect_lost_then_back_with_growing_backoff(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    unplugged = SourceError("cannot open camera 0: it did not open")
    # 3 frames; then 3 failed reopen attempts; then a reopen that opens but gives no frame; then fine.
    inner = FlakyCamera([3, unplugged, unplugged, unplugged, 0, None], clock)
    source = ReconnectingSource(inner, clock=clock, sleep=clock.sleep, initial_backoff=0.5, max_backoff=4.0)
    source.open()
    results: list[str] = []
    with caplog.at_level(logging.INFO, logger="edge.sources.reconnect"):
        for _ in range(200):
            before = clock.now
            try:
                frame = source.read()
                results.append("frame")
                assert frame is not None
            except CameraLostError:
                results.append("lost")
                assert source.lost
            assert clock.now - before <= MAX_WAIT_PER_READ + 1 / 30 + 1e-9  # never blocks the caller long
            if results[-3:] == ["frame"] * 3 and "lost" in results:
                break
    assert results[:3] == ["frame"] * 3 and results[3] == "lost"
    assert results[-1] == "frame" and not source.lost
    assert source.outages == 1
    gaps = np.diff(inner.opens[1:])  # time between reopen attempts
    assert inner.opens[1] - inner.opens[0] >= 0.5
    assert list(gaps) == pytest.approx([1.0, 2.0, 4.0, 4.0], abs=0.05)  # doubles, capped at max_backoff
    assert inner.closes >= 5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1 and "lost" in warnings[0].getMessage()
    assert len(infos) == 1 and "back" in infos[0].getMessage()
    assert source.backoff == 0.5 and source.attempts == 0


def test_reconnect_keeps_frame_index_counting() -> None:
    clock = FakeClock()
    inner = FlakyCamera([2, None], clock)
    source = ReconnectingSource(inner, clock=clock, sleep=clock.sleep)
    source.open()
    indices = []
    for _ in range(50):
        with contextlib.suppress(CameraLostError):
            indices.append(source.read().index)
        if len(indices) == 5:
            break
    assert indices == [0, 1, 2, 3, 4]
    assert source.outages == 1


def test_reconnect_second_outage_counts_again() -> None:
    clock = FakeClock()
    inner = FlakyCamera([1, 1, None], clock)
    source = ReconnectingSource(inner, clock=clock, sleep=clock.sleep)
    source.open()
    for _ in range(100):
        with contextlib.suppress(CameraLostError):
            source.read()
    assert source.outages == 2 and not source.lost


def test_reconnect_passes_non_live_sources_through(clip: Path) -> None:
    inner = VideoFileSource(clip)
    source = ReconnectingSource(inner)
    assert not source.live and source.name == inner.name
    source.open()
    assert len(drain(source)) == 12
    assert source.read() is None and not source.lost
