"""Kiosk display sink, drawn off screen with SDL's dummy video driver: what each screen shows, keys, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from edge.core.errors import ConfigError, DisplayError  # noqa: E402
from edge.core.labels import LABELS  # noqa: E402
from edge.core.types import FaceBox, FaceResult, RunInfo  # noqa: E402
from edge.display import emoji_art, probe, theme  # noqa: E402
from edge.display.probe import display_available  # noqa: E402
from edge.sinks.kiosk import KioskOptions, KioskSink  # noqa: E402
from edge.sources.base import CAMERA_FAULTS  # noqa: E402
from tests.fakes import FakeClock  # noqa: E402
from tests.sinks.kiosk_helpers import (  # noqa: E402
    HUGE,
    SMALL,
    bar_runs,
    draw,
    emoji_region,
    layout_of,
    make_report,
    pixels,
    scores_for,
)


def test_open_close_and_surface(open_sink: Callable[..., KioskSink]) -> None:
    sink = open_sink()
    assert sink.surface.get_size() == SMALL
    sink.close()
    sink.close()  # twice is fine
    with pytest.raises(RuntimeError):
        _ = sink.surface


def test_constructor_does_no_display_work() -> None:
    sink = KioskSink(KioskOptions(mode="window", size=SMALL))
    assert not pygame.display.get_init()
    sink.close()  # never opened: nothing to do
    assert not sink.poll_quit()


def test_handle_before_open_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="open"):
        KioskSink(KioskOptions(mode="window")).handle(make_report())


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "fullscreen"}, {"size": (0, 480)}, {"transition_ms": -1}],
)
def test_bad_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        KioskOptions(**kwargs)  # type: ignore[arg-type]


def test_kiosk_mode_is_fullscreen_without_cursor(clock: FakeClock) -> None:
    sink = KioskSink(KioskOptions(mode="kiosk"), clock=clock)
    sink.open()
    try:
        assert pygame.display.get_surface().get_flags() & pygame.FULLSCREEN
        assert not pygame.mouse.get_visible()
        w, h = sink.surface.get_size()
        assert w > 0 and h > 0
    finally:
        sink.close()


def test_happy_and_sad_look_different(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    happy = emoji_region(sink, draw(sink, clock, make_report("face", "happy")))
    sad = emoji_region(sink, draw(sink, clock, make_report("face", "sad")))
    assert np.abs(happy - sad).mean() > 10


def test_emoji_is_drawn_in_colour_with_the_font(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    if theme.find_emoji_font() is None:
        pytest.skip("fonts-noto-color-emoji is not installed")
    sink = open_sink()
    assert sink.uses_emoji_font
    region = emoji_region(sink, draw(sink, clock, make_report("face", "happy")))
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    yellow = (r > 200) & (g > 150) & (b < 120)
    assert yellow.mean() > 0.25


@pytest.mark.parametrize("top", ["happy", "sad", "disgust"])
def test_bars_follow_the_scores(open_sink: Callable[..., KioskSink], clock: FakeClock, top: str) -> None:
    sink = open_sink()
    img = draw(sink, clock, make_report("face", top, scores_for(top, 0.7)))
    runs = bar_runs(img, layout_of(sink))
    assert int(np.argmax(runs)) == LABELS.index(top)
    assert runs[LABELS.index(top)] > 3 * sorted(runs)[-2]


def test_bars_grow_with_the_score(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    i = LABELS.index("surprise")
    low = bar_runs(draw(sink, clock, make_report("face", "surprise", scores_for("surprise", 0.4))), layout_of(sink))
    high = bar_runs(draw(sink, clock, make_report("face", "surprise", scores_for("surprise", 0.9))), layout_of(sink))
    assert high[i] > low[i] * 1.8


def test_no_face_screen_differs_from_a_face(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    face = draw(sink, clock, make_report("face", "happy"))
    idle = draw(sink, clock, make_report("no_face", None))
    assert np.abs(face - idle).mean() > 5


def test_unsure_differs_from_face_for_the_same_label(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    sure = emoji_region(sink, draw(sink, clock, make_report("face", "happy")))
    unsure = emoji_region(sink, draw(sink, clock, make_report("unsure", "happy", scores_for("happy", 0.35))))
    assert np.abs(sure - unsure).mean() > 10


def test_message_screens_differ(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    shots = {state: draw(sink, clock, make_report(state, None)) for state in ("no_face", "camera_lost", "starting")}
    assert np.abs(shots["camera_lost"] - shots["no_face"]).mean() > 5
    assert np.abs(shots["starting"] - shots["no_face"]).mean() > 1


def test_idle_screen_breathes(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    a = draw(sink, clock, make_report("no_face", None))
    clock.t += 1.5
    sink.handle(make_report("no_face", None))
    assert np.abs(a - pixels(sink)).sum() > 0


@pytest.mark.parametrize("size", [SMALL, HUGE])
def test_all_states_draw_at_small_and_huge_sizes(
    open_sink: Callable[..., KioskSink], clock: FakeClock, size: tuple[int, int]
) -> None:
    sink = open_sink(size=size, show_preview=True, debug=True)
    assert sink.surface.get_size() == size
    face = draw(
        sink,
        clock,
        make_report("face", "surprise", faces=[FaceResult(FaceBox(50, 40, 80, 90), scores_for("surprise"))]),
    )
    region = emoji_region(sink, face)
    assert np.abs(region - np.array(theme.BG)).sum(axis=2).mean() > 30  # something big is drawn there
    for state in ("unsure", "no_face", "camera_lost", "starting"):
        draw(sink, clock, make_report(state, "happy" if state == "unsure" else None))


def test_fallback_faces_without_a_font(
    open_sink: Callable[..., KioskSink],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(theme, "FONT_SEARCH", [])
    monkeypatch.setattr(emoji_art, "_logged", set())
    with caplog.at_level(logging.WARNING, logger="edge.display.emoji_art"):
        sink = open_sink(font_path="/nonexistent/NoSuchEmoji.ttf")
    assert not sink.uses_emoji_font
    assert any("drawing simple faces" in r.message for r in caplog.records if r.levelno == logging.WARNING)
    regions = {
        label: emoji_region(sink, draw(sink, clock, make_report("face", label)))
        for label in ("happy", "sad", "surprise")
    }
    assert np.abs(regions["happy"] - regions["sad"]).mean() > 2
    assert np.abs(regions["happy"] - regions["surprise"]).mean() > 2
    unsure = emoji_region(sink, draw(sink, clock, make_report("unsure", "happy")))
    assert np.abs(regions["happy"] - unsure).mean() > 2


def test_every_fallback_face_is_distinct() -> None:
    pygame.display.init()
    try:
        keys = [*LABELS, emoji_art.THINKING]
        faces = {k: pygame.surfarray.array3d(emoji_art.draw_face(k, 120)).astype(int) for k in keys}
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                assert np.abs(faces[a] - faces[b]).sum() > 0, (a, b)
    finally:
        pygame.display.quit()


def test_emoji_surfaces_are_cached(open_sink: Callable[..., KioskSink]) -> None:
    open_sink()
    art = emoji_art.EmojiArt()
    assert art.get("happy", 200) is art.get("happy", 200)
    assert art.get("happy", 200).get_size()[0] == 200


def test_keys(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    plain = draw(sink, clock, make_report())
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_d))
    assert not sink.poll_quit()
    with_debug = draw(sink, clock, make_report())
    x, y, w, h = sink.layout.debug  # type: ignore[misc]
    panel = (slice(y, y + h), slice(x, x + w))
    assert np.abs(plain[panel] - with_debug[panel]).sum() > 0
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_p))
    sink.poll_quit()
    with_preview = draw(sink, clock, make_report())
    assert np.abs(with_debug - with_preview).sum() > 0
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_f))
    sink.poll_quit()
    assert not pygame.mouse.get_visible()  # now fullscreen
    fullscreen = draw(sink, clock, make_report())
    assert np.abs(fullscreen - np.array(theme.BG)).sum(axis=2).mean() > 5  # the new surface is drawn at once
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q))
    assert sink.poll_quit()
    assert sink.poll_quit()  # stays True


@pytest.mark.parametrize("event", ["escape", "quit"])
def test_escape_and_window_close_quit(open_sink: Callable[..., KioskSink], event: str) -> None:
    sink = open_sink()
    if event == "escape":
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE))
    else:
        pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert sink.poll_quit()


def test_preview_shows_the_camera_and_the_primary_box(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink(show_preview=True)
    rgb = np.zeros((240, 320, 3), np.uint8)
    rgb[..., 2] = 255  # blue
    faces = [FaceResult(FaceBox(100, 60, 100, 120), scores_for("happy"))]
    img = draw(sink, clock, make_report("face", "happy", preview=rgb, faces=faces))
    x, y, w, h = sink.layout.preview  # type: ignore[misc]
    box = img[y : y + h, x : x + w]
    blue = (box[..., 2] > 200) & (box[..., 0] < 50)
    green = np.all(np.abs(box - np.array(theme.PRIMARY_BOX)) < 10, axis=2)
    assert blue.mean() > 0.3
    assert green.sum() > 20
    # grey frames work as well
    draw(sink, clock, make_report("no_face", None))


def test_transition_cross_fades_with_the_clock(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink(transition_ms=250)
    happy = emoji_region(sink, draw(sink, clock, make_report("face", "happy")))
    clock.t += 1.0
    sink.handle(make_report("face", "sad"))
    start = emoji_region(sink)
    clock.t += 0.1
    sink.handle(make_report("face", "sad"))
    middle = emoji_region(sink)
    clock.t += 0.3
    sink.handle(make_report("face", "sad"))
    done = emoji_region(sink)
    assert np.abs(start - happy).mean() < np.abs(done - happy).mean()
    assert np.abs(middle - done).mean() > 1
    clock.t += 1.0
    sink.handle(make_report("face", "sad"))
    assert np.array_equal(emoji_region(sink), done)


def test_fps_from_handle_times(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink(debug=True, info=RunInfo(model="m.tflite", delegate="cpu"))
    for _ in range(6):
        sink.handle(make_report())
        clock.t += 0.05
    assert sink.fps == pytest.approx(20.0)


def test_status_text_and_a_broken_provider(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink(status_text=lambda: "model v3 · edge tpu")
    draw(sink, clock, make_report())

    def broken() -> str:
        raise ValueError("boom")

    sink2 = open_sink(status_text=broken)
    draw(sink2, clock, make_report())


def test_bad_scores_do_not_crash(open_sink: Callable[..., KioskSink], clock: FakeClock) -> None:
    sink = open_sink()
    draw(sink, clock, make_report("face", "happy", scores=np.array([np.nan, 0.5])))
    draw(sink, clock, make_report("face", "nonsense", scores=np.full(7, np.nan)))


def test_display_error_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "nosuchdriver")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(DisplayError, match="video,render,input"):
        KioskSink(KioskOptions(mode="kiosk")).open()
    with pytest.raises(DisplayError, match="DISPLAY"):
        KioskSink(KioskOptions(mode="window")).open()
    assert not pygame.display.get_init()


def test_display_available(monkeypatch: pytest.MonkeyPatch) -> None:
    assert display_available("window")[0]  # SDL_VIDEODRIVER=dummy
    assert not display_available("hologram")[0]
    monkeypatch.delenv("SDL_VIDEODRIVER")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    ok, reason = display_available("window")
    assert not ok and "DISPLAY" in reason
    monkeypatch.setattr(probe, "DRI_GLOB", "/nonexistent/dri/card*")
    ok, reason = display_available("kiosk")
    assert not ok and "/dev/dri" in reason
    monkeypatch.setenv("DISPLAY", ":0")
    ok, reason = display_available("window")
    assert ok and ":0" in reason
    assert not pygame.display.get_init()  # nothing was opened


def test_every_camera_fault_has_a_title_and_a_fix() -> None:
    assert set(theme.CAMERA_FAULT_MESSAGES) == set(CAMERA_FAULTS)
    titles = [title for title, _ in theme.CAMERA_FAULT_MESSAGES.values()]
    assert len(set(titles)) == len(titles)
    assert all(fix for _, fix in theme.CAMERA_FAULT_MESSAGES.values())


@pytest.mark.parametrize("size", [SMALL, (1920, 1080)])
def test_camera_lost_screen_names_the_cause(
    open_sink: Callable[..., KioskSink], clock: FakeClock, size: tuple[int, int]
) -> None:
    sink = open_sink(size=size)
    lay = layout_of(sink)
    text_rows = slice(lay.hero_title_y - lay.title_px // 2, lay.hero_sub_y + lay.sub_px // 2)
    shots = {}
    for fault in [None, "nonsense", *CAMERA_FAULTS]:
        shots[fault] = draw(sink, clock, make_report("camera_lost", None, camera_fault=fault))[text_rows]
    assert np.array_equal(shots[None], shots["nonsense"])  # an unknown cause: today's generic text
    causes = [None, *CAMERA_FAULTS]
    for i, a in enumerate(causes):
        for b in causes[i + 1 :]:
            assert np.abs(shots[a] - shots[b]).sum() > 1000, (a, b)


def test_after_the_x_server_went_away_the_screen_is_left_alone_and_not_reopened(
    open_sink: Callable[..., KioskSink], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge.display import screen, x11_guard

    sink = open_sink()
    assert not x11_guard.guard_x11_display()  # SDL's dummy driver: no X connection to guard
    monkeypatch.setattr(x11_guard._guard, "lost", True)
    with pytest.raises(screen.ScreenLostError, match="X server went away"):
        sink.handle(make_report())
    quits: list[int] = []
    monkeypatch.setattr(pygame.display, "quit", lambda: quits.append(1))
    sink.close()
    assert quits == []  # SDL's teardown would wait for ever on the dead server
    with pytest.raises(DisplayError, match="restart emojify"):
        KioskSink(KioskOptions(mode="window", size=SMALL)).open()
    monkeypatch.undo()
    pygame.display.quit()
