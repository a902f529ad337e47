"""The kiosk screen for ``emojify capture`` (pygame-ce), a :class:`edge.personalize.capture.CaptureUI`.

Screens: the consent text (any key or a tap agrees, Esc or q declines), the emoji to imitate
with a countdown, and the recording screen (camera image with the face box, a blinking red
REC sign and a red frame around the screen while photos are taken, progress and a pose hint).
Esc or q stops the session at any time. pygame is imported in :meth:`KioskCaptureUI.open` only,
and the emoji artwork is the kiosk's own :class:`edge.display.emoji_art.EmojiArt`. Nothing here
writes images.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from edge.core.errors import DisplayError
from edge.core.types import FaceBox, Frame
from edge.display.emoji_art import EmojiArt
from edge.display.screen import close_screen, open_screen
from edge.display.theme import BG, LABEL_COLORS, RED, TEXT, TEXT_DIM, TRACK
from edge.personalize.capture import PROMPTS

if TYPE_CHECKING:
    import pygame


log = logging.getLogger(__name__)

Color = tuple[int, int, int]
FACE_BOX: Color = (102, 220, 120)


class KioskCaptureUI:
    """Fullscreen (``kiosk``) or windowed capture screens.

    Args:
        mode: ``kiosk`` (fullscreen, no cursor) or ``window``.
        size: Surface size; ``None`` is the desktop size (kiosk) or 1024x600 (window).
        font_path: Colour emoji font override.
        consent_timeout: Seconds the consent screen waits before it counts as "no".
        message_seconds: How long :meth:`show_message` keeps a message on screen.
        clock: Monotonic seconds (blinking, timeouts); injectable for tests.
        sleep: Sleep used while waiting; injectable for tests.
    """

    def __init__(
        self,
        mode: str = "kiosk",
        size: tuple[int, int] | None = None,
        font_path: str | None = None,
        consent_timeout: float = 120.0,
        message_seconds: float = 2.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if mode not in ("kiosk", "window"):
            raise DisplayError(f"capture display {mode!r} must be kiosk or window")
        self._mode = mode
        self._size = size
        self._font_path = font_path
        self._consent_timeout = consent_timeout
        self._message_seconds = message_seconds
        self._clock = clock
        self._sleep = sleep
        self._screen: pygame.Surface | None = None
        self._art: EmojiArt | None = None
        self._fonts: dict[int, pygame.font.Font] = {}
        self._stop = False

    # -- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the display.

        Raises:
            DisplayError: pygame is missing or the display cannot be opened.
        """
        if self._screen is not None:
            return
        self._screen = open_screen(self._mode, self._size, "Emojify Edge: teach it your face")

        self._art = EmojiArt(self._font_path)
        log.info("capture display open: %s %dx%d", self._mode, *self.surface.get_size())

    def close(self) -> None:
        """Close the display; safe to call twice."""
        if self._screen is None:
            return
        self._screen = None
        self._fonts.clear()
        close_screen()

    @property
    def surface(self) -> pygame.Surface:
        """The display surface (tests save it).

        Raises:
            RuntimeError: The screen is not open.
        """
        if self._screen is None:
            raise RuntimeError("KioskCaptureUI is not open: call open() first")
        return self._screen

    # -- CaptureUI ------------------------------------------------------------------------------

    def ask_consent(self, text: str) -> bool:
        """Show ``text`` and wait for a key or a tap (yes) or Esc/q/close (no); a timeout is no."""
        import pygame

        screen = self.surface
        w, h = screen.get_size()
        base = min(h, round(w / 1.25))
        screen.fill(BG)
        paragraphs = text.split("\n")
        title, body = paragraphs[0], paragraphs[1:]
        y = round(0.08 * h)
        y = self._blit_wrapped(screen, title, round(0.1 * base), TEXT, y, w)
        y += round(0.03 * base)
        for paragraph in body:
            y = self._blit_wrapped(screen, paragraph, round(0.055 * base), TEXT_DIM, y, w) + round(0.02 * base)
        hint = "Touch the screen or press any key to agree  —  Esc: no thanks"
        self._center(screen, self._render(hint, round(0.05 * base), TEXT), (w // 2, h - round(0.08 * h)))
        pygame.display.flip()
        deadline = self._clock() + self._consent_timeout
        while self._clock() < deadline:
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    self._stop = True
                    return False
                if event.type == pygame.KEYDOWN:
                    return event.key not in (pygame.K_ESCAPE, pygame.K_q)
                if event.type in (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN):
                    return True
            self._sleep(1 / 30)
        log.info("capture: no answer to the consent screen within %.0f s", self._consent_timeout)
        return False

    def show_target(self, emotion: str, step: int, steps: int, seconds_left: int) -> None:
        """The emoji to imitate, what to do and the countdown number."""
        import pygame

        screen = self.surface
        w, h = screen.get_size()
        base = min(h, round(w / 1.25))
        screen.fill(BG)
        assert self._art is not None
        size = round(0.45 * base)
        self._center(screen, self._art.get(emotion, size), (w // 2, round(0.36 * h)))
        self._center(
            screen,
            self._render(f"{PROMPTS[emotion]} — make this face", round(0.085 * base), TEXT),
            (w // 2, round(0.68 * h)),
        )
        self._center(screen, self._render(f"{step} / {steps}", round(0.05 * base), TEXT_DIM), (w // 2, round(0.06 * h)))
        if seconds_left > 0:
            number = self._render(str(seconds_left), round(0.16 * base), LABEL_COLORS[emotion])
            self._center(screen, number, (w // 2, round(0.85 * h)))
        else:
            self._draw_rec(screen, base)
        pygame.display.flip()

    def show_recording(
        self, emotion: str, taken: int, wanted: int, hint: str, frame: Frame | None, box: FaceBox | None
    ) -> None:
        """Camera image with the face box, emoji, progress, pose hint and the recording indicator."""
        import pygame

        screen = self.surface
        w, h = screen.get_size()
        base = min(h, round(w / 1.25))
        m = round(0.04 * base)
        screen.fill(BG)
        assert self._art is not None
        size = round(0.32 * base)
        self._center(screen, self._art.get(emotion, size), (round(0.22 * w), round(0.36 * h)))
        self._center(
            screen, self._render(PROMPTS[emotion], round(0.07 * base), TEXT), (round(0.22 * w), round(0.68 * h))
        )
        if frame is not None:
            self._draw_frame(screen, frame, box, pygame.Rect(round(0.45 * w), 3 * m, round(0.55 * w) - m, h - 9 * m))
        # progress bar
        bar = pygame.Rect(m, h - 4 * m, w - 2 * m, max(6, m // 2))
        pygame.draw.rect(screen, TRACK, bar, border_radius=bar.height // 2)
        done = bar.copy()
        done.width = round(bar.width * min(1.0, taken / max(1, wanted)))
        if done.width > 0:
            pygame.draw.rect(screen, LABEL_COLORS[emotion], done, border_radius=bar.height // 2)
        line = f"{taken} / {wanted}   {hint}"
        self._center(screen, self._render(line, round(0.05 * base), TEXT_DIM), (w // 2, h - round(1.8 * m)))
        self._draw_rec(screen, base)
        pygame.display.flip()

    def show_message(self, text: str) -> None:
        """A centred message, kept on screen for ``message_seconds`` (Esc skips)."""
        import pygame

        screen = self.surface
        w, h = screen.get_size()
        base = min(h, round(w / 1.25))
        screen.fill(BG)
        self._blit_wrapped(screen, text, round(0.07 * base), TEXT, round(0.4 * h), w)
        pygame.display.flip()
        end = self._clock() + self._message_seconds
        while self._clock() < end and not self.cancelled():
            self._sleep(1 / 30)

    def cancelled(self) -> bool:
        """Handle pending events; True once Esc, q or the window close button was pressed."""
        import pygame

        if self._screen is None:
            return self._stop
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (
                event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)
            ):
                self._stop = True
        return self._stop

    # -- drawing helpers ----------------------------------------------------------------------

    def _font(self, px: int) -> pygame.font.Font:
        import pygame

        px = max(10, px)
        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(None, px)
        return font

    def _render(self, text: str, px: int, color: Color) -> pygame.Surface:
        import pygame

        surf = self._font(px).render(text, True, color)
        limit = self.surface.get_width() - 20
        if surf.get_width() > limit:
            surf = pygame.transform.smoothscale(surf, (limit, max(1, surf.get_height() * limit // surf.get_width())))
        return surf

    @staticmethod
    def _center(screen: pygame.Surface, surf: pygame.Surface, center: tuple[int, int]) -> None:
        screen.blit(surf, surf.get_rect(center=center))

    def _blit_wrapped(self, screen: pygame.Surface, text: str, px: int, color: Color, y: int, width: int) -> int:
        """Draw ``text`` word-wrapped and centred from ``y``; returns the y below it."""
        font = self._font(px)
        limit = round(width * 0.86)
        line = ""
        lines: list[str] = []
        for word in text.split():
            candidate = f"{line} {word}".strip()
            if font.size(candidate)[0] <= limit or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
        for text_line in lines:
            surf = font.render(text_line, True, color)
            screen.blit(surf, surf.get_rect(midtop=(width // 2, y)))
            y += round(font.get_linesize() * 1.05)
        return y

    def _draw_rec(self, screen: pygame.Surface, base: int) -> None:
        """Red frame round the screen and a blinking red dot with REC: photos are being taken."""
        import pygame

        w = screen.get_width()
        border = max(4, round(0.012 * base))
        pygame.draw.rect(screen, RED, screen.get_rect(), border)
        r = max(6, round(0.025 * base))
        x, y = w - 6 * r, 3 * r
        if int(self._clock() * 2) % 2 == 0:
            pygame.draw.circle(screen, RED, (x, y), r)
        label = self._render("REC", round(0.05 * base), RED)
        screen.blit(label, label.get_rect(midleft=(x + round(1.6 * r), y)))

    def _draw_frame(self, screen: pygame.Surface, frame: Frame, box: FaceBox | None, area: pygame.Rect) -> None:
        """The camera image fitted into ``area`` with the face being captured outlined."""
        import pygame

        img = frame.preview if frame.preview is not None else frame.gray
        if img is None or img.size == 0:
            return
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        img = np.ascontiguousarray(img[:, :, :3], dtype=np.uint8)
        ih, iw = img.shape[:2]
        scale = min(area.width / iw, area.height / ih)
        tw, th = max(1, round(iw * scale)), max(1, round(ih * scale))
        dst = pygame.Rect(area.x + (area.width - tw) // 2, area.y + (area.height - th) // 2, tw, th)
        surf = pygame.image.frombuffer(img.tobytes(), (iw, ih), "RGB")
        screen.blit(pygame.transform.smoothscale(surf, (tw, th)), dst)
        if box is not None:
            gray_h, gray_w = frame.gray.shape[:2]
            sx, sy = tw / gray_w, th / gray_h
            rect = pygame.Rect(
                dst.x + round(box.x * sx), dst.y + round(box.y * sy), round(box.w * sx), round(box.h * sy)
            )
            pygame.draw.rect(screen, FACE_BOX, rect, max(2, tw // 200))
