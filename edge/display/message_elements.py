"""The screens without an emoji (nobody there, starting, camera lost): their icon and the small spinner.

Their animations are clock-driven and rounded to what a pixel can show: the idle face's breath
to a pixel of radius and a step of colour, the spinners to a few degrees, so a frame in which
nothing would look different is not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import TYPE_CHECKING

from edge.display.elements import Glows, blit_alpha
from edge.display.emoji_art import breath_at, draw_camera_icon, draw_idle_face, draw_spinner
from edge.display.layout import Layout
from edge.display.theme import AMBER, IDLE, RED, TEXT, TEXT_DIM, Box, Color, blend
from edge.display.transition import LEVELS, alpha

if TYPE_CHECKING:
    import pygame

#: Spinner angle steps per turn (a new step is a new picture).
SPINNER_STEPS = 120
#: Turns per second of the spinners (as :func:`edge.display.emoji_art.draw_spinner` draws them).
SPINNER_TURNS = 0.8
#: Steps of the idle face's breath from out to in (its size and colour change with it).
BREATH_STEPS = 32


def spinner_time(now: float) -> float:
    """``now`` rounded to the last spinner step (the time the spinner is drawn for)."""
    step = 1.0 / (SPINNER_TURNS * SPINNER_STEPS)
    return math.floor(now / step) * step


class HeroElement:
    """The big icon of a message screen; fades in from the background after a screen change."""

    opaque = False

    def __init__(self, lay: Layout, background: Color) -> None:
        self.box: Box = lay.hero_box
        cx, cy, self._size = lay.hero
        self._center = (cx, cy)
        self._background = background
        self._glows = Glows(round(self._size * 1.3), background)
        self._kind = "starting"
        self._level = LEVELS
        self._layer: pygame.Surface | None = None

    def show(self, kind: str, level: int = LEVELS) -> None:
        """Show the icon of screen ``kind`` (``no_face``, ``camera_lost``, else a spinner) at opacity ``level``."""
        self._kind, self._level = kind, level

    def _frame(self, now: float) -> Hashable:
        if self._kind == "no_face":
            return round(breath_at(now) * BREATH_STEPS)
        if self._kind == "camera_lost":
            return None
        return round(spinner_time(now) * SPINNER_TURNS * SPINNER_STEPS)

    def state(self, now: float) -> Hashable:
        """The screen kind, its animation frame and the opacity."""
        return (self._kind, self._frame(now), self._level)

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The icon, straight onto the screen, or through a layer while it fades in."""
        import pygame

        if self._level <= 0:  # the first frame of a fade: nothing of it shows yet
            return
        if self._level >= LEVELS:
            self._paint(screen, self._center, now)
            return
        x, y, w, h = self.box
        if self._layer is None or self._layer.get_size() != (w, h):
            self._layer = pygame.Surface((w, h)).convert()
        self._layer.fill(self._background)
        self._paint(self._layer, (self._center[0] - x, self._center[1] - y), now)
        blit_alpha(screen, self._layer, (x + w // 2, y + h // 2), alpha(self._level))

    def _paint(self, surface: pygame.Surface, center: tuple[int, int], now: float) -> None:
        if self._kind == "no_face":
            # The breath drawn is the one the state was rounded from.
            phase = round(breath_at(now) * BREATH_STEPS) / BREATH_STEPS
            draw_idle_face(surface, center, self._size, phase, self._background, IDLE)
        elif self._kind == "camera_lost":
            draw_camera_icon(surface, center, round(self._size * 0.8), AMBER, RED)
        else:
            glow = self._glows.get(IDLE)
            surface.blit(glow, glow.get_rect(center=center))
            color = blend(self._background, TEXT, 0.85)
            draw_spinner(surface, center, round(self._size * 0.32), color, spinner_time(now))


class SpinnerElement:
    """The small "retrying" spinner under the camera-lost message."""

    opaque = False

    def __init__(self, lay: Layout) -> None:
        self.box: Box = lay.spinner_box
        self._radius = lay.spinner_radius
        x, y, w, h = self.box
        self._center = (x + w // 2, y + h // 2)

    def state(self, now: float) -> Hashable:
        """The spinner's angle step."""
        return round(spinner_time(now) * SPINNER_TURNS * SPINNER_STEPS)

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The arc at its angle."""
        draw_spinner(screen, self._center, self._radius, TEXT_DIM, spinner_time(now))
