"""Drawing only what changed: screen elements, each with a box and a state, and dirty rectangles.

Each frame the kiosk lists its :class:`Element` objects, bottom to top. An element whose
:meth:`Element.state` differs from what was drawn last time marks its box dirty. Every dirty box
is then repainted completely: the background (or the topmost element that covers the whole box),
then every element above it that reaches into it, in order, clipped to the box, so overlapping
elements (the glow under the title) stay right. The
boxes are handed to ``pygame.display.update``; a frame in which nothing changed draws nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Protocol

from edge.display.theme import Box, Color

if TYPE_CHECKING:
    import pygame


class Element(Protocol):
    """One thing on screen."""

    #: Where it draws (it never draws outside).
    box: Box
    #: True when it covers its whole box (nothing under it needs drawing); may change with
    #: :meth:`state`, which the scene calls first.
    opaque: bool

    def state(self, now: float) -> Hashable:
        """Everything its pixels depend on at ``now``: equal states give identical pixels."""
        ...

    def draw(self, screen: pygame.Surface, now: float) -> None:
        """Draw itself (the caller clips to the box being repainted)."""
        ...


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _contains(outer: Box, inner: Box) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[0] + inner[2] <= outer[0] + outer[2]
        and inner[1] + inner[3] <= outer[1] + outer[3]
    )


class Scene:
    """Remembers what each element drew and repaints the boxes whose state changed."""

    def __init__(self) -> None:
        self._drawn: list[Hashable] = []
        self._boxes: list[Box] = []

    def invalidate(self) -> None:
        """Forget what is on screen: the next :meth:`render` repaints everything."""
        self._drawn = []
        self._boxes = []

    def render(self, screen: pygame.Surface, elements: Sequence[Element], background: Color, now: float) -> list[Box]:
        """Repaint what changed since the last call.

        Args:
            screen: The display surface.
            elements: Everything on screen, bottom to top (a different list than last time, or
                after :meth:`invalidate`, repaints the whole screen).
            background: The screen's background colour.
            now: Clock time the elements are drawn for.

        Returns:
            The repainted boxes (empty when nothing changed).
        """
        states = [element.state(now) for element in elements]
        boxes = [element.box for element in elements]
        if boxes != self._boxes or len(states) != len(self._drawn):
            dirty = [(0, 0, *screen.get_size())]
        else:
            dirty = [box for box, new, old in zip(boxes, states, self._drawn, strict=True) if new != old]
            dirty = [
                box for i, box in enumerate(dirty) if box[2] > 0 and box[3] > 0 and not self._inside(box, dirty, i)
            ]
        for box in dirty:
            self._repaint(screen, elements, box, background, now)
        self._drawn, self._boxes = states, boxes
        return dirty

    @staticmethod
    def _inside(box: Box, others: list[Box], index: int) -> bool:
        """True when another dirty box contains ``box`` (the first of two equal ones is kept)."""
        return any(
            j != index and _contains(other, box) and (other != box or j < index) for j, other in enumerate(others)
        )

    @staticmethod
    def _repaint(screen: pygame.Surface, elements: Sequence[Element], box: Box, background: Color, now: float) -> None:
        """Repaint ``box``: from the topmost element that covers all of it (else the background) up."""
        reaching = [element for element in elements if _overlaps(element.box, box)]
        covering = [i for i, element in enumerate(reaching) if element.opaque and _contains(element.box, box)]
        first = covering[-1] if covering else 0
        screen.set_clip(box)
        try:
            if not covering:
                screen.fill(background, box)
            for element in reaching[first:]:
                element.draw(screen, now)
        finally:
            screen.set_clip(None)
