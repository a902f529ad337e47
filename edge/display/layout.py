"""Where things go on the kiosk screen, computed from the surface size (800x480 up to 3840x2160).

Every element has its own box and no two boxes of one screen overlap, except that the emoji's
soft glow reaches under the title; the kiosk redraws each box on its own (dirty rectangles). The
debug panel gets a box of its own too, so it never covers the emoji: in the side panel
(landscape) or the lower panel (portrait), between the camera preview and the score bars.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.display.theme import Box

#: Lines of the debug panel (two columns of them).
DEBUG_LINES = 6
#: The glow around the emoji, as a multiple of the emoji's size.
GLOW_SCALE = 1.45


@dataclass(frozen=True)
class Layout:
    """Where things go on a ``width`` × ``height`` surface (all pixels).

    Attributes:
        base: The length fonts and margins scale from.
        margin: Outer margin.
        emoji: ``(cx, cy, size)`` of the emoji on the face screens.
        title_y: Centre line of the title under the emoji; ``sub_y`` of the subtitle.
        text_x: Centre x of the title texts; ``text_w`` their maximum width.
        bars: Box of the seven score bars.
        preview: Box the camera preview is fitted into on the face screens.
        hero: ``(cx, cy, size)`` of the icon on the message screens.
        hero_title_y: Title centre line on message screens; ``hero_sub_y`` of the subtitle.
        corner: Preview box on the message screens.
        hero_text_w: Width of the message screens' texts (centred on the icon).
        debug: Box of the debug panel (both kinds of screen), ``None`` when it is off.
    """

    width: int
    height: int
    base: int
    margin: int
    title_px: int
    sub_px: int
    small_px: int
    emoji: tuple[int, int, int]
    title_y: int
    sub_y: int
    text_x: int
    text_w: int
    bars: Box
    preview: Box | None
    hero: tuple[int, int, int]
    hero_title_y: int
    hero_sub_y: int
    corner: Box | None
    hero_text_w: int = 0
    debug: Box | None = None

    @property
    def glow_box(self) -> Box:
        """The emoji's glow square (clipped to the screen): everything the emoji ever paints."""
        cx, cy, size = self.emoji
        return _square(cx, cy, round(size * GLOW_SCALE), self.width, self.height)

    @property
    def text_box(self) -> Box:
        """The title and subtitle under the emoji."""
        top = self.title_y - round(0.6 * self.title_px)
        bottom = min(self.height, self.sub_y + round(0.6 * self.sub_px))
        return (self.text_x - self.text_w // 2, top, self.text_w, bottom - top)

    @property
    def title_box(self) -> Box:
        """The upper part of :attr:`text_box`: the name."""
        x, top, w, _ = self.text_box
        return (x, top, w, self._text_split - top)

    @property
    def sub_box(self) -> Box:
        """The lower part of :attr:`text_box`: the percentage (it changes while the name stays)."""
        x, top, w, h = self.text_box
        return (x, self._text_split, w, top + h - self._text_split)

    @property
    def _text_split(self) -> int:
        return self.sub_y - round(0.45 * self.sub_px)

    @property
    def hero_box(self) -> Box:
        """The icon of a message screen, with its halo."""
        cx, cy, size = self.hero
        return _square(cx, cy, round(size * 1.4), self.width, self.height)

    @property
    def hero_text_box(self) -> Box:
        """Title and subtitle of a message screen."""
        top = self.hero_title_y - round(0.6 * self.title_px)
        bottom = self.hero_sub_y + round(0.5 * self.sub_px)
        w = self.hero_text_w or self.width - 2 * self.margin
        return (self.hero[0] - w // 2, top, w, bottom - top)

    @property
    def spinner_box(self) -> Box:
        """The small "retrying" spinner under a camera-lost message."""
        r = self.spinner_radius
        cy = self.hero_sub_y + round(self.sub_px * 0.9)
        return (self.hero[0] - r - 2, cy - r - 2, 2 * r + 4, 2 * r + 4)

    @property
    def spinner_radius(self) -> int:
        """Radius of the small spinner."""
        return max(6, round(self.sub_px * 0.3))

    @property
    def footer_box(self) -> Box:
        """The status line at the bottom left."""
        h = round(self.small_px * 0.9)
        return (self.margin, self.height - self.margin // 2 - h, self.width - 2 * self.margin, h)

    def bar_row(self, i: int) -> Box:
        """Box of score bar row ``i`` (rows never overlap)."""
        x, y, w, h = self.bars
        top, bottom = round(y + i * h / 7), round(y + (i + 1) * h / 7)
        return (x, top, w, bottom - top)


def _square(cx: int, cy: int, side: int, width: int, height: int) -> Box:
    x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
    x1, y1 = min(width, cx - side // 2 + side), min(height, cy - side // 2 + side)
    return (x0, y0, x1 - x0, y1 - y0)


def debug_height(small_px: int) -> int:
    """Height of the debug panel: :data:`DEBUG_LINES` lines and a margin."""
    return DEBUG_LINES * round(0.8 * small_px) + small_px


def _split_panel(
    panel: Box, width: int, m: int, gap1: int, small_px: int, landscape: bool, preview: bool, debug: bool
) -> tuple[Box, Box | None, Box | None, Box | None]:
    """Share the side (or lower) panel: preview on top, then the debug panel, then the bars.

    Returns:
        ``(bars, preview, corner, debug)``: the boxes left for the score bars, the face screens'
        preview, the message screens' corner preview and the debug panel (``None`` when off).
    """
    px, py, pw, ph = panel
    prev_box = debug_box = corner = None
    if preview:
        prev_h = min(round(pw * 3 / 4), round((0.3 if debug else 0.4) * ph))
        prev_box = (px, py, pw, prev_h)
        py, ph = py + prev_h + gap1, ph - prev_h - gap1
        cw = round((0.24 if landscape else 0.3) * width)
        corner = (width - m - cw, m, cw, round(cw * 3 / 4))
    if debug:
        if corner is not None and landscape:  # below the message screens' corner preview as well
            below = corner[1] + corner[3] + gap1
            py, ph = max(py, below), ph - max(0, below - py)
        dh = min(debug_height(small_px), max(0, ph - 7 * 12 - gap1))
        debug_box = (px, py, pw, dh)
        py, ph = py + dh + gap1, ph - dh - gap1
    return (px, py, pw, ph), prev_box, corner, debug_box


def make_layout(width: int, height: int, preview: bool, debug: bool = False) -> Layout:
    """Compute the layout for a surface size (landscape: emoji left, bars right; else stacked).

    Args:
        width: Surface width in pixels.
        height: Surface height in pixels.
        preview: Whether room is kept for the camera preview.
        debug: Whether room is kept for the debug panel.
    """
    landscape = width >= 1.2 * height
    base = round(min(height, width / 1.25))
    m = round(0.045 * base)
    title_px, sub_px, small_px = round(0.13 * base), round(0.075 * base), max(12, round(0.042 * base))
    gap1, gap2 = round(0.035 * base), round(0.01 * base)
    body_top, body_bot = m, height - m - round(small_px * 0.8)
    body_h = body_bot - body_top
    text_block = gap1 + round(0.7 * title_px) + gap2 + round(0.7 * sub_px)
    if landscape:
        left_w = round(0.5 * width) - m
        hero_x, hero_w = m, left_w
        top_h = body_h
        panel = (round(0.52 * width), body_top, width - m - round(0.52 * width), body_h)
        e = min(round(0.6 * base), round(0.85 * left_w), body_h - text_block)
    else:
        hero_x, hero_w = m, width - 2 * m
        top_h = round(0.52 * body_h)
        panel = (m, body_top + top_h + gap1, width - 2 * m, body_h - top_h - gap1)
        e = min(round(0.6 * width), top_h - text_block)
    block_top = body_top + (top_h - e - text_block) // 2
    emoji = (hero_x + hero_w // 2, block_top + e // 2, e)
    title_y = block_top + e + gap1 + round(0.35 * title_px)
    sub_y = title_y + round(0.35 * title_px) + gap2 + round(0.4 * sub_px)
    panel, prev_box, corner, debug_box = _split_panel(panel, width, m, gap1, small_px, landscape, preview, debug)
    # Message screens: the whole body, or (debug on) the part the debug panel leaves free.
    area_x, area_w, area_top, area_h = 0, width, body_top, body_h
    if debug and landscape:
        area_x, area_w = hero_x, hero_w
    elif debug:
        area_h = top_h
    hs = min(round(0.36 * base), round(0.45 * area_w), max(16, area_h - text_block - round(1.5 * gap1)))
    hero_block = hs + round(1.5 * gap1) + text_block
    hero_top = area_top + (area_h - hero_block) // 2
    hero_title_y = hero_top + hs + round(1.5 * gap1) + round(0.35 * title_px)
    return Layout(
        width=width,
        height=height,
        base=base,
        margin=m,
        title_px=title_px,
        sub_px=sub_px,
        small_px=small_px,
        emoji=emoji,
        title_y=title_y,
        sub_y=sub_y,
        text_x=hero_x + hero_w // 2,
        text_w=hero_w,
        bars=panel,
        preview=prev_box,
        hero=(area_x + area_w // 2, hero_top + hs // 2, hs),
        hero_title_y=hero_title_y,
        hero_sub_y=hero_title_y + round(0.35 * title_px) + gap2 + round(0.4 * sub_px),
        corner=corner,
        hero_text_w=area_w if debug and landscape else width - 2 * m,
        debug=debug_box,
    )
