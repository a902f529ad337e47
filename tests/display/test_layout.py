"""The kiosk layout: every box on the screen, none overlapping another, at every size and option."""

from __future__ import annotations

import itertools

import pytest

from edge.display.layout import Layout, make_layout
from edge.display.theme import Box

SIZES = [(800, 480), (1024, 600), (1280, 720), (1920, 1080), (3840, 2160), (480, 800), (1280, 1024), (1080, 1920)]


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def inside(box: Box, lay: Layout) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= lay.width and y + h <= lay.height and w > 0 and h > 0


def emoji_square(lay: Layout) -> Box:
    cx, cy, e = lay.emoji
    return (cx - e // 2, cy - e // 2, e, e)


def hero_square(lay: Layout) -> Box:
    cx, cy, s = lay.hero
    return (cx - s // 2, cy - s // 2, s, s)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("preview", "debug"), list(itertools.product([False, True], repeat=2)))
def test_face_screen_boxes_fit_and_do_not_overlap(size: tuple[int, int], preview: bool, debug: bool) -> None:
    lay = make_layout(*size, preview=preview, debug=debug)
    boxes = {"emoji": emoji_square(lay), "text": lay.text_box, "bars": lay.bars, "footer": lay.footer_box}
    title, sub = lay.title_box, lay.sub_box
    assert title[1] + title[3] == sub[1] and title[1] == lay.text_box[1]  # the text box, split in two
    assert title[1] < lay.title_y < sub[1] < lay.sub_y < sub[1] + sub[3]
    if preview:
        assert lay.preview is not None
        boxes["preview"] = lay.preview
    if debug:
        assert lay.debug is not None
        boxes["debug"] = lay.debug
    else:
        assert lay.debug is None
    for name, box in boxes.items():
        assert inside(box, lay), name
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not overlap(box_a, box_b), (a, b)
    assert lay.bars[3] >= 7 * 12  # seven readable rows
    rows = [lay.bar_row(i) for i in range(7)]
    assert all(not overlap(r1, r2) for r1, r2 in itertools.combinations(rows, 2))
    assert lay.emoji[1] + lay.emoji[2] // 2 < lay.title_y < lay.sub_y


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("preview", "debug"), list(itertools.product([False, True], repeat=2)))
def test_message_screen_boxes_fit_and_do_not_overlap(size: tuple[int, int], preview: bool, debug: bool) -> None:
    lay = make_layout(*size, preview=preview, debug=debug)
    boxes = {"hero": hero_square(lay), "text": lay.hero_text_box, "spinner": lay.spinner_box, "footer": lay.footer_box}
    if preview:
        assert lay.corner is not None
        boxes["corner"] = lay.corner
    if debug:
        assert lay.debug is not None
        boxes["debug"] = lay.debug
    for name, box in boxes.items():
        assert inside(box, lay), name
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not overlap(box_a, box_b), (a, b)


@pytest.mark.parametrize("size", SIZES)
def test_the_debug_panel_moves_nothing_of_the_emoji(size: tuple[int, int]) -> None:
    for preview in (False, True):
        plain, debug = make_layout(*size, preview), make_layout(*size, preview, debug=True)
        assert (plain.emoji, plain.title_y, plain.sub_y) == (debug.emoji, debug.title_y, debug.sub_y)
