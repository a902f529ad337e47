"""A failing camera, through the shipped loop, to the kiosk's camera-lost screen: each cause says itself."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from edge.core.decision import Decider  # noqa: E402
from edge.core.errors import SourceError  # noqa: E402
from edge.core.types import Frame  # noqa: E402
from edge.pipeline.analyzer import Analyzer  # noqa: E402
from edge.pipeline.loop import Pipeline  # noqa: E402
from edge.sinks.kiosk import KioskSink  # noqa: E402
from edge.sources.base import CAMERA_FAULTS, CameraLostError  # noqa: E402
from edge.sources.reconnect import ReconnectingSource  # noqa: E402
from tests.fakes import ConstClassifier, FakeClock, FixedDetector  # noqa: E402
from tests.sinks.kiosk_helpers import SMALL, make_report, pixels  # noqa: E402

#: Causes a camera gives when it is opened; the others come from a camera that was working.
AT_OPEN = ("not_installed", "no_device", "permission")


class FailingCamera:
    """A live camera that fails with ``fault``: when opened, or on every read after it opened."""

    name, live = "failing", True

    def __init__(self, fault: str) -> None:
        self.fault = fault

    def open(self) -> None:
        if self.fault in AT_OPEN:
            raise SourceError(f"cannot open the camera ({self.fault})", fault=self.fault)

    def read(self) -> Frame:
        raise CameraLostError(f"camera failed ({self.fault})", fault=self.fault)

    def close(self) -> None: ...


def text_rows(sink: KioskSink) -> np.ndarray:
    """The camera-lost screen's title and fix (the spinner under them moves, so it is left out)."""
    lay = sink.layout
    top, bottom = lay.hero_title_y - lay.title_px // 2, lay.hero_sub_y + lay.sub_px // 2
    return pixels(sink)[top:bottom]


@pytest.mark.parametrize("fault", sorted(CAMERA_FAULTS))
def test_each_camera_fault_reaches_the_screen_as_its_own_title(
    fault: str, open_sink: Callable[..., KioskSink], clock: FakeClock
) -> None:
    kiosk = open_sink(size=SMALL)
    source = ReconnectingSource(FailingCamera(fault), initial_backoff=0.01, max_backoff=0.02, wait_at_start=True)
    loop = Pipeline(source, Analyzer(FixedDetector(), ConstClassifier()), Decider(), [kiosk])
    loop.open()
    reports = []
    for _ in range(2):  # what emojify run does, one pass at a time, the kiosk's clock moving on
        clock.t += 1.0
        reports.append(loop.step())
    assert all(r is not None and r.camera_fault == fault for r in reports)
    seen = text_rows(kiosk)
    loop.close()
    shots = {}
    for cause in (fault, None):  # one display at a time: pygame has one screen
        sink = open_sink(size=SMALL)
        clock.t += 1.0
        sink.handle(make_report("camera_lost", None, camera_fault=cause))
        shots[cause] = text_rows(sink)
    assert np.array_equal(seen, shots[fault])
    assert np.abs(seen - shots[None]).sum() > 1000  # not the generic "camera lost" text


def test_without_a_cause_the_screen_keeps_the_generic_text(
    open_sink: Callable[..., KioskSink], clock: FakeClock
) -> None:
    shots = []
    for cause in (None, "a cause nobody knows"):
        sink = open_sink(size=SMALL)
        clock.t += 1.0
        sink.handle(make_report("camera_lost", None, camera_fault=cause))
        shots.append(text_rows(sink))
    assert np.array_equal(shots[0], shots[1])
    assert (shots[0].mean(axis=2) > 150).sum() > 500  # and there is text


def test_the_camera_lost_screen_comes_at_once_not_faded(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    # the loop reports only a few times a second while the camera is away: the first frame must say it all
    cut = open_sink(size=SMALL)
    clock.t += 1.0
    cut.handle(make_report("camera_lost", None, camera_fault="unplugged"))
    expected = text_rows(cut)
    faded = open_sink(size=SMALL, transition_ms=250)
    clock.t += 1.0
    faded.handle(make_report("face", "happy"))
    clock.t += 1.0
    faded.handle(make_report("camera_lost", None, camera_fault="unplugged"))
    assert np.array_equal(text_rows(faded), expected)
