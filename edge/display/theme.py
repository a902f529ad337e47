"""How the screens look: colours, the name shown for each class, the message screens' texts, the emoji font.

Shared by the kiosk and the capture screens; pure data and helpers, no pygame.
"""

from __future__ import annotations

import logging
from pathlib import Path

from edge.core.text import one_line, shorten

log = logging.getLogger(__name__)

Color = tuple[int, int, int]
Box = tuple[int, int, int, int]

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
#: The camera-lost screen for each cause (the keys of :data:`edge.sources.base.CAMERA_FAULTS`): a
#: title and one line saying what to do. An unknown or missing cause shows ``MESSAGES["camera_lost"]``.
CAMERA_FAULT_MESSAGES: dict[str, tuple[str, str]] = {
    "not_installed": ("Camera software missing", "install python3-picamera2, or plug in a USB webcam"),
    "no_device": ("No camera connected", "connect the camera — retrying…"),
    "permission": ("Camera not allowed", "add this user to the video group, then restart"),
    "unplugged": ("Camera unplugged", "check the cable — retrying…"),
    "stalled": ("Camera stopped sending", "restarting the camera — retrying…"),
    "bad_frames": ("Camera picture unusable", "check the camera and its cable — retrying…"),
}


def message_text(state: str, camera_fault: str | None = None) -> tuple[str, str]:
    """Title and subtitle of a screen without an emoji; the camera-lost screen names its cause when known."""
    if state == "camera_lost" and camera_fault in CAMERA_FAULT_MESSAGES:
        return CAMERA_FAULT_MESSAGES[camera_fault]
    return MESSAGES.get(state, (state, ""))


#: Where the colour emoji font is looked for, in order, after an explicit ``font_path``.
FONT_SEARCH: list[str] = [
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto-color-emoji/NotoColorEmoji.ttf",
    "/usr/local/share/fonts/NotoColorEmoji.ttf",
    "~/.local/share/fonts/NotoColorEmoji.ttf",
    "~/.fonts/NotoColorEmoji.ttf",
]


def find_emoji_font(override: str | None = None) -> Path | None:
    """Locate a colour emoji font file.

    Args:
        override: A font file to use first (``KioskOptions.font_path``); a missing file is
            reported and the usual places are searched instead.

    Returns:
        The font path, or ``None`` when none is installed.
    """
    if override:
        if _is_file(override):
            return Path(override).expanduser()
        log.warning("[display] font %s is not a font file; looking in the usual places", shorten(one_line(override)))
    for candidate in FONT_SEARCH:
        if _is_file(candidate):
            return Path(candidate).expanduser()
    return None


def _is_file(name: str) -> bool:
    """Whether ``name`` is a file; ``False`` (never an error) for names too long, unreachable or odd."""
    try:
        return Path(name).expanduser().is_file()
    except (OSError, ValueError, RuntimeError):
        return False


def blend(a: Color, b: Color, t: float) -> Color:
    """Linear mix of two colours: ``t == 0`` is ``a``, ``t == 1`` is ``b``."""
    t = min(1.0, max(0.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))
