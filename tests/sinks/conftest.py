"""Fixtures of the kiosk tests: SDL's dummy video driver, a fake clock, kiosks that close themselves."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture(autouse=True)
def _dummy_video(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    from tests.fakes import FakeClock

    return FakeClock()


@pytest.fixture
def open_sink(clock) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """``open_sink(size=..., **KioskOptions)``: an open window kiosk (no transitions unless asked) on the fake clock."""
    pytest.importorskip("pygame")
    from edge.sinks.kiosk import KioskOptions, KioskSink

    sinks: list[KioskSink] = []

    def factory(size: tuple[int, int] = (800, 480), **kw: object) -> KioskSink:
        kw.setdefault("transition_ms", 0)
        info = kw.pop("info", None)
        sink = KioskSink(KioskOptions(mode="window", size=size, **kw), clock=clock)  # type: ignore[arg-type]
        sink.open(info)  # type: ignore[arg-type]
        sinks.append(sink)
        return sink

    yield factory
    for sink in sinks:
        sink.close()
