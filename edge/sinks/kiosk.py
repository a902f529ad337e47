"""The kiosk sink: a big emoji, its name and percentage, the seven scores, an optional preview and debug panel.

pygame (``pygame-ce``) is imported by the methods that draw, so headless installs never need
it. Looks come from :mod:`edge.display` (theme, layout, artwork, the screens' elements);
everything is scaled from the surface size (800×480 up to 3840×2160, portrait too). Nothing here
writes images anywhere; tests save ``KioskSink.surface`` themselves.

How it stays cheap: the loop hands every report to :meth:`KioskSink.handle`, which keeps the
newest and draws at most once per display refresh (a faster camera does not cost more frames);
a frame repaints only the boxes whose content changed (:mod:`edge.display.scene`) and updates
only those on the display, so a steady emoji costs next to nothing. Animations (the cross-fade,
the idle face's breath, spinners) follow the kiosk's clock, not the camera's frame rate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edge.core.errors import ConfigError
from edge.core.stats import RateMeter
from edge.core.types import FrameReport, RunInfo
from edge.display.art_fade import half_size
from edge.display.debug_panel import Row
from edge.display.elements import Glows, Look
from edge.display.emoji_art import THINKING, EmojiArt
from edge.display.layout import GLOW_SCALE, Layout, make_layout
from edge.display.modes import SCREEN_MODES
from edge.display.probe import display_hint
from edge.display.scene import Scene
from edge.display.screen import check_screen, close_screen, open_screen, set_screen_mode
from edge.display.screens import FACE_STATES, FaceScreen, MessageScreen, ScreenFrame, look_of
from edge.display.text import TextCache
from edge.display.theme import BG, LABEL_COLORS
from edge.display.transition import LEVELS, Transition
from edge.sinks.base import NullSink, SinkSetup
from edge.sinks.fallback import FallbackSink
from edge.sinks.jsonlog import json_lines

if TYPE_CHECKING:
    import pygame

log = logging.getLogger(__name__)

#: Display refresh rate assumed when SDL does not know it (Hz).
DEFAULT_REFRESH = 60.0
#: How early (in frame intervals) a report may come and still be drawn at once.
JITTER = 0.25
#: What changes the screen: the state, the label and (camera lost) the cause.
ScreenKey = tuple[str, str | None, str | None]


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
        max_fps: Most frames drawn per second; ``None`` is the display's refresh rate.
    """

    mode: str = "kiosk"
    size: tuple[int, int] | None = None
    show_preview: bool = False
    debug: bool = False
    font_path: str | None = None
    transition_ms: int = 250
    status_text: Callable[[], str] | None = None
    max_fps: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in SCREEN_MODES:
            raise ConfigError(f"display mode {self.mode!r} is not one of {', '.join(SCREEN_MODES)}")
        if self.size is not None and (len(self.size) != 2 or min(self.size) <= 0):
            raise ConfigError(f"display size {self.size!r} must be two positive numbers, e.g. 800x480")
        if self.transition_ms < 0:
            raise ConfigError(f"transition_ms {self.transition_ms} must be 0 or more")
        if self.max_fps is not None and not self.max_fps > 0:
            raise ConfigError(f"max_fps {self.max_fps} must be more than 0")


def screen_key(report: FrameReport) -> ScreenKey:
    """What on screen a report asks for: state, label, and the cause while the camera is lost."""
    d = report.decision
    fault = report.camera_fault if d.state == "camera_lost" else None
    return (d.state, d.label if d.state in FACE_STATES else None, fault)


