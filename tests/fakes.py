"""Shared fakes for the tests: a clock, frame sources, detectors, classifiers, sinks, camera and broker stand-ins.

Hardware is never needed: each fake implements the protocol its real counterpart does
(:class:`edge.sources.base.Source`, :class:`edge.faces.base.FaceDetector`, the classifier's
``classify``, :class:`edge.sinks.base.Sink`, ``picamera2.Picamera2``, ``cv2.VideoCapture``, paho's client).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, ClassVar

import numpy as np

from edge.core.types import FaceBox, Frame


class FakeClock:
    """A monotonic clock that moves only when something sleeps or the test moves it (``advance``, or ``t += s``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    @property
    def t(self) -> float:
        return self.now

    @t.setter
    def t(self, value: float) -> None:
        self.now = value

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- frames, faces, probabilities, sinks ---------------------------------------------------------


class GoodSource:
    name, live = "good", False

    def __init__(self):
        self.i = 0

    def open(self):
        pass

    def read(self):
        self.i += 1
        return Frame(np.full((120, 160), 128, np.uint8), self.i, self.i / 30)

    def close(self):
        pass


class EndlessSource:
    """Fake camera: the same small grey frame, numbered, with a frame-time clock."""

    name, live = "endless", False

    def __init__(self) -> None:
        self.i = 0
        self.gray = np.full((64, 64), 128, np.uint8)

    def open(self) -> None:
        pass

    def read(self) -> Frame:
        self.i += 1
        return Frame(self.gray, self.i, self.i / 30)

    def close(self) -> None:
        pass


class FixedDetector:
    name = "fixed"

    def detect(self, gray):
        return [FaceBox(10, 10, 40, 40)] if gray.mean() > 10 else []


class OneFace:
    name = "one-face"

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        return [FaceBox(12, 12, 41, 41)]  # its crop is exactly 48x48: no resize, so the test stays quick


class ConstClassifier:
    def classify(self, pixels):
        p = np.full(7, 0.02, np.float32)
        p[3] = 0.88
        return p


class Alternating:
    """Happy, then sad, in stretches, so the decision layer keeps deciding."""

    def __init__(self) -> None:
        self.n = 0

    def classify(self, pixels: np.ndarray) -> np.ndarray:
        self.n += 1
        p = np.full(7, 0.02, np.float32)
        p[3 if (self.n // 90) % 2 else 4] = 0.88
        return p


class ListSink:
    def __init__(self):
        self.reports = []

    def open(self, info=None):
        pass

    def handle(self, report):
        self.reports.append(report)

    def poll_quit(self):
        return False

    def close(self):
        pass


# -- camera and broker stand-ins -----------------------------------------------------------------


class FakePicamera2:
    """Stands in for ``picamera2.Picamera2``: YUV420 lores with padded rows, BGR main."""

    instances: ClassVar[list[FakePicamera2]] = []
    cameras: ClassVar[list[dict]] = [{"Model": "imx708"}]
    fail_with: Exception | None = None  # raised by capture
    stride_pad = 64

    def __init__(self, camera_num: int = 0) -> None:
        if not self.cameras:
            raise IndexError("list index out of range")
        self.config: dict | None = None
        self.started = self.closed = self.cancelled = False
        self.count = 0
        FakePicamera2.instances.append(self)

    @staticmethod
    def global_camera_info() -> list[dict]:
        return FakePicamera2.cameras

    def create_preview_configuration(self, **kwargs):
        return kwargs

    def configure(self, config) -> None:
        self.config = config

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True

    def cancel_all_and_flush(self) -> None:
        self.cancelled = True

    def capture_arrays(self, names, wait=None):
        assert wait is False
        return list(names)

    def wait(self, job, timeout=None):
        assert timeout is not None
        if self.fail_with is not None:
            raise self.fail_with
        self.count += 1
        w, h = self.config["lores"]["size"]
        yuv = np.full((h * 3 // 2, w + self.stride_pad), 255, np.uint8)  # padding is 255
        yuv[:h, :w] = (np.arange(h)[:, None] + np.arange(w)[None, :] + self.count) % 200
        yuv[h:, :w] = 128  # U/V planes
        main = np.zeros((480, 640, 3), np.uint8)
        main[:, :, 0] = 255  # blue in B,G,R memory order
        arrays = {"lores": yuv, "main": main}
        return [arrays[name] for name in job], {}


class FakeCapture:
    """A ``cv2.VideoCapture`` stand-in: frame ``n`` is filled with ``n % 256``; then it can fail or stall."""

    def __init__(self, opened: bool = True, period: float = 0.002, good_frames: int | None = None, mode: str = "fail"):
        self.opened = opened
        self.period = period
        self.good_frames = good_frames
        self.mode = mode
        self.n = 0
        self.props: dict[int, float] = {}
        self.released = threading.Event()

    def isOpened(self) -> bool:
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def read(self):
        if self.good_frames is not None and self.n >= self.good_frames:
            if self.mode == "stall":
                time.sleep(0.5)  # a driver that hangs in read()
            return False, None
        time.sleep(self.period)
        self.n += 1
        return True, np.full((6, 8, 3), self.n % 256, np.uint8)

    def release(self) -> None:
        self.released.set()


class FakeInfo:
    rc = 0

    def wait_for_publish(self, timeout: float | None = None) -> None:
        pass


class FakeReason:
    is_failure = False


class FakeClient:
    """Records publishes and acknowledges them at once; ``online`` connects at loop_start."""

    def __init__(self, client_id: str, online: bool = True) -> None:
        self.client_id = client_id
        self.online = online
        self.published: list[tuple[str, dict[str, Any], bool]] = []
        self.will: tuple[str, Any] | None = None
        self.on_connect: Any = None
        self.on_publish: Any = None
        self.on_connect_fail: Any = None
        self.on_disconnect: Any = None

    def username_pw_set(self, *_a: Any) -> None: ...
    def tls_set(self, **_k: Any) -> None: ...
    def reconnect_delay_set(self, **_k: Any) -> None: ...
    def connect_async(self, *_a: Any) -> None: ...
    def disconnect(self) -> None: ...
    def loop_stop(self) -> None: ...

    def will_set(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.will = (topic, json.loads(payload))

    def loop_start(self) -> None:
        if self.online:
            self.on_connect(self, None, None, FakeReason(), None)

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> FakeInfo:
        assert qos == 1
        self.published.append((topic, json.loads(payload), retain))
        self.on_publish(self, None, len(self.published), FakeReason(), None)
        return FakeInfo()
