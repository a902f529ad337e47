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


def test_kiosk_opens_on_kms_drm():
    from edge.sinks.kiosk import KioskOptions, KioskSink, display_available

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
