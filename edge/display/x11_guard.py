"""Surviving an X server that goes away: a lost desktop becomes an error the kiosk can fall back from.

By default Xlib ends the whole process when its connection breaks ("XIO: fatal IO error"),
so the kiosk's documented fallback (headless JSON lines, or a clear error) never runs. Since
libX11 1.7 a program may install an *exit handler* per connection that returns instead; Xlib then
marks the connection broken and every later call on it returns at once. This module installs
one (through :mod:`ctypes`, on the connection SDL opened, which pygame hands out) and remembers
that the server is gone; the kiosk checks :func:`x11_lost` after each call that talks to the
server and raises :class:`edge.display.screen.ScreenLostError`.

After a loss the SDL window must never be touched again: SDL's teardown waits for an
"unmapped" event that can no longer arrive and would spin for ever, and it closes a second
connection of its own whose loss would still end the process. So the dead display is abandoned:
:func:`abandon_display` keeps pygame from tearing it down at exit, and :func:`x11_lost` stays
True for the rest of the process (a reloaded kiosk refuses to open instead of hanging).

Older libX11 (before 1.7, e.g. Debian 11) has no exit handler: nothing is installed and a lost
server still ends the process, as before.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

_IO_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_EXIT_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


@dataclass
class _Guard:
    """Process-wide state: Xlib's I/O error handler is global, so there is one guard."""

    lost: bool = False
    guarded: set[int] = field(default_factory=set)
    lib: ctypes.CDLL | None = None
    io_handler: object = None  # the ctypes callbacks must outlive every call from C
    exit_handler: object = None


_guard = _Guard()


def _on_io_error(display: int) -> int:
    _guard.lost = True
    if display in _guard.guarded:
        log.debug("X server connection lost (display %#x); the kiosk will stop using it", display)
    else:  # a connection we could not guard: Xlib ends the process after this returns
        log.error("the X server connection was lost; the process has to end")
    return 0


def _on_exit(display: int, _data: int) -> None:
    """Returning here (instead of calling exit) is what keeps the process alive."""


def _load_xlib() -> ctypes.CDLL | None:
    if _guard.lib is not None:
        return _guard.lib
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    if not hasattr(lib, "XSetIOErrorExitHandler"):
        log.info("libX11 is older than 1.7: an X server that goes away will end the process")
        return None
    lib.XSetIOErrorHandler.argtypes = [_IO_HANDLER]
    lib.XSetIOErrorHandler.restype = ctypes.c_void_p
    lib.XSetIOErrorExitHandler.argtypes = [ctypes.c_void_p, _EXIT_HANDLER, ctypes.c_void_p]
    lib.XSetIOErrorExitHandler.restype = None
    _guard.io_handler = _IO_HANDLER(_on_io_error)
    _guard.exit_handler = _EXIT_HANDLER(_on_exit)
    lib.XSetIOErrorHandler(_guard.io_handler)
    _guard.lib = lib
    return lib


def _capsule_pointer(capsule: object, name: bytes) -> int | None:
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    try:
        return get(capsule, name)
    except (ValueError, TypeError):
        return None


def guard_x11_display() -> bool:
    """Guard the X connection of the open pygame display (a no-op on any other video driver).

    Returns:
        True when a lost X server will now be reported by :func:`x11_lost` instead of ending the process.
    """
    import pygame

    if pygame.display.get_driver() != "x11":
        return False
    capsule = pygame.display.get_wm_info().get("display")
    display = _capsule_pointer(capsule, b"display") if capsule is not None else None
    lib = _load_xlib()
    if not display or lib is None:
        return False
    if display not in _guard.guarded:
        lib.XSetIOErrorExitHandler(display, _guard.exit_handler, None)
        _guard.guarded.add(display)
    return True


def x11_lost() -> bool:
    """True once an X server connection of this process broke (it stays True)."""
    return _guard.lost


def abandon_display() -> None:
    """Leave the dead display as it is: pygame must not tear it down, now or at exit."""
    import pygame

    atexit.unregister(pygame.quit)
