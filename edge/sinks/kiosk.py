"""The kiosk sink: a big emoji, the seven scores, an optional camera preview and debug overlay, and the keys.

pygame (``pygame-ce``) is imported by the methods that draw, so headless installs never need
it. Looks come from :mod:`edge.display` (theme, layout, artwork); everything is scaled from the
surface size (800×480 up to 3840×2160). Nothing here writes images anywhere; tests save
``KioskSink.surface`` themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from edge.core.errors import ConfigError
from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.stats import RateMeter
from edge.core.types import FrameReport, RunInfo
from edge.display.camera_view import draw_preview
from edge.display.emoji_art import THINKING, EmojiArt, draw_camera_icon, draw_glow, draw_idle_face, draw_spinner
from edge.display.layout import Layout, make_layout
from edge.display.modes import SCREEN_MODES
from edge.display.probe import display_hint
from edge.display.score_bars import ScoreBars
from edge.display.screen import check_screen, close_screen, open_screen, set_screen_mode
from edge.display.text import TextCache, blit_center
from edge.display.theme import (
    AMBER,
    BG,
    BG_ERROR,
    GREY,
    IDLE,
    LABEL_COLORS,
    RED,
    TEXT,
    TEXT_DIM,
    TITLES,
    UNSURE_TITLE,
    Color,
    blend,
    message_text,
)
from edge.sinks.base import NullSink, SinkSetup
from edge.sinks.fallback import FallbackSink
from edge.sinks.jsonlog import json_lines

if TYPE_CHECKING:
    import pygame

log = logging.getLogger(__name__)


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
        status_text: Optional callable giving a short line for the footer.
    """

    mode: str = "kiosk"
    size: tuple[int, int] | None = None
    show_preview: bool = False
    debug: bool = False
    font_path: str | None = None
    transition_ms: int = 250
    status_text: Callable[[], str] | None = None

    def __post_init__(self) -> None:
        if self.mode not in SCREEN_MODES:
            raise ConfigError(f"display mode {self.mode!r} is not one of {', '.join(SCREEN_MODES)}")
        if self.size is not None and (len(self.size) != 2 or min(self.size) <= 0):
            raise ConfigError(f"display size {self.size!r} must be two positive numbers, e.g. 800x480")
        if self.transition_ms < 0:
            raise ConfigError(f"transition_ms {self.transition_ms} must be 0 or more")


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
        self._rate = RateMeter(32)
        self._info = RunInfo()
        self._key: tuple[str, str | None] | None = None
        self._fade_from: pygame.Surface | None = None
        self._fade_t0 = 0.0
        self._layouts: dict[tuple[int, int, bool], Layout] = {}
        self._texts = TextCache()
        self._bars = ScoreBars(self._texts)
        self._glows: dict[tuple[Color, int, Color], pygame.Surface] = {}
        self._status_failed = False

    # -- Sink protocol -------------------------------------------------------------------------

    def open(self, info: RunInfo | None = None) -> None:
        """Open the window or fullscreen surface and show the starting screen.

        Args:
            info: What this run is made of (the debug overlay shows the model and delegate).

        Raises:
            DisplayError: pygame is missing or the display cannot be opened; the message says why.
        """
        import pygame

        if self._screen is not None:
            return
        self._info = info or RunInfo()
        mode = self._opts.mode
        self._screen = open_screen(mode, self._opts.size, "Emojify Edge", display_hint(mode))
        self._fullscreen = mode == "kiosk"
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
        self._rate.tick(now)
        decision = report.decision
        key = ("face", decision.label) if decision.state == "face" else (decision.state, report.camera_fault)
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
            self._draw_message(screen, lay, decision.state, now, report.camera_fault)
            box = lay.corner
        if self._preview and box is not None:
            draw_preview(screen, report, box, max(2, round(lay.base / 240)))
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
        check_screen()

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
        return self._rate.rate

    # -- state ---------------------------------------------------------------------------------

    def _set_mode(self, fullscreen: bool) -> None:
        self._screen = set_screen_mode(fullscreen, self._opts.size)
        self._fullscreen = fullscreen
        self._fade_from = None

    def _pump(self) -> None:
        import pygame

        events = pygame.event.get()
        check_screen()
        for event in events:
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
        return self._texts.font(px)

    def _text(self, text: str, px: int, color: Color, max_w: int = 0) -> pygame.Surface:
        return self._texts.render(text, px, color, max_w)

    # -- screens -------------------------------------------------------------------------------

    def _glow(self, color: Color, size: int, background: Color) -> pygame.Surface:
        key = (color, size, background)
        surf = self._glows.get(key)
        if surf is None:
            if len(self._glows) > 32:
                self._glows.clear()
            surf = self._glows[key] = draw_glow(size, color, background)
        return surf

    def _draw_face(self, screen: pygame.Surface, lay: Layout, report: FrameReport, progress: float) -> None:
        import pygame

        assert self._art is not None
        decision = report.decision
        unsure = decision.state == "unsure"
        label = decision.label if decision.label in LABELS else None
        screen.fill(BG)
        cx, cy, size = lay.emoji
        accent = GREY if unsure or label is None else LABEL_COLORS[label]
        blit_center(screen, self._glow(accent, round(size * 1.45), BG), (cx, cy))
        art = self._art.get(THINKING if unsure or label is None else label, size)
        if progress < 1.0:
            scale = 0.8 + 0.2 * _ease(progress)
            art = pygame.transform.smoothscale(art, (round(art.get_width() * scale), round(art.get_height() * scale)))
        blit_center(screen, art, (cx, cy))
        if unsure or label is None:
            title, sub = UNSURE_TITLE, (f"maybe {TITLES[label].lower()}?" if label else "")
        else:
            title, sub = TITLES[label], ""
        blit_center(screen, self._text(title, lay.title_px, TEXT, lay.text_w), (lay.text_x, lay.title_y))
        if sub:
            blit_center(screen, self._text(sub, lay.sub_px, TEXT_DIM, lay.text_w), (lay.text_x, lay.sub_y))
        self._bars.draw(screen, lay, _scores(decision.scores), label, unsure)

    def _draw_message(
        self, screen: pygame.Surface, lay: Layout, state: str, now: float, fault: str | None = None
    ) -> None:
        title, sub = message_text(state, fault)
        cx, cy, size = lay.hero
        bg = BG_ERROR if state == "camera_lost" else BG
        screen.fill(bg)
        if state == "no_face":
            draw_idle_face(screen, (cx, cy), size, now, BG, IDLE)
        elif state == "camera_lost":
            draw_camera_icon(screen, (cx, cy), round(size * 0.8), AMBER, RED)
        else:
            blit_center(screen, self._glow(IDLE, round(size * 1.3), bg), (cx, cy))
            draw_spinner(screen, (cx, cy), round(size * 0.32), blend(bg, TEXT, 0.85), now)
        text_w = lay.width - 2 * lay.margin
        blit_center(screen, self._text(title, lay.title_px, TEXT, text_w), (cx, lay.hero_title_y))
        if sub:
            blit_center(screen, self._text(sub, lay.sub_px, TEXT_DIM, text_w), (cx, lay.hero_sub_y))
        if state == "camera_lost":
            r = max(6, round(lay.sub_px * 0.3))
            draw_spinner(screen, (cx, lay.hero_sub_y + round(lay.sub_px * 0.9)), r, TEXT_DIM, now)

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
        rows = [("fps", f"{fps:.1f}"), ("model", self._info.model_on or "?")]
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


def from_config(setup: SinkSetup) -> FallbackSink | None:
    """The kiosk for this run when there is a screen (see :mod:`edge.sinks.registry`).

    With ``display.mode = auto`` a screen that fails (at start or later) falls back to JSON lines on
    standard output (or to nothing when a log file already records everything); a screen that was
    asked for by name fails with a clear error instead.
    """
    if setup.display == "none":
        return None
    display = setup.config.display
    size = (display.width, display.height) if display.width and display.height else None
    options = KioskOptions(
        mode=setup.display, size=size, show_preview=display.preview, debug=display.debug, font_path=display.font or None
    )
    fallback: Callable[[], object] = (lambda: json_lines(setup)) if setup.log_path is None else NullSink
    return FallbackSink(KioskSink(options), fallback, required=display.mode != "auto")  # type: ignore[arg-type]
