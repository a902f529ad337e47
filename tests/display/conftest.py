"""Fixtures of the drawing tests: a screen on SDL's dummy video driver."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture
def dummy_screen(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[tuple[int, int]], Any]]:
    """``dummy_screen((w, h))``: a display surface of that size, closed after the test."""
    pygame = pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    try:
        yield pygame.display.set_mode
    finally:
        pygame.display.quit()
