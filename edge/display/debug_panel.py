"""The kiosk's debug panel (key ``d``): rates, stage times, the decision, the model, in a box of its own.

The layout gives the panel a box beside the emoji, never over it. Its numbers change every
frame, so they are refreshed :data:`REFRESH_S` apart: readable, and cheap to draw.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from edge.display.layout import DEBUG_LINES
from edge.display.text import TextCache
from edge.display.theme import ROW_HI, TEXT, TEXT_DIM, Box

if TYPE_CHECKING:
    import pygame

#: Seconds between two refreshes of the numbers.
REFRESH_S = 0.25

Row = tuple[str, str]


class DebugPanel:
    """Key/value rows in two columns of :data:`DEBUG_LINES` lines, fitted to ``box``.

    Args:
        box: Where the panel goes (:attr:`edge.display.layout.Layout.debug`).
        texts: The kiosk's text cache.
        px: Font size.
    """

    opaque = True

    def __init__(self, box: Box, texts: TextCache, px: int) -> None:
        self.box = box
        self._texts = texts
        line_h = (box[3] - px) // DEBUG_LINES  # the layout's margin is one font size
        self._px = max(8, min(px, round(line_h / 0.8)))
        self._rows: tuple[Row, ...] = ()
        self._updated = -1e9

    def show(self, rows: Sequence[Row], now: float) -> None:
        """Show ``rows`` (at most two columns' worth); new numbers are taken every :data:`REFRESH_S`."""
        if now - self._updated >= REFRESH_S or len(rows) != len(self._rows):
            self._rows = tuple(rows)[: 2 * DEBUG_LINES]
            self._updated = now

    def state(self, now: float) -> Hashable:
        """The rows shown."""
        return self._rows

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """A panel, then each row: its key dim, its value bright, shrunk to the column."""
        import pygame

        x, y, w, h = self.box
        pygame.draw.rect(screen, ROW_HI, self.box, border_radius=max(2, self._px // 3))
        pad = self._px // 2
        col_w = (w - 3 * pad) // 2
        line_h = max(1, (h - 2 * pad) // DEBUG_LINES)
        font = self._texts.font(self._px)
        key_w = min(col_w // 2, max((font.size(k)[0] for k, _ in self._rows), default=0) + pad)
        for i, (key, value) in enumerate(self._rows):
            cx = x + pad + (i // DEBUG_LINES) * (col_w + pad)
            cy = y + pad + (i % DEBUG_LINES) * line_h + line_h // 2
            k = self._texts.render(key, self._px, TEXT_DIM, key_w - pad // 2)
            screen.blit(k, k.get_rect(midleft=(cx, cy)))
            v = self._texts.render(value, self._px, TEXT, col_w - key_w)
            screen.blit(v, v.get_rect(midleft=(cx + key_w, cy)))
