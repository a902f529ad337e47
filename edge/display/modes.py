"""The display modes, defined once (config choices, command-line choices, the probe)."""

from __future__ import annotations

#: Modes that open a screen: fullscreen on the console (KMS/DRM) or a desktop window.
SCREEN_MODES: tuple[str, ...] = ("kiosk", "window")
#: Every ``display.mode`` value: ``auto`` picks a screen when one works, ``none`` is headless.
DISPLAY_MODES: tuple[str, ...] = ("auto", *SCREEN_MODES, "none")
