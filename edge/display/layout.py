"""Where things go on the kiosk screen, computed from the surface size (800x480 up to 3840x2160)."""

from __future__ import annotations

from dataclasses import dataclass

from edge.display.theme import Box


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


def make_layout(width: int, height: int, preview: bool) -> Layout:
    """Compute the layout for a surface size (landscape: emoji left, bars right; else stacked).

    Args:
        width: Surface width in pixels.
        height: Surface height in pixels.
        preview: Whether room is kept for the camera preview.
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
    px, py, pw, ph = panel
    prev_box = None
    if preview:
        prev_h = min(round(pw * 3 / 4), round(0.4 * ph))
        prev_box = (px, py, pw, prev_h)
        panel = (px, py + prev_h + gap1, pw, ph - prev_h - gap1)
    hs = min(round(0.36 * base), round(0.45 * width))
    hero_block = hs + round(1.5 * gap1) + text_block
    hero_top = body_top + (body_h - hero_block) // 2
    hero_title_y = hero_top + hs + round(1.5 * gap1) + round(0.35 * title_px)
    corner = None
    if preview:
        cw = round((0.24 if landscape else 0.3) * width)
        corner = (width - m - cw, m, cw, round(cw * 3 / 4))
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
        hero=(width // 2, hero_top + hs // 2, hs),
        hero_title_y=hero_title_y,
        hero_sub_y=hero_title_y + round(0.35 * title_px) + gap2 + round(0.4 * sub_px),
        corner=corner,
    )
