"""Opening and closing the pygame screen, shared by the kiosk and the capture session.

Only ``pygame.display`` and ``pygame.font`` are initialised (never ``pygame.init()``, which
opens audio); the cursor is hidden in fullscreen. On a desktop the X connection is guarded
(:mod:`edge.display.x11_guard`): an X server that goes away makes :func:`check_screen` raise
:class:`ScreenLostError` instead of ending the process.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from edge.core.errors import DisplayError
from edge.display.x11_guard import abandon_display, guard_x11_display, x11_lost

if TYPE_CHECKING:
    import pygame

WINDOW_SIZE = (1024, 600)
NO_PYGAME = "pygame-ce is not installed: pip install 'emojify-edge[display]' (or run headless)"
X_GONE = "the X server went away earlier in this run; restart emojify to use the desktop again"


class ScreenLostError(RuntimeError):
    """The screen went away while running (the X server ended); the display sink's fallback takes over."""


def check_screen() -> None:
    """Raise :class:`ScreenLostError` once the display's X server has gone away."""
    if x11_lost():
        raise ScreenLostError("the X server went away: the desktop ended or restarted")


def set_screen_mode(fullscreen: bool, size: tuple[int, int] | None) -> pygame.Surface:
    """Switch the open display to fullscreen (desktop size unless ``size``) or a window."""
    import pygame

    if fullscreen:
        screen = pygame.display.set_mode(size or (0, 0), pygame.FULLSCREEN)
    else:
        screen = pygame.display.set_mode(size or WINDOW_SIZE)
    pygame.mouse.set_visible(not fullscreen)
    return screen


def open_screen(mode: str, size: tuple[int, int] | None, caption: str, hint: str = "") -> pygame.Surface:
    """Open the display: ``kiosk`` (fullscreen) or ``window``.

    Args:
        mode: ``kiosk`` or ``window``.
        size: Surface size, or ``None`` for the desktop size (kiosk) or 1024x600 (window).
        caption: Window title.
        hint: What to do when it fails, appended to the error.

    Raises:
        DisplayError: pygame is missing, SDL cannot open the display, or this process lost its X server.
    """
    if x11_lost():
        raise DisplayError(X_GONE)
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame
    except ImportError as exc:
        raise DisplayError(NO_PYGAME) from exc
    try:
        pygame.display.init()
        pygame.font.init()
        screen = set_screen_mode(mode == "kiosk", size)
    except pygame.error as exc:
        pygame.display.quit()
        raise DisplayError(f"cannot open the {mode} display ({exc})" + (f": {hint}" if hint else "")) from exc
    guard_x11_display()
    pygame.display.set_caption(caption)
    return screen


def close_screen() -> None:
    """Shut the display and fonts down (a display whose X server went away is left alone)."""
    import pygame

    pygame.font.quit()
    if x11_lost():
        abandon_display()
        return
    pygame.display.quit()
