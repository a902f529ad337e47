"""Opt-in tests on real hardware: run on a Pi with ``pytest -m hardware``.

They are deselected by default (pyproject's addopts) and skip when the device is absent.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

pytestmark = pytest.mark.hardware


def test_pi_camera_delivers_grey_frames_at_camera_rate():
    from edge.sources.auto import probe_picamera2
    from edge.sources.picamera2_source import Picamera2Source

    reason = probe_picamera2()
    if reason:
        pytest.skip(reason)
    source = Picamera2Source(320, 240)
    source.open()
    try:
        frames = [source.read() for _ in range(60)]
    finally:
        source.close()
    assert all(f is not None and f.gray.shape == (240, 320) and f.gray.dtype == np.uint8 for f in frames)
    span = frames[-1].timestamp - frames[0].timestamp
    assert 59 / span > 20, f"{59 / span:.1f} fps"


def test_usb_webcam_delivers_grey_frames():
    """The first V4L2 camera that ``auto`` would take (a USB UVC webcam) gives frames at a usable rate."""
    from edge.sources.auto import list_video_devices, probe_v4l2
    from edge.sources.opencv_source import OpenCVCameraSource

    reasons = {device: probe_v4l2(device) for device in list_video_devices()}
    usable = [device for device, reason in reasons.items() if reason is None]
    if not usable:
        pytest.skip(f"no V4L2 camera gives a frame ({reasons or 'no /dev/video* camera device'})")
    source = OpenCVCameraSource(usable[0])
    source.open()
    try:
        frames = [source.read() for _ in range(60)]
    finally:
        source.close()
    assert all(f.gray.ndim == 2 and f.gray.dtype == np.uint8 and min(f.gray.shape) >= 120 for f in frames)
    span = frames[-1].timestamp - frames[0].timestamp
    print(f"{usable[0]}: {frames[0].gray.shape[1]}x{frames[0].gray.shape[0]} at {59 / span:.1f} fps")
    assert 59 / span > 10, f"{usable[0]}: {59 / span:.1f} fps (a webcam in dim light drops its rate: add light)"


def test_kiosk_opens_on_kms_drm():
    from edge.display.probe import display_available
    from edge.sinks.kiosk import KioskOptions, KioskSink

    ok, reason = display_available("kiosk")
    if not ok:
        pytest.skip(reason)
    sink = KioskSink(KioskOptions(mode="kiosk"))
    sink.open()
    try:
        assert min(sink.surface.get_size()) >= 240
    finally:
        sink.close()


def test_edge_tpu_runs_the_compiled_model(model_path):
    from edge.core.errors import DelegateError
    from edge.inference.classifier import ExpressionClassifier
    from edge.inference.runtime import edgetpu_model_path

    if not edgetpu_model_path(model_path).exists():
        pytest.skip("no compiled models/emotion_int8_edgetpu.tflite (see models/README.md)")
    try:
        tpu = ExpressionClassifier(model_path, delegate="edgetpu")
    except DelegateError as exc:
        pytest.skip(str(exc))
    cpu = ExpressionClassifier(model_path, delegate="cpu")
    pixels = np.random.default_rng(0).integers(0, 255, (48, 48), dtype=np.uint8)
    assert np.argmax(tpu.classify(pixels)) == np.argmax(cpu.classify(pixels))
    t0 = time.perf_counter()
    for _ in range(100):
        tpu.classify(pixels)
    print(f"edge tpu: {(time.perf_counter() - t0) * 10:.2f} ms per face")


def test_benchmark_on_this_board(tmp_path):
    if shutil.which("vcgencmd") is None:
        pytest.skip("not a Raspberry Pi")
    from edge.harness.benchmark import run_benchmark
    from edge.harness.clip import make_clip

    result = run_benchmark(str(make_clip(tmp_path / "clip.avi", seconds=4)), frames=200, threads=2)
    print(result.markdown())
    assert result.fps > 0
