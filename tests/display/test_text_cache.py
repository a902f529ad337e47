"""The text cache keeps the lines drawn most recently and forgets one line at a time."""

from __future__ import annotations

import os

import pytest

from edge.display import text as text_module
from edge.display.text import TextCache

pygame = pytest.importorskip("pygame")


@pytest.fixture(autouse=True)
def _font():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    yield
    pygame.font.quit()


def test_a_full_cache_forgets_the_least_recently_drawn_line_only(monkeypatch):
    monkeypatch.setattr(text_module, "MAX_TEXTS", 3)
    cache = TextCache()
    white = (255, 255, 255)
    kept = cache.render("happy", 20, white)
    for n in range(3):
        cache.render(f"{n} %", 20, white)
        assert cache.render("happy", 20, white) is kept  # drawn every frame: never re-rendered
    first = cache.render("0 %", 20, white)
    cache.render("new", 20, white)  # over the limit: one line goes, the least recently drawn ("2 %")
    assert cache.render("happy", 20, white) is kept
    assert cache.render("0 %", 20, white) is first
    assert len(cache._texts) == 3
