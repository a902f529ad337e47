"""Text on a pygame surface: fonts and rendered lines cached by size, shrunk to fit a width."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from edge.display.theme import Color

if TYPE_CHECKING:
    import pygame

#: Rendered lines kept; beyond it the least recently drawn goes (texts change with scores and fps).
MAX_TEXTS = 600


class TextCache:
    """pygame's default font at any pixel size, and rendered lines, each made once."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}
        self._texts: OrderedDict[tuple[str, int, Color, int], pygame.Surface] = OrderedDict()

    def font(self, px: int) -> pygame.font.Font:
        """The default font at ``px`` pixels."""
        import pygame

        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(None, px)
        return font

    def render(self, text: str, px: int, color: Color, max_w: int = 0) -> pygame.Surface:
        """Rendered ``text`` (cached), shrunk to ``max_w`` pixels wide when it would not fit."""
        import pygame

        key = (text, px, color, max_w)
        surf = self._texts.get(key)
        if surf is not None:
            self._texts.move_to_end(key)
        else:
            surf = self.font(px).render(text, True, color)
            if 0 < max_w < surf.get_width():
                surf = pygame.transform.smoothscale(
                    surf, (max_w, max(1, surf.get_height() * max_w // surf.get_width()))
                )
            self._texts[key] = surf
            if len(self._texts) > MAX_TEXTS:  # one line at a time: never a frame that re-renders them all
                self._texts.popitem(last=False)
        return surf

    def clear(self) -> None:
        """Forget every font and line (the display is closing)."""
        self._fonts.clear()
        self._texts.clear()


def blit_center(screen: pygame.Surface, surf: pygame.Surface, center: tuple[int, int]) -> None:
    """Draw ``surf`` centred on ``center``."""
    screen.blit(surf, surf.get_rect(center=center))
