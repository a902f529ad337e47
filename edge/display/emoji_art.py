"""Emoji artwork for the kiosk and capture screens: Noto Color Emoji when installed, drawn faces when not.

pygame is imported by each function that draws (the module imports without it). Every surface
is made once per ``(key, size)`` and cached; nothing here runs per frame except the small icon
helpers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from edge.core.labels import EMOJI
from edge.display.theme import Color, blend, find_emoji_font

if TYPE_CHECKING:
    import pygame

log = logging.getLogger(__name__)

#: Artwork key for the "not sure" face.
THINKING = "thinking"
#: Code point drawn for :data:`THINKING`.
THINKING_EMOJI = "\U0001f914"  # 🤔
#: Noto Color Emoji has one bitmap strike: any size renders at 109 px and is scaled afterwards.
STRIKE = 109

Point = tuple[float, float]

_OUTLINE: Color = (150, 95, 10)
_INK: Color = (60, 35, 20)
_SKIN: dict[str, Color] = {
    "angry": (244, 120, 72),
    "disgust": (165, 205, 95),
    "fear": (190, 210, 240),
}
_YELLOW: Color = (255, 204, 64)
_logged: set[str] = set()


def _log_once(level: int, message: str, *args: object) -> None:
    if message not in _logged:
        _logged.add(message)
        log.log(level, message, *args)


class EmojiArt:
    """Makes emoji surfaces of any size, from the colour font or drawn by hand.

    Args:
        font_path: Optional emoji font override (see :func:`find_emoji_font`).
    """

    def __init__(self, font_path: str | None = None) -> None:
        import pygame

        self._font: pygame.font.Font | None = None
        self._cache: dict[tuple[str, int], pygame.Surface] = {}
        path = find_emoji_font(font_path)
        if path is not None:
            try:
                self._font = pygame.font.Font(str(path), STRIKE)
            except (pygame.error, OSError) as exc:
                log.warning("cannot load emoji font %s (%s)", path, exc)
        if self._font is not None:
            _log_once(logging.INFO, "emoji artwork: colour font %s", path)
        else:
            _log_once(
                logging.WARNING,
                "emoji artwork: no colour emoji font found, drawing simple faces instead "
                "(install fonts-noto-color-emoji or set [display] font in the config)",
            )

    @property
    def uses_font(self) -> bool:
        """True when the colour emoji font is used, False for the drawn fallback."""
        return self._font is not None

    def get(self, key: str, size: int) -> pygame.Surface:
        """Return the artwork for ``key`` fitted into a ``size`` × ``size`` square (cached).

        Args:
            key: A label from :data:`edge.core.labels.LABELS` or :data:`THINKING`.
            size: Edge of the square in pixels.
        """
        import pygame

        size = max(8, int(size))
        surf = self._cache.get((key, size))
        if surf is None:
            surf = self._render_font(key, size) if self._font is not None else draw_face(key, size)
            if pygame.display.get_surface() is not None:
                surf = surf.convert_alpha()
            self._cache[(key, size)] = surf
        return surf

    def _render_font(self, key: str, size: int) -> pygame.Surface:
        import pygame

        assert self._font is not None
        char = THINKING_EMOJI if key == THINKING else EMOJI.get(key, THINKING_EMOJI)
        base = self._font.render(char, True, (255, 255, 255))
        w, h = base.get_size()
        scale = size / max(w, h, 1)
        return pygame.transform.smoothscale(base, (max(1, round(w * scale)), max(1, round(h * scale))))


def _curve(x0: float, x1: float, y: float, sag: float, n: int = 18) -> list[Point]:
    """Points of a parabola from ``(x0, y)`` to ``(x1, y)`` whose middle is ``sag`` lower."""
    pts = []
    for i in range(n + 1):
        t = -1 + 2 * i / n
        pts.append((x0 + (x1 - x0) * (t + 1) / 2, y + sag * (1 - t * t)))
    return pts


class _Pen:
    """Drawing on a face surface in face units: the centre is (0, 0), the radius is 1."""

    def __init__(self, surf: pygame.Surface, c: float, r: float, lw: int) -> None:
        self.surf, self.c, self.r, self.lw = surf, c, r, lw

    def p(self, x: float, y: float) -> tuple[int, int]:
        return round(self.c + x * self.r), round(self.c + y * self.r)

    def ps(self, points: Sequence[Point]) -> list[tuple[int, int]]:
        return [self.p(x, y) for x, y in points]

    def ellipse(self, x: float, y: float, w: float, h: float, color: Color) -> None:
        import pygame

        rect = pygame.Rect(self.p(x - w / 2, y - h / 2), (round(w * self.r), round(h * self.r)))
        pygame.draw.ellipse(self.surf, color, rect)

    def line(self, a: Point, b: Point, width: int | None = None) -> None:
        import pygame

        width = self.lw if width is None else width
        pygame.draw.line(self.surf, _INK, self.p(*a), self.p(*b), width)
        for end in (a, b):  # round caps
            pygame.draw.circle(self.surf, _INK, self.p(*end), width / 2)

    def lines(self, points: Sequence[Point]) -> None:
        import pygame

        pygame.draw.lines(self.surf, _INK, False, self.ps(points), self.lw)

    def polygon(self, points: Sequence[Point], color: Color) -> None:
        import pygame

        pygame.draw.polygon(self.surf, color, self.ps(points))


_EYE_W, _EYE_H = 0.15, 0.26


def _happy(pen: _Pen, key: str) -> None:
    for sx in (-1, 1):  # smiling closed eyes
        pen.lines(_curve(sx * 0.35 - 0.15, sx * 0.35 + 0.15, -0.15, -0.12))
    pen.polygon(_curve(-0.55, 0.55, 0.18, 0.05) + _curve(0.55, -0.55, 0.18, 0.5), (110, 30, 30))
    pen.polygon(_curve(-0.5, 0.5, 0.2, 0.05) + _curve(0.48, -0.48, 0.2, 0.12), (255, 255, 255))


def _disgust(pen: _Pen, key: str) -> None:
    for sx in (-1, 1):  # squinting
        pen.line((sx * 0.35 - 0.13, -0.18), (sx * 0.35 + 0.13, -0.18))
    pen.lines([(-0.42 + 0.14 * i, 0.45 + (0.07 if i % 2 else -0.05)) for i in range(7)])
    pen.line((-0.55, -0.42), (-0.2, -0.36))
    pen.line((0.2, -0.36), (0.55, -0.42))


def _wide_eyes(pen: _Pen, key: str) -> None:
    big = 1.35 if key == "fear" else 1.15
    for sx in (-1, 1):
        pen.ellipse(sx * 0.35, -0.15, _EYE_W * 1.6 * big, _EYE_H * big, (255, 255, 255))
        pen.ellipse(sx * 0.35, -0.13, _EYE_W * 0.8, _EYE_H * 0.55, _INK)
    if key == "fear":
        pen.line((-0.6, -0.5), (-0.2, -0.62))
        pen.line((0.2, -0.62), (0.6, -0.5))
        pen.ellipse(0.0, 0.48, 0.62, 0.26, (90, 25, 25))
    else:
        pen.lines(_curve(-0.55, -0.18, -0.52, -0.08))
        pen.lines(_curve(0.18, 0.55, -0.52, -0.08))
        pen.ellipse(0.0, 0.45, 0.3, 0.38, (90, 25, 25))


def _dot_eyes(pen: _Pen, key: str) -> None:
    for sx in (-1, 1):
        pen.ellipse(sx * 0.35, -0.15, _EYE_W, _EYE_H, _INK)
    if key == "sad":
        pen.line((-0.55, -0.38), (-0.2, -0.5))
        pen.line((0.2, -0.5), (0.55, -0.38))
        pen.lines(_curve(-0.35, 0.35, 0.55, -0.2))
        pen.polygon([(-0.35, 0.02), (-0.43, 0.2), (-0.35, 0.27), (-0.27, 0.2)], (80, 170, 245))
    elif key == "angry":
        pen.line((-0.6, -0.48), (-0.15, -0.3), round(pen.lw * 1.4))
        pen.line((0.15, -0.3), (0.6, -0.48), round(pen.lw * 1.4))
        pen.lines(_curve(-0.3, 0.3, 0.55, -0.15))
    elif key == THINKING:
        pen.line((-0.55, -0.52), (-0.18, -0.6))
        pen.line((0.18, -0.42), (0.55, -0.42))
        pen.line((-0.25, 0.5), (0.3, 0.4))
    else:  # neutral and anything unknown
        pen.line((-0.3, 0.45), (0.3, 0.45))


#: The features drawn for each key (anything else gets dot eyes and a straight mouth).
_FEATURES = {"happy": _happy, "disgust": _disgust, "fear": _wide_eyes, "surprise": _wide_eyes}


def draw_face(key: str, size: int) -> pygame.Surface:
    """Draw a simple expression face without any font (the fallback artwork).

    Drawn at twice the size and scaled down for smooth edges.

    Args:
        key: A label from :data:`edge.core.labels.LABELS` or :data:`THINKING`.
        size: Edge of the square in pixels.
    """
    import pygame

    s = max(8, int(size)) * 2
    surf = pygame.Surface((s, s), pygame.SRCALPHA)
    c, r = s / 2, s * 0.46
    pygame.draw.circle(surf, _OUTLINE, (c, c), r)
    pygame.draw.circle(surf, _SKIN.get(key, _YELLOW), (c, c), r - max(2, r * 0.04))
    _FEATURES.get(key, _dot_eyes)(_Pen(surf, c, r, max(2, round(r * 0.07))), key)
    return pygame.transform.smoothscale(surf, (s // 2, s // 2))


def draw_glow(size: int, color: Color, background: Color, strength: float = 0.35) -> pygame.Surface:
    """A soft round glow pre-blended onto ``background`` (no per-pixel alpha needed).

    Args:
        size: Edge of the square surface.
        color: Colour at the centre (mixed with the background by ``strength``).
        background: The solid colour the glow sits on.
        strength: How much of ``color`` shows at the centre, 0..1.
    """
    import pygame

    surf = pygame.Surface((size, size))
    surf.fill(background)
    steps = 14
    for i in range(steps):
        t = i / (steps - 1)  # 0 outside -> 1 centre
        mix = strength * t * t
        pygame.draw.circle(surf, blend(background, color, mix), (size / 2, size / 2), size / 2 * (1 - 0.6 * t))
    return surf


def draw_camera_icon(surface: pygame.Surface, center: tuple[int, int], size: int, color: Color, slash: Color) -> None:
    """Draw a camera with a slash through it (the "camera lost" icon).

    Args:
        surface: Target surface.
        center: Icon centre in pixels.
        size: Icon width in pixels.
        color: Camera colour.
        slash: Colour of the diagonal slash.
    """
    import pygame

    cx, cy = center
    w, h = size, round(size * 0.62)
    lw = max(3, size // 18)
    body = pygame.Rect(0, 0, w, h)
    body.center = (cx, cy + size // 16)
    bump = pygame.Rect(0, 0, w // 3, h // 5)
    bump.midbottom = (cx, body.top + lw)
    pygame.draw.rect(surface, color, bump, border_radius=lw)
    pygame.draw.rect(surface, color, body, lw, border_radius=size // 8)
    pygame.draw.circle(surface, color, body.center, h * 0.3, lw)
    a = (cx - w * 0.55, cy - h * 0.75)
    b = (cx + w * 0.55, cy + h * 0.85)
    pygame.draw.line(surface, slash, a, b, round(lw * 1.4))


def draw_spinner(surface: pygame.Surface, center: tuple[int, int], radius: int, color: Color, now: float) -> None:
    """Draw a rotating arc so the screen visibly stays alive while waiting.

    Args:
        surface: Target surface.
        center: Centre in pixels.
        radius: Radius in pixels.
        color: Arc colour.
        now: Time in seconds (drives the rotation).
    """
    import pygame

    rect = pygame.Rect(0, 0, 2 * radius, 2 * radius)
    rect.center = center
    start = -now * 2 * math.pi * 0.8
    pygame.draw.arc(surface, color, rect, start, start + 1.5 * math.pi, max(3, radius // 5))


#: Seconds of one breath of the idle face.
BREATH_PERIOD = 5.0


def breath_at(now: float) -> float:
    """How far the idle face has breathed in at ``now``: 0 (out) to 1 (in), one breath per period."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * now / BREATH_PERIOD)


