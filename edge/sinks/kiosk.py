"""The kiosk display: a big emoji, the seven scores, an optional camera preview and debug overlay.

pygame (``pygame-ce``) is imported in :meth:`KioskSink.open` only, so headless installs never
need it. Everything is scaled from the surface size (800×480 up to 3840×2160). Nothing here
writes images anywhere; tests save ``KioskSink.surface`` themselves.
"""

from __future__ import annotations

import glob
import logging
import math
import mmap
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from edge.core.errors import ConfigError
from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.types import FrameReport
from edge.sinks.screen import NO_PYGAME, close_screen, open_screen, set_screen_mode

if TYPE_CHECKING:
    import pygame

    from edge.sinks.emoji_art import EmojiArt

log = logging.getLogger(__name__)

Color = tuple[int, int, int]
Box = tuple[int, int, int, int]

MODES: tuple[str, ...] = ("kiosk", "window")
#: Window size when none is given in window mode.
#: DRM device nodes checked by :func:`display_available` for the kiosk.
DRI_GLOB = "/dev/dri/card*"

BG: Color = (16, 20, 31)
BG_ERROR: Color = (40, 18, 24)
TEXT: Color = (245, 247, 250)
TEXT_DIM: Color = (150, 160, 178)
TRACK: Color = (40, 47, 64)
ROW_HI: Color = (32, 39, 57)
GREY: Color = (130, 140, 158)
IDLE: Color = (80, 180, 190)
AMBER: Color = (255, 183, 77)
RED: Color = (239, 83, 80)
PRIMARY_BOX: Color = (102, 220, 120)

LABEL_COLORS: dict[str, Color] = {
    "angry": (239, 83, 80),
    "disgust": (139, 195, 74),
    "fear": (179, 126, 230),
    "happy": (255, 202, 40),
    "sad": (66, 165, 245),
    "surprise": (255, 152, 0),
    "neutral": (176, 190, 197),
}
#: What the screen calls each class.
TITLES: dict[str, str] = {
    "angry": "Angry",
    "disgust": "Disgusted",
    "fear": "Scared",
    "happy": "Happy",
    "sad": "Sad",
    "surprise": "Surprised",
    "neutral": "Neutral",
}
#: Title and subtitle of the screens without an emoji.
MESSAGES: dict[str, tuple[str, str]] = {
    "no_face": ("Come closer", "show me a face"),
    "camera_lost": ("Camera not found", "check the cable — retrying…"),
    "starting": ("Starting…", ""),
}
UNSURE_TITLE = "Not sure"

KMSDRM_HINT = (
    "no KMS/DRM display: is a screen connected, is a desktop running (stop it, or use the window mode), "
    "is the user in groups video,render,input? try SDL_KMSDRM_DEVICE_INDEX=1 on a Pi 5"
)
NO_DESKTOP_HINT = (
    "no desktop for a window: $DISPLAY and $WAYLAND_DISPLAY are unset; run it from the desktop, "
    "export DISPLAY=:0, or use the kiosk mode on the console"
)
# Strings that are only present in an SDL build with that video driver compiled in.
_SDL_MARKERS: dict[str, bytes] = {
    "kmsdrm": b"KMSDRM\0",
    "x11": b"SDL_VIDEO_X11_NET_WM_PING",
    "wayland": b"SDL_VIDEO_WAYLAND_ALLOW_LIBDECOR",
}


@dataclass
class KioskOptions:
    """How the kiosk looks and behaves.

    Attributes:
        mode: ``kiosk`` (fullscreen, no cursor) or ``window``.
        size: Surface size; ``None`` is the desktop size in kiosk mode, 1024×600 in a window.
        show_preview: Show the camera image with face boxes (key ``p``).
        debug: Show FPS, per-stage latency and the model (key ``d``).
        font_path: Colour emoji font to use instead of the usual places.
        transition_ms: Cross-fade time between screens in milliseconds (0 = none).
        model_name: Model shown in the debug overlay.
        delegate: Where the model runs (``cpu``, ``edgetpu``), shown in the debug overlay.
        status_text: Optional callable giving a short line for the footer.
    """

    mode: str = "kiosk"
    size: tuple[int, int] | None = None
    show_preview: bool = False
    debug: bool = False
    font_path: str | None = None
    transition_ms: int = 250
    model_name: str = ""
    delegate: str = ""
    status_text: Callable[[], str] | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"display mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.size is not None and (len(self.size) != 2 or min(self.size) <= 0):
            raise ConfigError(f"display size {self.size!r} must be two positive numbers, e.g. 800x480")
        if self.transition_ms < 0:
            raise ConfigError(f"transition_ms {self.transition_ms} must be 0 or more")


