"""How a screen change plays out over time: pure timing, no drawing.

A change of what is shown starts a :class:`Transition` of ``duration`` seconds. Between two
face screens (an emoji, or "not sure") the emoji **cross-fades**: the old one fades out while
the new one fades in and grows from :data:`START_SCALE` to full size; the glow around it takes the
new accent at once (one glow per accent, made once: never a glow per pair of emojis, nor a
repaint of the glow's large square on each frame of the fade). Any other change (a face screen to a
message screen and back, or between message screens) **fades in** the new screen's picture from
the background. In both, the old name and percentage disappear at once and the new ones fade in
over the first :data:`TEXT_FADE` of the transition: two names or two percentages are never on
screen together.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Size of an emoji that starts fading in, relative to its full size.
START_SCALE = 0.8
#: Fraction of the transition in which the new name and percentage fade in.
TEXT_FADE = 0.4
#: Levels the fading alphas and the emoji's scale are rounded to (a new level is a new picture).
#: A 250 ms fade gets 7-8 frames from a 30 fps camera; more levels would only redraw the
#: ease-out's tail, where a step changes the picture by under an eighth.
LEVELS = 8


def ease(t: float) -> float:
    """Ease-out cubic on ``[0, 1]``: fast at first, settling gently."""
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


@dataclass(frozen=True)
class Transition:
    """One screen change.

    Attributes:
        start: Clock time the change was first shown (seconds).
        duration: Length in seconds (0 means an instant cut).
        cross: True for an emoji-to-emoji cross-fade, False for a fade-in from the background.
    """

    start: float
    duration: float
    cross: bool

    def progress(self, now: float) -> float:
        """``0`` at the start, ``1`` from the end on."""
        if self.duration <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.start) / self.duration))

    def done(self, now: float) -> bool:
        """True once the transition has played out."""
        return self.progress(now) >= 1.0

    def mix(self, now: float) -> int:
        """How much of the new picture shows, in :data:`LEVELS` steps (``LEVELS`` = all of it)."""
        return round(LEVELS * ease(self.progress(now)))

    def text_level(self, now: float) -> int:
        """Opacity of the new texts, in :data:`LEVELS` steps."""
        return round(LEVELS * ease(self.progress(now) / TEXT_FADE))


def alpha(level: int) -> int:
    """A :data:`LEVELS` step as a pygame alpha (0..255)."""
    return round(255 * min(LEVELS, max(0, level)) / LEVELS)


def scale_at(level: int) -> float:
    """The growing emoji's scale at mix ``level``."""
    return START_SCALE + (1 - START_SCALE) * min(LEVELS, max(0, level)) / LEVELS