class KioskSink:
    """Shows each frame report fullscreen (or in a window): the :class:`edge.sinks.Sink` for people.

    Keys: ``d`` debug panel, ``f`` fullscreen/window, ``p`` camera preview, ``q``/``Esc`` quit.

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
        self._texts = TextCache()
        self._scene = Scene()
        self._screens: dict[tuple[object, ...], FaceScreen | MessageScreen] = {}
        self._glows: dict[int, Glows] = {}
        self._layouts: dict[tuple[int, int, bool, bool], Layout] = {}
        self._key: ScreenKey = ("starting", None, None)
        self._look = Look(THINKING, BG)
        self._from: Look | None = None
        self._transition: Transition | None = None
        self._report: FrameReport | None = None
        self._seq = 0
        self._interval = 1.0 / (self._opts.max_fps or DEFAULT_REFRESH)
        self._next_frame = 0.0
        self._draw_ms = 0.0
        self._status_failed = False
        self.frames_drawn = 0

    # -- Sink protocol -------------------------------------------------------------------------

    def open(self, info: RunInfo | None = None) -> None:
        """Open the window or fullscreen surface and show the starting screen.

        Args:
            info: What this run is made of (the debug panel shows the model and delegate).

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
        refresh = pygame.display.get_current_refresh_rate() or DEFAULT_REFRESH
        self._interval = 1.0 / (self._opts.max_fps or refresh)
        self._art = EmojiArt(self._opts.font_path)
        screen = self.surface
        log.info("display open: %s %dx%d via SDL %s", mode, *screen.get_size(), pygame.display.get_driver())
        self._render(self._clock())
        self._warm_up()

    def handle(self, report: FrameReport) -> None:
        """Take the newest report; draw it when the display is due for a frame and something changed.

        Args:
            report: The frame report; ``report.decision`` picks the screen.
        """
        if self._screen is None:
            raise RuntimeError("KioskSink is not open: call open() first")
        self._pump()  # first: the f key may replace the surface
        now = self._clock()
        self._rate.tick(now)
        self._report = report
        self._seq += 1
        self._change_to(screen_key(report), now)
        if now >= self._next_frame - JITTER * self._interval:
            self._render(now)

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
        self._forget()
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
        """Reports per second over the last :meth:`handle` calls (0.0 before two calls)."""
        return self._rate.rate

    @property
    def layout(self) -> Layout:
        """The layout in use (what the keys p and d chose, at the surface's size)."""
        w, h = self.surface.get_size()
        key = (w, h, self._preview, self._debug)
        lay = self._layouts.get(key)
        if lay is None:
            lay = self._layouts[key] = make_layout(w, h, self._preview, self._debug)
        return lay

    # -- state ---------------------------------------------------------------------------------

    def _forget(self) -> None:
        """Drop every screen and cached surface (the surface was replaced or closed)."""
        self._scene.invalidate()
        self._screens.clear()
        self._glows.clear()
        self._layouts.clear()

    def _set_mode(self, fullscreen: bool) -> None:
        self._screen = set_screen_mode(fullscreen, self._opts.size)
        check_screen()
        self._fullscreen = fullscreen
        self._forget()

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

    def _change_to(self, key: ScreenKey, now: float) -> None:
        """Start the transition to screen ``key`` (nothing when it is already shown)."""
        if key == self._key:
            return
        previous, self._key = self._key, key
        face = key[0] in FACE_STATES
        cross = face and previous[0] in FACE_STATES
        running = self._transition
        if cross and not (running is not None and running.cross and running.mix(now) < LEVELS // 2):
            self._from = self._look  # fade from what is most visible now
        elif not cross:
            self._from = None
        if face:
            self._look = look_of(key[0], key[1])
        # While the camera is away the loop reports a few times a second: a fade would show its
        # first, empty frame until the next report, so the camera-lost screen comes at once.
        duration = 0.0 if key[0] == "camera_lost" else self._opts.transition_ms / 1000.0
        self._transition = Transition(now, duration, cross) if duration > 0 else None

    # -- drawing -------------------------------------------------------------------------------

    def _warm_up(self) -> None:
        """Make the emoji artwork and glows at this size now, while the starting screen shows.

        A glow takes several milliseconds to make (tens at 4K): made on first use, it would be in
        the middle of a transition. Every accent's glow is made here, as many as the budget keeps.
        """
        assert self._art is not None
        size = self.layout.emoji[2]
        for key in (*LABEL_COLORS, THINKING):
            self._art.get(key, size)
            self._art.get(key, half_size(size))  # what a cross-fade is composed with
        glows = self._glows_for(round(size * GLOW_SCALE))
        accents = [look_of("unsure", None).accent, *LABEL_COLORS.values()]
        for color in accents[: glows.limit]:
            glows.get(color)

    def _glows_for(self, size: int) -> Glows:
        glows = self._glows.get(size)
        if glows is None:
            if len(self._glows) >= 2:
                self._glows.clear()
            glows = self._glows[size] = Glows(size, BG)
        return glows

    def _screen_for(self, lay: Layout, state: str) -> FaceScreen | MessageScreen:
        kind = "face" if state in FACE_STATES else ("camera_lost" if state == "camera_lost" else "message")
        key = (lay, kind)
        screen = self._screens.get(key)
        if screen is None:
            assert self._art is not None
            if kind == "face":
                glows = self._glows_for(round(lay.emoji[2] * GLOW_SCALE))
                screen = FaceScreen(lay, self._art, self._texts, glows)
            else:
                screen = MessageScreen(lay, self._texts, camera_lost=kind == "camera_lost")
            self._screens[key] = screen
        return screen

    def _frame(self, now: float) -> ScreenFrame:
        tr = self._transition
        live = tr is not None and not tr.done(now)
        text_level = tr.text_level(now) if live and tr is not None else LEVELS
        picture_level = tr.mix(now) if live and tr is not None and not tr.cross else LEVELS
        rows = self._debug_rows() if self._debug else ()
        return ScreenFrame(self._report, self._seq, text_level, picture_level, self._footer(), rows, now)

    def _render(self, now: float) -> None:
        """Repaint what changed and put those boxes on the display."""
        import pygame

        t0 = time.perf_counter()
        frame = self._frame(now)
        screen = self._screen_for(self.layout, self._key[0])
        if isinstance(screen, FaceScreen):
            if frame.report is not None:
                screen.show(frame, self._look, self._transition, self._from)
        else:
            screen.show(frame, self._key[0], self._key[2])
        rects = self._scene.render(self.surface, screen.elements, screen.background, now)
        if rects:
            w, h = self.surface.get_size()
            if rects[0] == (0, 0, w, h):
                pygame.display.flip()
            else:
                pygame.display.update(rects)
            check_screen()
            self.frames_drawn += 1
        if self._transition is not None and self._transition.done(now):
            self._transition = None
        # One frame per interval on average; a report a little early (camera and display at the
        # same rate, with jitter) still gets its frame.
        self._next_frame = max(self._next_frame + self._interval, now + (1 - 2 * JITTER) * self._interval)
        self._draw_ms += 0.1 * ((time.perf_counter() - t0) * 1000 - self._draw_ms)

    def _footer(self) -> str:
        provider = self._opts.status_text
        if provider is None:
            return ""
        try:
            return provider() or ""
        except Exception:  # a broken status line must never take the display down
            if not self._status_failed:
                self._status_failed = True
                log.exception("status_text provider failed; footer left empty")
            return ""

    def _debug_rows(self) -> list[Row]:
        """FPS, the kiosk's own time, the decision, faces, model, artwork, then each stage's latency."""
        rows: list[Row] = [("fps", f"{self.fps:.1f}"), ("kiosk", f"{self._draw_ms:.1f} ms")]
        report = self._report
        if report is not None:
            d = report.decision
            rows += [("state", f"{d.state} {d.label or '-'} {d.confidence:.2f}"), ("faces", str(len(report.faces)))]
        rows += [("model", self._info.model_on or "?"), ("art", "colour font" if self.uses_emoji_font else "drawn")]
        if report is not None:
            rows += [(stage, f"{ms:.1f} ms") for stage, ms in report.latency_ms.items()]
        return rows


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