def draw_idle_face(
    screen: pygame.Surface, center: tuple[int, int], size: int, breath: float, background: Color, color: Color
) -> None:
    """A slowly breathing soft circle with a calm closed-eyes face (the "come closer" screen).

    Args:
        screen: Target surface.
        center: Centre in pixels.
        size: Diameter of the face at rest, in pixels.
        breath: :func:`breath_at` the time drawn.
        background: The colour around it.
        color: The face's colour.
    """
    import pygame

    r = size / 2 * (0.8 + 0.12 * breath)
    for i in range(8, 0, -1):
        pygame.draw.circle(screen, blend(background, color, 0.05 + 0.03 * (8 - i)), center, r * (1 + 0.06 * i))
    pygame.draw.circle(screen, blend(background, color, 0.7 + 0.15 * breath), center, r)
    ink = blend(background, color, 0.1)
    lw = max(2, round(r * 0.07))
    cx, cy = center
    for sx in (-1, 1):
        eye = pygame.Rect(0, 0, round(r * 0.36), round(r * 0.26))
        eye.center = (round(cx + sx * r * 0.36), round(cy - r * 0.12))
        pygame.draw.arc(screen, ink, eye, math.pi, 2 * math.pi, lw)
    mouth = pygame.Rect(0, 0, round(r * 0.5), round(r * 0.34))
    mouth.center = (cx, round(cy + r * 0.22))
    pygame.draw.arc(screen, ink, mouth, math.pi * 1.1, math.pi * 1.9, lw)
