"""Whether a screen can be used, checked without opening a window, and which one ``auto`` means.

Used by ``--display auto``, by the capture session and by ``doctor``.
"""

from __future__ import annotations

import glob
import logging
import mmap
import os

from edge.core.errors import DisplayError
from edge.display.modes import SCREEN_MODES
from edge.display.screen import NO_PYGAME

log = logging.getLogger(__name__)

#: DRM device nodes checked by :func:`display_available` for the kiosk.
DRI_GLOB = "/dev/dri/card*"

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
    if mode not in SCREEN_MODES:
        return False, f"unknown display mode {mode!r}; use one of {', '.join(SCREEN_MODES)}"
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


def display_hint(mode: str) -> str:
    """What to check when the display for ``mode`` would not open (appended to the error)."""
    driver = os.environ.get("SDL_VIDEODRIVER", "").strip().lower()
    if driver == "kmsdrm" or (mode == "kiosk" and not _desktop()):
        return KMSDRM_HINT
    if not _desktop():
        return NO_DESKTOP_HINT
    return "is the desktop session running and may this user use it (XAUTHORITY)?"


def choose_display(mode: str) -> str:
    """Resolve ``auto`` to ``window``, ``kiosk`` or ``none`` (headless) and check the others.

    Raises:
        DisplayError: ``kiosk`` or ``window`` was asked for and is not available.
    """
    if mode == "none":
        return mode
    if mode in SCREEN_MODES:
        ok, reason = display_available(mode)
        if not ok:
            raise DisplayError(f"display '{mode}' is not available: {reason}")
        return mode
    for candidate in ("window", "kiosk"):
        ok, reason = display_available(candidate)
        if ok:
            log.info("display auto: using %s", candidate)
            return candidate
        log.info("display auto: %s not available (%s)", candidate, reason)
    log.warning("no display found; running headless (JSON lines)")
    return "none"
