"""The kiosk's screen elements (see :mod:`edge.display.scene`): the emoji, texts, preview, footer.

Each element keeps what it shows (set by the kiosk every frame) and reports it as its state, so
the scene repaints it only when that changed. Surfaces are made once and cached: the emoji
artwork per size (:class:`~edge.display.emoji_art.EmojiArt`), glows per colour (:class:`Glows`),
text per string (:class:`~edge.display.text.TextCache`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edge.core.types import FrameReport
from edge.display.art_fade import HalfSizeFade
from edge.display.camera_view import draw_preview
from edge.display.emoji_art import EmojiArt, draw_glow
from edge.display.layout import Layout
from edge.display.text import TextCache
from edge.display.theme import Box, Color
from edge.display.transition import LEVELS, Transition, alpha, scale_at

if TYPE_CHECKING:
    import pygame

#: Bytes of glow surfaces kept (about 18 at 1920x1080, 4 at 3840x2160).
GLOW_BUDGET = 64 * 1024 * 1024


def blit_alpha(screen: pygame.Surface, surf: pygame.Surface, center: tuple[int, int], opacity: int) -> None:
    """Draw ``surf`` centred on ``center`` at ``opacity`` (0..255) without changing it for later blits."""
    if opacity <= 0:
        return
    rect = surf.get_rect(center=center)
    if opacity >= 255:
        screen.blit(surf, rect)
        return
    surf.set_alpha(opacity)
    screen.blit(surf, rect)
    surf.set_alpha(255)


class Glows:
    """Glow squares of one size on one background, one per colour, made once (see :func:`draw_glow`).

    A glow is drawn at a quarter of its size and scaled up smoothly: it is a soft gradient, so
    nothing is lost, and it takes a tenth of the time (1.5 ms instead of 7 ms at 1920x1080).
    """

    def __init__(self, size: int, background: Color) -> None:
        self.size = size
        self.background = background
        self._cache: dict[Color, pygame.Surface] = {}
        #: How many glows are kept (the oldest is dropped for a new one).
        self.limit = max(3, GLOW_BUDGET // max(1, 4 * size * size))

    def _make(self, color: Color) -> pygame.Surface:
        import pygame

        small = draw_glow(max(8, self.size // 4), color, self.background)
        if pygame.display.get_surface() is not None:
            small = small.convert()
        return pygame.transform.smoothscale(small, (self.size, self.size))

    def get(self, color: Color) -> pygame.Surface:
        """The glow of ``color`` (the oldest is dropped when the budget is reached)."""
        surf = self._cache.pop(color, None)
        if surf is None:
            if len(self._cache) >= self.limit:
                del self._cache[next(iter(self._cache))]
            surf = self._make(color)
        self._cache[color] = surf  # most recently used last
        return surf


@dataclass(frozen=True)
class Look:
    """What the emoji area shows: an artwork key (a label or ``thinking``) and its accent colour."""

    art: str
    accent: Color


class EmojiArea:
    """The big emoji and its glow: one state, two elements (:attr:`glow` below, :attr:`art` above).

    While a transition runs the emoji cross-fades from the previous look (or fades in from the
    background); the glow takes the new accent at once, on the transition's first frame, when
    the texts under the emoji are repainted anyway. The two are separate elements so that the
    fade's other frames repaint only the emoji's own square, not the glow's larger one.
    """

    def __init__(self, lay: Layout, art: EmojiArt, glows: Glows) -> None:
        cx, cy, self.size = lay.emoji
        self.center = (cx, cy)
        self.art_source = art
        self.glows = glows
        self.look = Look("thinking", glows.background)
        self.previous: Look | None = None
        self.transition: Transition | None = None
        self.glow = GlowElement(self, lay.glow_box)
        half = self.size // 2
        self.art = ArtElement(self, (max(0, cx - half), max(0, cy - half), self.size, self.size))

    def show(self, look: Look, transition: Transition | None, previous: Look | None) -> None:
        """Show ``look``; while ``transition`` runs, fade from ``previous`` (``None``: from the background)."""
        self.look, self.transition, self.previous = look, transition, previous

    def fading(self, now: float) -> bool:
        """True while the picture still differs from the new look's resting one."""
        tr = self.transition
        if tr is None or tr.done(now) or self.previous == self.look:
            return False
        return tr.mix(now) < LEVELS


