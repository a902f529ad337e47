"""The kiosk's seven score bars: name, bar and percentage per class, three screen elements per row.

Live scores move on every camera frame, so a row is split by what changes: its backdrop (the
highlight pill and the name) changes only with the shown class, the bar only when its length
in pixels does, the percentage only when its whole number does. Each is repainted on its own
(:mod:`edge.display.scene`), so a moving score costs a strip of the row, not the row.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from edge.core.labels import LABELS, NUM_CLASSES
from edge.display.layout import Layout
from edge.display.text import TextCache
from edge.display.theme import BG, GREY, LABEL_COLORS, ROW_HI, TEXT, TEXT_DIM, TITLES, TRACK, Box, blend

if TYPE_CHECKING:
    import pygame


def bar_metrics(lay: Layout, texts: TextCache) -> tuple[int, int, int]:
    """``(font px, name column width, percent column width)`` that fit the bars box."""
    _, _, w, h = lay.bars
    px = max(10, min(round(h / NUM_CLASSES * 0.6), round(0.062 * lay.base)))
    while True:
        font = texts.font(px)
        name_w = max(font.size(TITLES[label])[0] for label in LABELS)
        pct_w = font.size("100%")[0]
        if name_w + pct_w <= 0.62 * w or px <= 10:
            return px, name_w, pct_w
        px -= 1


class BarRow:
    """One class's row: its name, a bar as long as its score, and the percentage.

    Args:
        lay: The layout (the row's box is ``lay.bar_row(index)``).
        index: The class, in label order.
        texts: The kiosk's text cache.
        metrics: :func:`bar_metrics` for this layout.

    Attributes:
        elements: The row's screen elements, bottom to top: backdrop, bar, percentage.
    """

    def __init__(self, lay: Layout, index: int, texts: TextCache, metrics: tuple[int, int, int]) -> None:
        self.box: Box = lay.bar_row(index)
        self.label = LABELS[index]
        px, name_w, pct_w = metrics
        x, top, w, h = self.box
        pad = max(4, round(px * 0.55))
        thick = max(4, round(min(h * 0.42, px * 0.6)))
        mid = top + h // 2
        bar_x = x + pad + name_w + pad
        bar_w = max(thick, w - (bar_x - x) - pct_w - 2 * pad)
        text_h = min(h, texts.font(px).get_linesize())
        self.backdrop = _Backdrop(self.box, self.label, texts, px, pad)
        self.bar = _Bar((bar_x, mid - thick // 2, bar_w, thick), self.label)
        pct_x = bar_x + bar_w + pad
        self.percent = _Percent((pct_x, mid - text_h // 2, x + w - pct_x, text_h), texts, px, pad)
        self.elements = (self.backdrop, self.bar, self.percent)

    def show(self, score: float, highlighted: bool, dim: bool) -> None:
        """Show ``score`` (0..1); ``highlighted`` marks the shown class (``dim`` while unsure)."""
        score = min(1.0, max(0.0, score))
        dim = dim and highlighted
        self.backdrop.shown = (highlighted,)
        self.bar.show(score, highlighted, dim)
        self.percent.shown = (round(score * 100), highlighted)


class _Backdrop:
    """The row's background: the highlight pill of the shown class, and the class's name."""

    opaque = True

    def __init__(self, box: Box, label: str, texts: TextCache, px: int, pad: int) -> None:
        self.box = box
        self._label, self._texts, self._px, self._pad = label, texts, px, pad
        self.shown: tuple[bool] = (False,)

    def state(self, now: float) -> Hashable:
        """Whether the row is highlighted."""
        return self.shown

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """Background, pill and name."""
        import pygame

        (hi,) = self.shown
        x, top, w, h = self.box
        screen.fill(BG, self.box)
        if hi:
            pill = pygame.Rect(x, top + 2, w, h - 4)
            pygame.draw.rect(screen, ROW_HI, pill, border_radius=pill.height // 3)
        name = self._texts.render(TITLES[self._label], self._px, TEXT if hi else TEXT_DIM)
        screen.blit(name, name.get_rect(midleft=(x + self._pad, top + h // 2)))


class _Bar:
    """The track and the filled part of it, as long as the score."""

    opaque = False

    def __init__(self, box: Box, label: str) -> None:
        self.box = box
        self._label = label
        self.shown: tuple[int, bool, bool] = (0, False, False)

    def show(self, score: float, highlighted: bool, dim: bool) -> None:
        """Fill the bar to ``score`` (0..1), in the class colour when highlighted (greyed when ``dim``)."""
        thick, width = self.box[3], self.box[2]
        fill = max(thick, round(width * score)) if score > 0.002 else 0
        self.shown = (fill, highlighted, dim)

    def state(self, now: float) -> Hashable:
        """Filled length in pixels and the colour's inputs."""
        return self.shown

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """Track, then the filled part."""
        import pygame

        fill, hi, dim = self.shown
        color = LABEL_COLORS[self._label]
        if not hi:
            color = blend(BG, color, 0.55)
        elif dim:
            color = blend(color, GREY, 0.5)
        x, y, _, h = self.box
        pygame.draw.rect(screen, TRACK, self.box, border_radius=h // 2)
        if fill:
            pygame.draw.rect(screen, color, (x, y, fill, h), border_radius=h // 2)


class _Percent:
    """The percentage, right-aligned in its column."""

    opaque = False

    def __init__(self, box: Box, texts: TextCache, px: int, pad: int) -> None:
        self.box = box
        self._texts, self._px, self._pad = texts, px, pad
        self.shown: tuple[int, bool] = (0, False)

    def state(self, now: float) -> Hashable:
        """The whole percentage and the highlight."""
        return self.shown

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The number."""
        pct, hi = self.shown
        x, y, w, h = self.box
        text = self._texts.render(f"{pct}%", self._px, TEXT if hi else TEXT_DIM)
        screen.blit(text, text.get_rect(midright=(x + w - self._pad, y + h // 2)))
