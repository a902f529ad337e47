"""The emoji's cross-fade, composed at half size: a third of the work of composing it at full size.

A frame of a fade needs the glow under the emoji, the old emoji at one opacity and the new one,
growing, at another. At full size that is three passes over the emoji's square, two of them
alpha blends with a surface alpha (pygame's slow path): about 2.5 ms a frame at 1920x1080 on
the dev machine, so 10 ms or more on a Pi 4. Composed at half size onto an opaque copy of the
glow and scaled up once (nearest pixel, straight onto the screen), the same frame costs about
a third of that. The artwork has little detail to lose: at 1080p it is the colour font's 136 px
bitmap scaled up almost five times, and a fade lasts a quarter of a second; the resting emoji
is drawn at full size as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge.display.emoji_art import EmojiArt
from edge.display.theme import Box, Color

if TYPE_CHECKING:
    import pygame


def half_size(size: int) -> int:
    """The artwork size a fade of an emoji of ``size`` pixels is composed at."""
    return max(8, size // 2)


def _blit(target: pygame.Surface, surf: pygame.Surface, center: tuple[int, int], opacity: int) -> None:
    if opacity <= 0:
        return
    surf.set_alpha(min(255, opacity))
    target.blit(surf, surf.get_rect(center=center))
    surf.set_alpha(255)


class HalfSizeFade:
    """Draws the frames of a fade for one emoji square (``box``, centred on ``center``).

    Args:
        box: The emoji's square on the screen.
        center: The emoji's centre on the screen.
        size: The emoji's full size.
        art: The artwork source.
    """

    def __init__(self, box: Box, center: tuple[int, int], size: int, art: EmojiArt) -> None:
        self.box = box
        self._art = art
        x, y, w, h = box
        self._half = (max(1, w // 2), max(1, h // 2))
        self._center = ((center[0] - x) // 2, (center[1] - y) // 2)
        self._size = half_size(size)
        self._backs: dict[Color, pygame.Surface] = {}
        self._buffer: pygame.Surface | None = None

    def _back(self, glow: pygame.Surface, glow_center: tuple[int, int], accent: Color) -> pygame.Surface:
        """The glow under the square at half size, made once per accent."""
        import pygame

        back = self._backs.get(accent)
        if back is None:
            x, y, w, h = self.box
            gx, gy = glow_center[0] - glow.get_width() // 2, glow_center[1] - glow.get_height() // 2
            under = glow.subsurface(pygame.Rect(x - gx, y - gy, w, h).clip(glow.get_rect()))
            back = self._backs[accent] = pygame.transform.scale(under, self._half)
        return back

    def draw(
        self,
        screen: pygame.Surface,
        glow: tuple[pygame.Surface, tuple[int, int], Color],
        old: str | None,
        new: str,
        mix: tuple[int, int, float],
    ) -> None:
        """One frame: ``old`` at ``mix[0]`` opacity, ``new`` at ``mix[1]`` and scale ``mix[2]``, on the glow.

        Args:
            screen: The display surface (clipped to the box being repainted).
            glow: The glow surface, its centre on the screen and its accent (the cache key).
            old: Artwork key fading out (``None``: a fade-in from the background's glow).
            new: Artwork key fading in.
            mix: ``(old opacity, new opacity, new scale)``, opacities 0..255.
        """
        import pygame

        back = self._back(*glow)
        if self._buffer is None:
            self._buffer = back.copy()
        buffer = self._buffer
        buffer.blit(back, (0, 0))
        old_alpha, new_alpha, scale = mix
        if old is not None:
            _blit(buffer, self._art.get(old, self._size), self._center, old_alpha)
        if new_alpha > 0:
            full = self._art.get(new, self._size)
            w, h = full.get_size()
            grown = (
                full
                if scale >= 1
                else pygame.transform.scale(full, (max(1, round(w * scale)), max(1, round(h * scale))))
            )
            _blit(buffer, grown, self._center, new_alpha)
        x, y, w, h = self.box
        if pygame.Rect(screen.get_clip()).contains(pygame.Rect(self.box)):
            pygame.transform.scale(buffer, (w, h), screen.subsurface(self.box))
        else:
            screen.blit(pygame.transform.scale(buffer, (w, h)), (x, y))