class GlowElement:
    """The soft glow square behind the emoji (opaque: it is pre-blended onto the background)."""

    opaque = True

    def __init__(self, area: EmojiArea, box: Box) -> None:
        self.box = box
        self._area = area

    def state(self, now: float) -> Hashable:
        """The glow's colour."""
        return self._area.look.accent

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The glow of the current accent, centred on the emoji."""
        glow = self._area.glows.get(self._area.look.accent)
        screen.blit(glow, glow.get_rect(center=self._area.center))


class ArtElement:
    """The emoji itself: the resting artwork, or the old one fading out and the new one growing in.

    While it fades it covers its whole square (:class:`~edge.display.art_fade.HalfSizeFade`
    draws the glow under it too), so :attr:`opaque` is true then; it is set by :meth:`state`.
    """

    opaque = False

    def __init__(self, area: EmojiArea, box: Box) -> None:
        self.box = box
        self._area = area
        self._fade = HalfSizeFade(box, area.center, area.size, area.art_source)

    def state(self, now: float) -> Hashable:
        """The look, and while fading the previous look and the mix."""
        area = self._area
        self.opaque = area.fading(now)
        if not self.opaque:
            return (area.look,)
        assert area.transition is not None
        return (area.look, area.previous, area.transition.mix(now))

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The artwork (or the two artworks of a cross-fade, on the glow) centred on the emoji."""
        area = self._area
        if not area.fading(now):
            blit_alpha(screen, area.art_source.get(area.look.art, area.size), area.center, 255)
            return
        assert area.transition is not None
        level = area.transition.mix(now)
        old = area.previous.art if area.previous is not None and area.transition.cross else None
        glow = (area.glows.get(area.look.accent), area.center, area.look.accent)
        self._fade.draw(screen, glow, old, area.look.art, (255 - alpha(level), alpha(level), scale_at(level)))


class TextElement:
    """Lines of text centred on one x (a title and its subtitle), fading in as one."""

    opaque = False

    def __init__(self, box: Box, texts: TextCache, cx: int, max_w: int, lines: list[tuple[int, int, Color]]) -> None:
        self.box = box
        self._cache = texts
        self._cx, self._max_w = cx, max_w
        self._lines = lines  # (centre y, font px, colour) per line
        self._texts: tuple[str, ...] = ()
        self._level = LEVELS

    def show(self, texts: tuple[str, ...], level: int = LEVELS) -> None:
        """Show ``texts`` (one per line; empty strings leave a line blank) at opacity ``level``."""
        self._texts, self._level = texts, level

    def state(self, now: float) -> Hashable:
        """The texts and their opacity."""
        return (self._texts, self._level)

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """Each line, shrunk to the width when it is too long."""
        for text, (cy, px, color) in zip(self._texts, self._lines, strict=False):
            if text:
                surf = self._cache.render(text, px, color, self._max_w)
                blit_alpha(screen, surf, (self._cx, cy), alpha(self._level))


class PreviewElement:
    """The camera image with the face boxes, redrawn for every new frame."""

    opaque = False

    def __init__(self, box: Box, line: int) -> None:
        self.box = box
        self._line = line
        self._report: FrameReport | None = None
        self._seq = 0

    def show(self, report: FrameReport | None, seq: int) -> None:
        """Show this report's frame; ``seq`` counts the reports (a new number is a new picture)."""
        self._report, self._seq = report, seq

    def state(self, now: float) -> Hashable:
        """The report number."""
        return self._seq

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The image fitted into the box (nothing before the first frame)."""
        if self._report is not None:
            draw_preview(screen, self._report, self.box, self._line)


class FooterElement:
    """The optional status line at the bottom left."""

    opaque = False

    def __init__(self, lay: Layout, texts: TextCache, color: Color) -> None:
        self.box = lay.footer_box
        self._px = lay.small_px
        self._cache = texts
        self._color = color
        self._text = ""

    def show(self, text: str) -> None:
        """Show ``text`` (empty: nothing)."""
        self._text = text

    def state(self, now: float) -> Hashable:
        """The text."""
        return self._text

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """The text, shrunk to the width."""
        if self._text:
            x, y, w, h = self.box
            surf = self._cache.render(self._text, self._px, self._color, w)
            screen.blit(surf, surf.get_rect(bottomleft=(x, y + h)))
