"""The kiosk's two kinds of screen as lists of elements: the face screens and the message screens.

:class:`FaceScreen` (an emoji, or "not sure"): the emoji, its name and percentage, the seven
score bars, optionally the camera preview and the debug panel, the footer. :class:`MessageScreen`
(nobody there, starting, camera lost): an icon, a title and a line saying what to do, the
spinner while the camera is retried, the preview in a corner, the footer, the debug panel.
Each is built once per layout and updated every frame with what to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.core.labels import LABELS
from edge.core.types import FrameReport
from edge.display.debug_panel import DebugPanel, Row
from edge.display.elements import EmojiArea, FooterElement, Glows, Look, PreviewElement, TextElement
from edge.display.emoji_art import THINKING, EmojiArt
from edge.display.layout import Layout
from edge.display.message_elements import HeroElement, SpinnerElement
from edge.display.scene import Element
from edge.display.score_bars import BarRow, bar_metrics
from edge.display.text import TextCache
from edge.display.theme import BG, BG_ERROR, GREY, LABEL_COLORS, TEXT, TEXT_DIM, TITLES, UNSURE_TITLE, Box, Color
from edge.display.theme import message_text as message_texts
from edge.display.transition import Transition

#: The states drawn by :class:`FaceScreen`; every other state is a :class:`MessageScreen`.
FACE_STATES = ("face", "unsure")


@dataclass(frozen=True)
class ScreenFrame:
    """What every element of a screen is shown this frame (set by the kiosk).

    Attributes:
        report: The newest report (``None`` before the first).
        seq: Number of that report (a new one means a new camera picture).
        text_level: Opacity of the name and percentage, or of a message's texts.
        picture_level: Opacity of a message screen's icon (it fades in after a change).
        footer: The status line.
        debug: The debug panel's rows (ignored when the panel is off).
        now: Clock time.
    """

    report: FrameReport | None
    seq: int
    text_level: int
    picture_level: int
    footer: str
    debug: Sequence[Row]
    now: float


def look_of(state: str, label: str | None) -> Look:
    """The emoji area's look for a face-screen decision (the thinking face while unsure)."""
    if state == "face" and label in LABEL_COLORS:
        return Look(label, LABEL_COLORS[label])
    return Look(THINKING, GREY)


def face_texts(state: str, label: str | None, confidence: float) -> tuple[str, str]:
    """Name and percentage under the emoji (``Not sure`` and a guess while unsure)."""
    if state == "face" and label in TITLES:
        return TITLES[label], f"{round(min(1.0, max(0.0, confidence)) * 100)}%"
    return UNSURE_TITLE, (f"maybe {TITLES[label].lower()}?" if label in TITLES else "")


def _scores(raw: object) -> list[float]:
    """Seven scores in 0..1 (NaN as 0; anything but seven numbers as all 0), in plain floats: cheap per frame."""
    values = np.asarray(raw, dtype=np.float64).ravel().tolist()
    if len(values) != len(LABELS):
        return [0.0] * len(LABELS)
    return [min(1.0, max(0.0, v)) if v == v else 0.0 for v in values]


class _Screen:
    """What both kinds share: the footer, the optional preview and debug panel."""

    background: Color = BG

    def __init__(self, lay: Layout, texts: TextCache, preview_box: Box | None) -> None:
        self.lay = lay
        self.footer = FooterElement(lay, texts, TEXT_DIM)
        self.preview = PreviewElement(preview_box, max(2, round(lay.base / 240))) if preview_box else None
        self.debug = DebugPanel(lay.debug, texts, lay.small_px) if lay.debug else None
        self.elements: list[Element] = []

    def _finish(self, elements: list[Element]) -> None:
        extras: list[Element | None] = [self.preview, self.footer, self.debug]
        self.elements = elements + [e for e in extras if e is not None]

    def _show_common(self, frame: ScreenFrame) -> None:
        self.footer.show(frame.footer)
        if self.preview is not None:
            self.preview.show(frame.report, frame.seq)
        if self.debug is not None:
            self.debug.show(frame.debug, frame.now)


class FaceScreen(_Screen):
    """The emoji, its name and percentage, the score bars (and preview, footer, debug)."""

    def __init__(self, lay: Layout, art: EmojiArt, texts: TextCache, glows: Glows) -> None:
        super().__init__(lay, texts, lay.preview)
        self.emoji = EmojiArea(lay, art, glows)
        self.title = TextElement(lay.title_box, texts, lay.text_x, lay.text_w, [(lay.title_y, lay.title_px, TEXT)])
        self.sub = TextElement(lay.sub_box, texts, lay.text_x, lay.text_w, [(lay.sub_y, lay.sub_px, TEXT_DIM)])
        metrics = bar_metrics(lay, texts)
        self.bars = [BarRow(lay, i, texts, metrics) for i in range(len(LABELS))]
        rows = [element for row in self.bars for element in row.elements]
        self._finish([self.emoji.glow, self.emoji.art, self.title, self.sub, *rows])

    def show(self, frame: ScreenFrame, look: Look, transition: Transition | None, previous: Look | None) -> None:
        """Show ``frame``'s decision with emoji ``look``, fading from ``previous`` while ``transition`` runs."""
        report = frame.report
        assert report is not None
        d = report.decision
        self.emoji.show(look, transition, previous)
        title, sub = face_texts(d.state, d.label, d.confidence)
        self.title.show((title,), frame.text_level)
        self.sub.show((sub,), frame.text_level)
        scores = _scores(d.scores)
        shown = d.label if d.label in LABELS else None
        for i, row in enumerate(self.bars):
            hi = row.label == shown
            value = d.confidence if hi and d.state == "face" else float(scores[i])
            row.show(value, hi, d.state == "unsure")
        self._show_common(frame)


class MessageScreen(_Screen):
    """An icon, a title and what to do (and the corner preview, footer, debug)."""

    def __init__(self, lay: Layout, texts: TextCache, camera_lost: bool) -> None:
        super().__init__(lay, texts, lay.corner)
        self.background = BG_ERROR if camera_lost else BG
        self.hero = HeroElement(lay, self.background)
        x, _, w, _ = lay.hero_text_box
        lines = [(lay.hero_title_y, lay.title_px, TEXT), (lay.hero_sub_y, lay.sub_px, TEXT_DIM)]
        self.text = TextElement(lay.hero_text_box, texts, x + w // 2, w, lines)
        spinner: list[Element] = [SpinnerElement(lay)] if camera_lost else []
        self._finish([self.hero, self.text, *spinner])

    def show(self, frame: ScreenFrame, state: str, fault: str | None) -> None:
        """Show message screen ``state`` (the camera-lost one names ``fault``)."""
        self.hero.show(state, frame.picture_level)
        self.text.show(message_texts(state, fault), frame.text_level)
        self._show_common(frame)
