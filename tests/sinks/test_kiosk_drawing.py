"""How the kiosk draws: clean transitions, a debug panel beside the emoji, only what changed, at the display's rate."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from edge.core.labels import LABELS  # noqa: E402
from edge.core.types import FrameReport  # noqa: E402
from edge.display.theme import Box  # noqa: E402
from edge.sinks.kiosk import KioskSink  # noqa: E402
from tests.fakes import FakeClock  # noqa: E402
from tests.sinks.kiosk_helpers import FULL_HD, HUGE, SMALL, crop, emoji_region, make_report, pixels, scores_for  # noqa: E402

HAPPY = make_report("face", "happy", scores_for("happy", 0.87))
SAD = make_report("face", "sad", scores_for("sad", 0.64))


def ink(img: np.ndarray, box: Box) -> np.ndarray:
    """Where the text box holds text: bright pixels (text is light on the dark background and the faint glow)."""
    return crop(img, box).mean(axis=2) > 100


def rest_screen(
    open_sink: Callable[..., KioskSink], clock: FakeClock, size: tuple[int, int], report: FrameReport
) -> np.ndarray:
    """A kiosk that has shown ``report`` for a while (no transition)."""
    sink = open_sink(size=size)
    clock.t += 1.0
    sink.handle(report)
    return pixels(sink)


@pytest.fixture
def updates(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[Box]]]:
    """Every display update: the boxes it put on screen (a flip is the whole screen)."""
    calls: list[list[Box]] = []
    real_update, real_flip = pygame.display.update, pygame.display.flip

    def update(rects: object = None) -> None:
        calls.append([tuple(r) for r in rects] if isinstance(rects, list) else [tuple(rects)])  # type: ignore[arg-type]
        real_update(rects)  # type: ignore[arg-type]

    def flip() -> None:
        w, h = pygame.display.get_surface().get_size()
        calls.append([(0, 0, w, h)])
        real_flip()

    monkeypatch.setattr(pygame.display, "update", update)
    monkeypatch.setattr(pygame.display, "flip", flip)
    yield calls


@pytest.mark.parametrize("size", [SMALL, FULL_HD])
def test_mid_transition_the_text_area_holds_one_readable_name(
    open_sink: Callable[..., KioskSink], clock: FakeClock, size: tuple[int, int]
) -> None:
    new_alone = rest_screen(open_sink, clock, size, SAD)
    old_alone = rest_screen(open_sink, clock, size, HAPPY)
    sink = open_sink(size=size, transition_ms=250)
    box = sink.layout.text_box
    new_ink, old_ink = ink(new_alone, box), ink(old_alone, box)
    only_old = old_ink & ~new_ink
    assert new_ink.sum() > 200 and only_old.sum() > 200  # two different names and percentages
    clock.t += 1.0
    sink.handle(HAPPY)
    clock.t += 1.0
    sink.handle(SAD)
    start = clock.t
    for fraction in (0.25, 0.5, 0.75):
        clock.t = start + 0.25 * fraction
        sink.handle(SAD)
        shot = pixels(sink)
        now = ink(shot, box)
        assert (now & only_old).sum() == 0, f"old name still visible at {fraction:.0%}"
        assert (now & new_ink).sum() >= 0.97 * new_ink.sum(), f"new name not readable at {fraction:.0%}"
        assert (now & ~new_ink).sum() <= 0.01 * new_ink.sum(), f"stray text at {fraction:.0%}"
        if fraction == 0.5:  # meanwhile the emoji itself cross-fades: it is neither picture
            cx, cy, e = sink.layout.emoji
            emoji = (cx - e // 2, cy - e // 2, e, e)
            assert np.abs(crop(shot, emoji) - crop(new_alone, emoji)).mean() > 2
            assert np.abs(crop(shot, emoji) - crop(old_alone, emoji)).mean() > 2


@pytest.mark.parametrize("size", [SMALL, (1024, 600), FULL_HD, HUGE, (480, 800), (1280, 1024)])
@pytest.mark.parametrize("preview", [False, True])
def test_the_debug_panel_never_covers_the_emoji(
    open_sink: Callable[..., KioskSink], clock: FakeClock, size: tuple[int, int], preview: bool
) -> None:
    plain = open_sink(size=size, show_preview=preview)
    with_debug = open_sink(size=size, show_preview=preview, debug=True)
    shots = []
    for sink in (plain, with_debug):
        clock.t += 1.0
        sink.handle(HAPPY)
        shots.append(emoji_region(sink))
    assert np.array_equal(shots[0], shots[1])
    panel = crop(pixels(with_debug), with_debug.layout.debug)  # type: ignore[arg-type]
    assert panel.std() > 5  # the panel is drawn, with text in it


def test_a_steady_emoji_draws_nothing(
    open_sink: Callable[..., KioskSink], clock: FakeClock, updates: list[list[Box]]
) -> None:
    sink = open_sink(size=FULL_HD)
    clock.t += 1.0
    sink.handle(HAPPY)
    drawn, calls = sink.frames_drawn, len(updates)
    for _ in range(30):
        clock.t += 1 / 30
        sink.handle(make_report("face", "happy", scores_for("happy", 0.87)))
    assert sink.frames_drawn == drawn and len(updates) == calls


def test_moving_scores_repaint_only_their_rows(
    open_sink: Callable[..., KioskSink], clock: FakeClock, updates: list[list[Box]]
) -> None:
    sink = open_sink(size=FULL_HD)
    clock.t += 1.0
    sink.handle(HAPPY)
    updates.clear()
    clock.t += 1 / 30
    scores = scores_for("happy", 0.87)
    scores[LABELS.index("sad")] += 0.05  # one other class moves
    sink.handle(make_report("face", "happy", scores))
    (rects,) = updates
    lay = sink.layout
    row = pygame.Rect(lay.bar_row(LABELS.index("sad")))
    area = sum(w * h for _, _, w, h in rects)
    assert rects and all(row.contains(rect) for rect in rects)  # that row's bar and percentage
    assert 0 < area < 0.5 * row.w * row.h  # a strip of the row, not the row
    cx, cy, e = lay.emoji
    assert all(x >= cx + e // 2 or y >= cy + e // 2 for x, y, _, _ in rects)  # the emoji is left alone


def test_a_cross_fade_repaints_the_emoji_area_not_the_screen(
    open_sink: Callable[..., KioskSink], clock: FakeClock, updates: list[list[Box]]
) -> None:
    sink = open_sink(size=FULL_HD, transition_ms=250)
    clock.t += 1.0
    sink.handle(HAPPY)
    clock.t += 1.0
    sink.handle(HAPPY)
    updates.clear()
    sink.handle(SAD)
    for _ in range(10):
        clock.t += 1 / 30
        sink.handle(SAD)
    lay = sink.layout
    assert updates, "the transition was not drawn"
    for rects in updates[1:]:
        assert all(x + w <= lay.width // 2 + lay.margin for x, _, w, _ in rects)
    done = len(updates)
    clock.t += 1.0
    sink.handle(SAD)
    assert len(updates) == done  # once it has played out, nothing moves


def test_frames_are_drawn_at_the_display_rate_not_the_camera_rate(
    open_sink: Callable[..., KioskSink], clock: FakeClock
) -> None:
    sink = open_sink(size=SMALL, max_fps=30)
    clock.t += 1.0
    sink.handle(HAPPY)
    start = sink.frames_drawn
    for i in range(900):  # a camera at 300 fps, every frame different, for three seconds
        clock.t += 1 / 300
        sink.handle(make_report("face", "happy", scores_for("happy", 0.1 + 0.8 * ((i * 37) % 101) / 100)))
    assert 88 <= sink.frames_drawn - start <= 92
    last = pixels(sink)
    clock.t += 0.001  # too soon for another frame: the newest report waits for the next one
    sink.handle(make_report("face", "sad", scores_for("sad", 0.9)))
    assert np.array_equal(pixels(sink), last)
    clock.t += 0.1
    sink.handle(make_report("face", "sad", scores_for("sad", 0.9)))
    assert not np.array_equal(pixels(sink), last)


def test_the_idle_screen_breathes_on_the_clock_and_rests_between_steps(
    open_sink: Callable[..., KioskSink], clock: FakeClock
) -> None:
    sink = open_sink(size=SMALL)
    nobody = make_report("no_face", None)
    clock.t += 1.0
    sink.handle(nobody)
    counts = []
    for _ in range(5):  # half a breath, 60 reports a second
        before = sink.frames_drawn
        for _ in range(60):
            clock.t += 1 / 60
            sink.handle(nobody)
        counts.append(sink.frames_drawn - before)
    assert all(5 <= n < 60 for n in counts)  # it moves, but not every report is a new picture
