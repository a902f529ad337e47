"""Opening and closing the pygame screen, shared by the kiosk and the capture session.

Only ``pygame.display`` and ``pygame.font`` are initialised (never ``pygame.init()``, which
opens audio); the cursor is hidden in fullscreen.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from edge.core.errors import DisplayError

if TYPE_CHECKING:
    import pygame

WINDOW_SIZE = (1024, 600)
NO_PYGAME = "pygame-ce is not installed: pip install 'emojify-edge[display]' (or run headless)"


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
        DisplayError: pygame is missing or SDL cannot open the display.
    """
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
    pygame.display.set_caption(caption)
    return screen


def close_screen() -> None:
    """Shut the display and fonts down."""
    import pygame

    pygame.font.quit()
    pygame.display.quit()
