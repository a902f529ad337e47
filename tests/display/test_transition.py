"""Transition timing: the emoji mixes in, the new texts are fully shown early, an instant cut is done at once."""

from __future__ import annotations

import pytest

from edge.display.transition import LEVELS, TEXT_FADE, Transition, alpha, ease, scale_at


def test_progress_mix_and_text_level_over_time() -> None:
    tr = Transition(start=10.0, duration=0.25, cross=True)
    times = [10.0 + 0.25 * i / 100 for i in range(101)]
    mixes = [tr.mix(t) for t in times]
    assert mixes[0] == 0 and mixes[-1] == LEVELS
    assert mixes == sorted(mixes)  # never goes back
    assert tr.text_level(10.0 + 0.25 * TEXT_FADE) == LEVELS
    assert 0 < tr.text_level(10.0 + 0.25 * TEXT_FADE / 2) < LEVELS
    assert not tr.done(10.2) and tr.done(10.25) and tr.done(99.0)
    assert tr.progress(9.0) == 0.0


def test_an_instant_transition_is_done_at_once() -> None:
    tr = Transition(start=10.0, duration=0.0, cross=False)
    assert tr.done(10.0) and tr.mix(10.0) == LEVELS and tr.text_level(10.0) == LEVELS


@pytest.mark.parametrize("t", [-1.0, 0.0, 0.3, 1.0, 2.0])
def test_ease_alpha_and_scale_stay_in_range(t: float) -> None:
    assert 0.0 <= ease(t) <= 1.0
    level = round(LEVELS * t)
    assert 0 <= alpha(level) <= 255
    assert 0.8 <= scale_at(level) <= 1.0