def _desktop() -> str:
    return os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or ""


def _sdl_has_driver(name: str) -> bool | None:
    """Whether the SDL library pygame loaded has video driver ``name``; ``None`` when unknown."""
    marker = _SDL_MARKERS.get(name)
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            libs = {line.split()[-1] for line in maps if "libSDL2-2" in line}
    except OSError:
        return None
    if marker is None or not libs:
        return None
    for lib in libs:
        try:
            with open(lib, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if data.find(marker) >= 0:
                    return True
        except (OSError, ValueError):
            return None
    return False


def display_available(mode: str) -> tuple[bool, str]:
    """Check, without opening a window, whether the display for ``mode`` can work.

    Used by ``--display auto`` and by ``doctor``. Checks that pygame imports, that there is a
    desktop (window) or a readable ``/dev/dri/card*`` (kiosk without a desktop), and that SDL has
    the video driver needed.

    Args:
        mode: ``kiosk`` or ``window``.

    Returns:
        ``(ok, reason)``: the reason says what was found, or what to do when ``ok`` is False.
    """
    if mode not in MODES:
        return False, f"unknown display mode {mode!r}; use one of {', '.join(MODES)}"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame  # noqa: F401  (loads SDL, needed by _sdl_has_driver)
    except ImportError:
        return False, NO_PYGAME
    driver = os.environ.get("SDL_VIDEODRIVER", "").strip().lower()
    if driver in ("dummy", "offscreen"):
        return True, f"SDL_VIDEODRIVER={driver}: drawing off screen, nothing visible"
    desktop = _desktop()
    if driver in ("x11", "wayland") or (driver != "kmsdrm" and (mode == "window" or desktop)):
        if not desktop:
            return False, NO_DESKTOP_HINT
        wanted = driver or ("wayland" if os.environ.get("WAYLAND_DISPLAY") else "x11")
        if _sdl_has_driver(wanted) is False and _sdl_has_driver("x11") is False:
            return False, f"this pygame's SDL has no {wanted} driver: pip install pygame-ce"
        return True, f"desktop session {desktop}"
    cards = sorted(glob.glob(DRI_GLOB))
    if not cards:
        return False, "no /dev/dri/card*: no KMS driver loaded (Pi: dtoverlay=vc4-kms-v3d in config.txt)"
    usable = [card for card in cards if os.access(card, os.R_OK | os.W_OK)]
    if not usable:
        return False, (
            f"cannot open {cards[0]}: add the user to groups video,render,input "
            "(sudo usermod -aG video,render,input $USER) and log in again"
        )
    if _sdl_has_driver("kmsdrm") is False:
        return False, "this pygame's SDL has no KMS/DRM driver: pip uninstall pygame, then pip install pygame-ce"
    note = "; several cards: SDL_KMSDRM_DEVICE_INDEX picks one" if len(cards) > 1 else ""
    return True, f"KMS/DRM on {', '.join(usable)}{note}"


def _display_hint(mode: str) -> str:
    driver = os.environ.get("SDL_VIDEODRIVER", "").strip().lower()
    if driver == "kmsdrm" or (mode == "kiosk" and not _desktop()):
        return KMSDRM_HINT
    if not _desktop():
        return NO_DESKTOP_HINT
    return "is the desktop session running and may this user use it (XAUTHORITY)?"


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


def _ease(t: float) -> float:
    return 1 - (1 - t) ** 3


def _scores(raw: np.ndarray) -> np.ndarray:
    scores = np.nan_to_num(np.asarray(raw, dtype=np.float64).ravel(), nan=0.0)
    if scores.size != NUM_CLASSES:
        return np.zeros(NUM_CLASSES)
    return np.clip(scores, 0.0, 1.0)


class KioskSink:
    """Shows each frame report fullscreen (or in a window): the :class:`edge.sinks.Sink` for people.

    Keys: ``d`` debug overlay, ``f`` fullscreen/window, ``p`` camera preview, ``q``/``Esc`` quit.

    Args:
        options: Look and behaviour; defaults to a fullscreen kiosk.
        clock: Seconds, monotonic; drives transitions, animations and the FPS (injectable for tests).
    """

    def __init__(self, options: KioskOptions | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._opts = options or KioskOptions()
        self._clock = clock
        self._screen: pygame.Surface | None = None
        self._art: EmojiArt | None = None
        self._fullscreen = self._opts.mode == "kiosk"
        self._debug = self._opts.debug
        self._preview = self._opts.show_preview
        self._quit = False
        self._times: deque[float] = deque(maxlen=32)
        self._key: tuple[str, str | None] | None = None
        self._fade_from: pygame.Surface | None = None
        self._fade_t0 = 0.0
        self._layouts: dict[tuple[int, int, bool], Layout] = {}
        self._fonts: dict[int, pygame.font.Font] = {}
        self._texts: dict[tuple[str, int, Color, int], pygame.Surface] = {}
        self._glows: dict[tuple[Color, int, Color], pygame.Surface] = {}
        self._bar_geom: dict[Box, tuple[int, int, int]] = {}
        self._status_failed = False

    # -- Sink protocol -------------------------------------------------------------------------

    def open(self) -> None:
        """Open the window or fullscreen surface and show the starting screen.

        Raises:
            DisplayError: pygame is missing or the display cannot be opened; the message says why.
        """
        if self._screen is not None:
            return
        mode = self._opts.mode
        self._screen = open_screen(mode, self._opts.size, "Emojify Edge", _display_hint(mode))
        self._fullscreen = mode == "kiosk"
        import pygame

        from edge.sinks.emoji_art import EmojiArt

        self._art = EmojiArt(self._opts.font_path)
        screen = self.surface
        log.info("display open: %s %dx%d via SDL %s", mode, *screen.get_size(), pygame.display.get_driver())
        self._draw_message(screen, self._layout(), "starting", self._clock())
        pygame.display.flip()

    def handle(self, report: FrameReport) -> None:
        """Draw one report and flip the display.

        Args:
            report: The frame report; ``report.decision`` picks the screen.
        """
        import pygame

        if self._screen is None:
            raise RuntimeError("KioskSink is not open: call open() first")
        self._pump()  # first: the f key may replace the surface
        screen = self.surface
        now = self._clock()
        self._times.append(now)
        decision = report.decision
        key = ("face", decision.label) if decision.state == "face" else (decision.state, None)
        if key != self._key:
            if self._key is not None and self._opts.transition_ms > 0:
                self._fade_from = screen.copy()
                self._fade_t0 = now
            self._key = key
        progress = self._progress(now)
        lay = self._layout()
        if decision.state in ("face", "unsure"):
            self._draw_face(screen, lay, report, progress)
            box = lay.preview
        else:
            self._draw_message(screen, lay, decision.state, now)
            box = lay.corner
        if self._preview and box is not None:
            self._draw_preview(screen, report, box, lay)
        if self._fade_from is not None:
            if progress >= 1.0:
                self._fade_from = None
            else:
                # 254 at most: pygame-ce blits a surface with alpha 255 through a ~10x slower path.
                self._fade_from.set_alpha(min(254, round(255 * (1 - _ease(progress)))))
                screen.blit(self._fade_from, (0, 0))
        self._draw_footer(screen, lay)
        if self._debug:
            self._draw_debug(screen, lay, report)
        pygame.display.flip()

    def poll_quit(self) -> bool:
        """Handle pending window events; True once q, Esc or the window close button was pressed."""
        if self._screen is not None:
            self._pump()
        return self._quit

    def close(self) -> None:
        """Close the display; safe to call twice or without :meth:`open`."""
        if self._screen is None:
            return
        self._screen = None
        self._fade_from = None
        self._fonts.clear()
        self._texts.clear()
        close_screen()

    # -- public helpers ------------------------------------------------------------------------

    @property
    def surface(self) -> pygame.Surface:
        """The display surface (tests save it with ``pygame.image.save``).

        Raises:
            RuntimeError: The sink is not open.
        """
        if self._screen is None:
            raise RuntimeError("KioskSink is not open: call open() first")
        return self._screen

    @property
    def uses_emoji_font(self) -> bool:
        """True when the colour emoji font draws the emoji, False for the drawn fallback faces."""
        return self._art is not None and self._art.uses_font

    @property
    def fps(self) -> float:
        """Frames per second over the last :meth:`handle` calls (0.0 before two calls)."""
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    # -- state ---------------------------------------------------------------------------------

    def _set_mode(self, fullscreen: bool) -> None:
        self._screen = set_screen_mode(fullscreen, self._opts.size)
        self._fullscreen = fullscreen
        self._fade_from = None

    def _pump(self) -> None:
        import pygame

        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self._quit = True
            elif event.type == pygame.KEYDOWN:
                if event.key in (pygame.K_q, pygame.K_ESCAPE):
                    self._quit = True
                elif event.key == pygame.K_d:
                    self._debug = not self._debug
                elif event.key == pygame.K_p:
                    self._preview = not self._preview
                elif event.key == pygame.K_f:
                    self._set_mode(not self._fullscreen)

    def _progress(self, now: float) -> float:
        if self._fade_from is None or self._opts.transition_ms <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self._fade_t0) * 1000.0 / self._opts.transition_ms))

    def _layout(self) -> Layout:
        w, h = self.surface.get_size()
        key = (w, h, self._preview)
        lay = self._layouts.get(key)
        if lay is None:
            lay = self._layouts[key] = make_layout(w, h, self._preview)
        return lay

    # -- text ----------------------------------------------------------------------------------

    def _font(self, px: int) -> pygame.font.Font:
        import pygame

        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(None, px)
        return font

    def _text(self, text: str, px: int, color: Color, max_w: int = 0) -> pygame.Surface:
        """Rendered text (cached), shrunk to ``max_w`` pixels wide when it would not fit."""
        import pygame

        key = (text, px, color, max_w)
        surf = self._texts.get(key)
        if surf is None:
            surf = self._font(px).render(text, True, color)
            if 0 < max_w < surf.get_width():
                surf = pygame.transform.smoothscale(
                    surf, (max_w, max(1, surf.get_height() * max_w // surf.get_width()))
                )
            if len(self._texts) > 600:
                self._texts.clear()
            self._texts[key] = surf
        return surf

    def _blit_center(self, screen: pygame.Surface, surf: pygame.Surface, center: tuple[int, int]) -> None:
        screen.blit(surf, surf.get_rect(center=center))

    # -- screens -------------------------------------------------------------------------------

    def _glow(self, color: Color, size: int, background: Color) -> pygame.Surface:
        from edge.sinks.emoji_art import draw_glow

        key = (color, size, background)
        surf = self._glows.get(key)
        if surf is None:
            if len(self._glows) > 32:
                self._glows.clear()
            surf = self._glows[key] = draw_glow(size, color, background)
        return surf

    def _draw_face(self, screen: pygame.Surface, lay: Layout, report: FrameReport, progress: float) -> None:
        import pygame

        from edge.sinks.emoji_art import THINKING

        assert self._art is not None
        decision = report.decision
        unsure = decision.state == "unsure"
        label = decision.label if decision.label in LABELS else None
        screen.fill(BG)
        cx, cy, size = lay.emoji
        accent = GREY if unsure or label is None else LABEL_COLORS[label]
        self._blit_center(screen, self._glow(accent, round(size * 1.45), BG), (cx, cy))
        art = self._art.get(THINKING if unsure or label is None else label, size)
        if progress < 1.0:
            scale = 0.8 + 0.2 * _ease(progress)
            art = pygame.transform.smoothscale(art, (round(art.get_width() * scale), round(art.get_height() * scale)))
        self._blit_center(screen, art, (cx, cy))
        if unsure or label is None:
            title, sub = UNSURE_TITLE, (f"maybe {TITLES[label].lower()}?" if label else "")
        else:
            title, sub = TITLES[label], ""
        self._blit_center(screen, self._text(title, lay.title_px, TEXT, lay.text_w), (lay.text_x, lay.title_y))
        if sub:
            self._blit_center(screen, self._text(sub, lay.sub_px, TEXT_DIM, lay.text_w), (lay.text_x, lay.sub_y))
        self._draw_bars(screen, lay, _scores(decision.scores), label, unsure)

    def _bar_metrics(self, lay: Layout) -> tuple[int, int, int]:
        """``(font px, name column width, percent column width)`` for the bars box (cached)."""
        geom = self._bar_geom.get(lay.bars)
        if geom is None:
            _, _, w, h = lay.bars
            px = max(10, min(round(h / NUM_CLASSES * 0.6), round(0.062 * lay.base)))
            while True:
                font = self._font(px)
                name_w = max(font.size(TITLES[label])[0] for label in LABELS)
                pct_w = font.size("100%")[0]
                if name_w + pct_w <= 0.62 * w or px <= 10:
                    break
                px -= 1
            geom = self._bar_geom[lay.bars] = (px, name_w, pct_w)
        return geom

    def _draw_bars(self, screen: pygame.Surface, lay: Layout, scores: np.ndarray, shown: str | None, dim: bool) -> None:
        import pygame

        from edge.sinks.emoji_art import blend

        x, y, w, h = lay.bars
        px, name_w, pct_w = self._bar_metrics(lay)
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
            name = self._text(TITLES[label], px, text_color)
            screen.blit(name, name.get_rect(midleft=(x + pad, mid)))
            track = pygame.Rect(bar_x, mid - thick // 2, bar_w, thick)
            pygame.draw.rect(screen, TRACK, track, border_radius=thick // 2)
            score = float(scores[i])
            if score > 0.002:
                fill = track.copy()
                fill.width = max(thick, round(bar_w * score))
                pygame.draw.rect(screen, color, fill, border_radius=thick // 2)
            pct = self._text(f"{round(score * 100)}%", px, text_color)
            screen.blit(pct, pct.get_rect(midright=(x + w - pad, mid)))

    def _draw_message(self, screen: pygame.Surface, lay: Layout, state: str, now: float) -> None:
        from edge.sinks.emoji_art import blend, draw_camera_icon, draw_spinner

        title, sub = MESSAGES.get(state, (state, ""))
        cx, cy, size = lay.hero
        bg = BG_ERROR if state == "camera_lost" else BG
        screen.fill(bg)
        if state == "no_face":
            self._draw_idle(screen, (cx, cy), size, now)
        elif state == "camera_lost":
            draw_camera_icon(screen, (cx, cy), round(size * 0.8), AMBER, RED)
        else:
            self._blit_center(screen, self._glow(IDLE, round(size * 1.3), bg), (cx, cy))
            draw_spinner(screen, (cx, cy), round(size * 0.32), blend(bg, TEXT, 0.85), now)
        text_w = lay.width - 2 * lay.margin
        self._blit_center(screen, self._text(title, lay.title_px, TEXT, text_w), (cx, lay.hero_title_y))
        if sub:
            self._blit_center(screen, self._text(sub, lay.sub_px, TEXT_DIM, text_w), (cx, lay.hero_sub_y))
        if state == "camera_lost":
            r = max(6, round(lay.sub_px * 0.3))
            draw_spinner(screen, (cx, lay.hero_sub_y + round(lay.sub_px * 0.9)), r, TEXT_DIM, now)

    def _draw_idle(self, screen: pygame.Surface, center: tuple[int, int], size: int, now: float) -> None:
        """A slowly breathing soft circle with a calm closed-eyes face."""
        import pygame

        from edge.sinks.emoji_art import blend

        breath = 0.5 - 0.5 * math.cos(2 * math.pi * now / 5.0)
        r = size / 2 * (0.8 + 0.12 * breath)
        for i in range(8, 0, -1):
            pygame.draw.circle(screen, blend(BG, IDLE, 0.05 + 0.03 * (8 - i)), center, r * (1 + 0.06 * i))
        pygame.draw.circle(screen, blend(BG, IDLE, 0.7 + 0.15 * breath), center, r)
        ink = blend(BG, IDLE, 0.1)
        lw = max(2, round(r * 0.07))
        cx, cy = center
        for sx in (-1, 1):
            eye = pygame.Rect(0, 0, round(r * 0.36), round(r * 0.26))
            eye.center = (round(cx + sx * r * 0.36), round(cy - r * 0.12))
            pygame.draw.arc(screen, ink, eye, math.pi, 2 * math.pi, lw)
        mouth = pygame.Rect(0, 0, round(r * 0.5), round(r * 0.34))
        mouth.center = (cx, round(cy + r * 0.22))
        pygame.draw.arc(screen, ink, mouth, math.pi * 1.1, math.pi * 1.9, lw)

    def _draw_preview(self, screen: pygame.Surface, report: FrameReport, box: Box, lay: Layout) -> None:
        """The camera image fitted into ``box`` with the face boxes (the primary one in green)."""
        import pygame

        frame = report.frame
        img = frame.preview if frame.preview is not None else frame.gray
        if img is None or img.size == 0 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
            return
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        img = np.ascontiguousarray(img, dtype=np.uint8)
        ih, iw = img.shape[:2]
        bx, by, bw, bh = box
        scale = min(bw / iw, bh / ih)
        tw, th = max(1, round(iw * scale)), max(1, round(ih * scale))
        dst = pygame.Rect(bx + (bw - tw) // 2, by, tw, th)
        surf = pygame.image.frombuffer(img.data, (iw, ih), "RGB")
        screen.blit(pygame.transform.smoothscale(surf, (tw, th)), dst)
        gh, gw = frame.gray.shape[:2] if frame.gray.size else (ih, iw)
        sx, sy = tw / gw, th / gh
        line = max(2, round(lay.base / 240))
        for i, face in enumerate(report.faces):
            b = face.box
            rect = pygame.Rect(dst.x + round(b.x * sx), dst.y + round(b.y * sy), round(b.w * sx), round(b.h * sy))
            primary = i == report.primary
            pygame.draw.rect(
                screen, PRIMARY_BOX if primary else TEXT_DIM, rect.clip(dst), line * 2 if primary else line
            )
        pygame.draw.rect(screen, TRACK, dst.inflate(line * 2, line * 2), line, border_radius=line * 2)

    def _draw_footer(self, screen: pygame.Surface, lay: Layout) -> None:
        provider = self._opts.status_text
        if provider is None:
            return
        try:
            text = provider()
        except Exception:  # a broken status line must never take the display down
            if not self._status_failed:
                self._status_failed = True
                log.exception("status_text provider failed; footer left empty")
            return
        if text:
            surf = self._text(text, lay.small_px, TEXT_DIM, lay.width - 2 * lay.margin)
            screen.blit(surf, surf.get_rect(bottomleft=(lay.margin, lay.height - lay.margin // 2)))

    def _draw_debug(self, screen: pygame.Surface, lay: Layout, report: FrameReport) -> None:
        """FPS from the handle() times, per-stage latency, model and decision, top left."""
        import pygame

        fps = self.fps
        d = report.decision
        model = self._opts.model_name or "?"
        rows = [("fps", f"{fps:.1f}"), ("model", f"{model} ({self._opts.delegate})" if self._opts.delegate else model)]
        rows += [(stage, f"{ms:.1f} ms") for stage, ms in report.latency_ms.items()]
        rows += [("state", f"{d.state} {d.label or '-'} {d.confidence:.2f}"), ("faces", str(len(report.faces)))]
        rows.append(("art", "colour font" if self.uses_emoji_font else "drawn faces"))
        font = self._font(lay.small_px)
        key_w = max(font.size(k)[0] for k, _ in rows) + lay.small_px
        val_w = max(font.size(v)[0] for _, v in rows)
        line_h = font.get_linesize()
        pad = lay.small_px // 2
        panel = pygame.Surface((key_w + val_w + 2 * pad, line_h * len(rows) + 2 * pad), pygame.SRCALPHA)
        panel.fill((0, 0, 0, 185))
        for i, (k, v) in enumerate(rows):
            panel.blit(font.render(k, True, TEXT_DIM), (pad, pad + i * line_h))
            panel.blit(font.render(v, True, TEXT), (pad + key_w, pad + i * line_h))
        screen.blit(panel, (lay.margin // 2, lay.margin // 2))
