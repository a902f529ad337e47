"""The half-size cross-fade: the glow under the emoji lines up with the glow around it, the mix is right."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from edge.display.art_fade import HalfSizeFade  # noqa: E402


class Squares:
    """Artwork: a square of one colour per key, fitted to the size asked for."""

    colors: ClassVar[dict[str, tuple[int, int, int]]] = {"red": (250, 0, 0), "blue": (0, 0, 250)}

    def get(self, key: str, size: int) -> pygame.Surface:
        surf = pygame.Surface((size, size), pygame.SRCALPHA)
        surf.fill((*self.colors[key], 255))
        return surf


@pytest.fixture
def screen(dummy_screen: Callable[[tuple[int, int]], pygame.Surface]) -> pygame.Surface:
    return dummy_screen((300, 200))


def gradient(size: int) -> pygame.Surface:
    """A "glow" that changes along both axes, so a misplaced copy of it shows."""
    ramp = np.linspace(0, 255, size).astype(np.uint8)
    rgb = np.stack([np.repeat(ramp[:, None], size, 1), np.repeat(ramp[None, :], size, 0), np.full((size, size), 40)], 2)
    return pygame.surfarray.make_surface(rgb).convert()


def pixels(screen: pygame.Surface, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return pygame.surfarray.array3d(screen)[x : x + w, y : y + h].astype(int)


def test_the_glow_under_the_square_lines_up_and_the_mix_is_right(screen: pygame.Surface) -> None:
    box, center = (100, 50, 80, 80), (140, 90)
    glow = gradient(116)
    screen.blit(glow, glow.get_rect(center=center))
    expected_glow = pixels(screen, box)
    fade = HalfSizeFade(box, center, 80, Squares())  # type: ignore[arg-type]
    fade.draw(screen, (glow, center, (1, 2, 3)), None, "red", (0, 0, 1.0))  # nothing of the emoji yet
    assert np.abs(pixels(screen, box) - expected_glow).max() <= 8  # a 2 px step of the gradient at most
    fade.draw(screen, (glow, center, (1, 2, 3)), "red", "blue", (128, 128, 1.0))
    mid = pixels(screen, (130, 80, 20, 20))  # inside both squares: half red on the glow, then half blue over it
    under = expected_glow[30:50, 30:50]
    expected = 0.5 * np.array([0, 0, 250]) + 0.5 * (0.5 * np.array([250, 0, 0]) + 0.5 * under)
    assert np.abs(mid - expected).max() <= 8
    fade.draw(screen, (glow, center, (1, 2, 3)), "red", "blue", (0, 255, 0.5))  # the new one, half grown
    assert tuple(screen.get_at(center))[:3] == (0, 0, 250)
    assert np.abs(pixels(screen, (100, 50, 10, 10)) - expected_glow[:10, :10]).max() <= 8  # glow outside it
