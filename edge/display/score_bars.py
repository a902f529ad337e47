"""The kiosk's seven score bars: name, bar and percentage per class, fitted to a box."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from edge.core.labels import LABELS, NUM_CLASSES
from edge.display.layout import Layout
from edge.display.text import TextCache
from edge.display.theme import BG, GREY, LABEL_COLORS, ROW_HI, TEXT, TEXT_DIM, TITLES, TRACK, Box, blend

if TYPE_CHECKING:
    import pygame


class ScoreBars:
    """Draws the bars; the column widths for a box are measured once.

    Args:
        texts: The sink's text cache (shared fonts).
    """

    def __init__(self, texts: TextCache) -> None:
        self._texts = texts
        self._geometry: dict[Box, tuple[int, int, int]] = {}

    def metrics(self, lay: Layout) -> tuple[int, int, int]:
        """``(font px, name column width, percent column width)`` for the bars box (cached)."""
        geom = self._geometry.get(lay.bars)
        if geom is None:
            _, _, w, h = lay.bars
            px = max(10, min(round(h / NUM_CLASSES * 0.6), round(0.062 * lay.base)))
            while True:
                font = self._texts.font(px)
                name_w = max(font.size(TITLES[label])[0] for label in LABELS)
                pct_w = font.size("100%")[0]
                if name_w + pct_w <= 0.62 * w or px <= 10:
                    break
                px -= 1
            geom = self._geometry[lay.bars] = (px, name_w, pct_w)
        return geom

    def draw(self, screen: pygame.Surface, lay: Layout, scores: np.ndarray, shown: str | None, dim: bool) -> None:
        """The seven bars; the shown label's row is highlighted (dimmed while unsure)."""
        import pygame

        x, y, w, h = lay.bars
        px, name_w, pct_w = self.metrics(lay)
        row_h = h / NUM_CLASSES
        pad = max(4, round(px * 0.55))
        thick = max(4, round(min(row_h * 0.42, px * 0.6)))
        bar_x = x + pad + name_w + pad
        bar_w = max(thick, w - (bar_x - x) - pct_w - 2 * pad)
        for i, label in enumerate(LABELS):
            top = round(y + i * row_h)
            mid = round(y + (i + 0.5) * row_h)
            hi = label == shown
            color = LABEL_COLORS[label]
            if hi:
                pill = pygame.Rect(x, top + 2, w, round(row_h) - 4)
                pygame.draw.rect(screen, ROW_HI, pill, border_radius=pill.height // 3)
                if dim:
                    color = blend(color, GREY, 0.5)
            else:
                color = blend(BG, color, 0.55)
            text_color = TEXT if hi else TEXT_DIM
            name = self._texts.render(TITLES[label], px, text_color)
            screen.blit(name, name.get_rect(midleft=(x + pad, mid)))
            track = pygame.Rect(bar_x, mid - thick // 2, bar_w, thick)
            pygame.draw.rect(screen, TRACK, track, border_radius=thick // 2)
            score = float(scores[i])
            if score > 0.002:
                fill = track.copy()
                fill.width = max(thick, round(bar_w * score))
                pygame.draw.rect(screen, color, fill, border_radius=thick // 2)
            pct = self._texts.render(f"{round(score * 100)}%", px, text_color)
            screen.blit(pct, pct.get_rect(midright=(x + w - pad, mid)))
