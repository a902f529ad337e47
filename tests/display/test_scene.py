"""Dirty rectangles: only elements whose state changed are repainted, overlaps stay right, nothing changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from edge.display.scene import Scene  # noqa: E402
from edge.display.theme import Box, Color  # noqa: E402

BG: Color = (10, 10, 10)


class Square:
    """A filled box whose colour is its state; counts its draws."""

    def __init__(self, box: Box, color: Color, opaque: bool = True) -> None:
        self.box, self.color, self.opaque = box, color, opaque
        self.draws = 0

    def state(self, now: float) -> Hashable:
        return self.color

    def draw(self, screen: pygame.Surface, now: float) -> None:
        self.draws += 1
        screen.fill(self.color, self.box)


@pytest.fixture
def screen(dummy_screen: Callable[[tuple[int, int]], pygame.Surface]) -> pygame.Surface:
    return dummy_screen((200, 100))


def at(screen: pygame.Surface, x: int, y: int) -> tuple[int, int, int]:
    return tuple(screen.get_at((x, y)))[:3]  # type: ignore[return-value]


def test_first_frame_is_whole_then_only_what_changed(screen: pygame.Surface) -> None:
    a, b = Square((0, 0, 50, 50), (200, 0, 0)), Square((100, 0, 50, 50), (0, 200, 0))
    scene = Scene()
    assert scene.render(screen, [a, b], BG, 0.0) == [(0, 0, 200, 100)]
    assert at(screen, 10, 10) == (200, 0, 0) and at(screen, 180, 90) == BG
    assert scene.render(screen, [a, b], BG, 0.0) == []  # nothing changed: nothing drawn
    b.color = (0, 0, 200)
    assert scene.render(screen, [a, b], BG, 0.0) == [b.box]
    assert (a.draws, b.draws) == (1, 2)
    assert at(screen, 110, 10) == (0, 0, 200) and at(screen, 10, 10) == (200, 0, 0)


def test_an_element_under_a_changed_one_is_repainted_in_order(screen: pygame.Surface) -> None:
    under = Square((0, 0, 100, 100), (50, 50, 50))
    over = Square((40, 40, 20, 20), (250, 250, 250), opaque=False)
    scene = Scene()
    scene.render(screen, [under, over], BG, 0.0)
    over.color = (0, 250, 0)
    scene.render(screen, [under, over], BG, 0.0)
    assert at(screen, 45, 45) == (0, 250, 0)  # drawn on top of the repainted element below
    under.color = (90, 0, 90)
    scene.render(screen, [under, over], BG, 0.0)
    assert at(screen, 45, 45) == (0, 250, 0) and at(screen, 10, 10) == (90, 0, 90)


def test_a_different_element_list_repaints_everything(screen: pygame.Surface) -> None:
    a, b = Square((0, 0, 50, 50), (200, 0, 0)), Square((100, 0, 50, 50), (0, 200, 0))
    scene = Scene()
    scene.render(screen, [a, b], BG, 0.0)
    assert scene.render(screen, [a], BG, 0.0) == [(0, 0, 200, 100)]
    assert at(screen, 110, 10) == BG  # b is gone
    scene.invalidate()
    assert scene.render(screen, [a], BG, 0.0) == [(0, 0, 200, 100)]
    pixels = pygame.surfarray.array3d(screen)
    assert np.all(pixels[:50, :50] == (200, 0, 0))
