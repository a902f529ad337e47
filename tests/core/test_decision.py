"""The decision layer's rules, as properties on random score streams and as table-driven scenes.

The properties check the rules of :mod:`edge.core.decision` against averages recomputed here
from the raw stream (brute force, independent of the module's bookkeeping).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config.loader import build_config, load_config
from edge.core.decision import MAX_STEP, Decider, DecisionConfig
from edge.core.errors import ConfigError
from edge.core.labels import LABELS
from edge.core.types import FaceBox, FaceResult

FPS = 15.0
CFG = DecisionConfig()


def onehot(label: str, p: float = 0.9) -> np.ndarray:
    v = np.full(7, (1 - p) / 6, np.float32)
    v[LABELS.index(label)] = p
    return v


def feed(
    decider: Decider, scores: np.ndarray | None, start: float, seconds: float, fps: float = FPS
) -> tuple[list, float]:
    """Feed the same scores for ``seconds``; returns ``[(t, state, label)]`` and the next frame time."""
    out = []
    n = round(seconds * fps)
    for i in range(n):
        t = start + i / fps
        d = decider.update_scores(scores, t)
        out.append((t, d.state, d.label))
    return out, start + n / fps


def shown(decision_state: str, label: str | None) -> str:
    return label if decision_state == "face" and label else decision_state


def changes(timeline: list) -> list[tuple[float, str]]:
    """``(time, new shown)`` at every change of what is shown."""
    out = []
    last = None
    for t, state, label in timeline:
        now = shown(state, label)
        if now != last:
            out.append((t, now))
            last = now
    return out


# -- reference averages, recomputed from the stream -------------------------------------------


class Reference:
    """Brute-force average and support of a single face, in the face's own time (gaps capped)."""

    def __init__(self, cfg: DecisionConfig) -> None:
        self.cfg = cfg
        self.frames: list[tuple[float, np.ndarray]] = []  # (face clock, scores)
        self.avg: np.ndarray | None = None
        self.clock = 0.0
        self.seen: float | None = None
        self.gone_since: float | None = None

    def observe(self, scores: np.ndarray | None, t: float) -> None:
        if scores is None:
            if self.seen is not None and t - self.seen > self.cfg.no_face_after:
                self.__init__(self.cfg)  # type: ignore[misc]  # the face is forgotten
            return
        s = scores.astype(np.float64)
        if self.seen is None:
            self.avg, self.clock = s.copy(), 0.0
        else:
            dt = min(t - self.seen, MAX_STEP)
            self.clock += dt
            alpha = 1 - math.exp(-dt / self.cfg.time_constant)
            self.avg = self.avg + alpha * (s - self.avg)
        self.seen = t
        self.frames.append((self.clock, s))

    def support(self) -> np.ndarray:
        assert self.frames, "an emoji shown after its face was forgotten"
        w = self.cfg.support_window
        self.frames = [(c, s) for c, s in self.frames if c > self.clock - w + 1e-9] or self.frames[-1:]
        return np.mean([s for _, s in self.frames], axis=0)


# -- strategies --------------------------------------------------------------------------------


@st.composite
def score_streams(draw, gaps: bool = True):
    """A stream of ``(t, scores | None)``: segments of a dominant label with noise, and gaps.

    Frame intervals vary per segment (1/30 to 0.2 s, with jitter), as a busy Pi's would.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frames = []
    t = 0.0
    kinds = ["peak", "peak", "flat", "gap"] if gaps else ["peak", "peak", "flat"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(kinds))
        label = draw(st.integers(0, 6))
        strength = draw(st.floats(0.2, 1.0))
        n = draw(st.integers(1, 25))
        step = draw(st.sampled_from([1 / 30, 1 / 15, 1 / 10, 0.2]))
        times = t + np.cumsum(step * rng.uniform(0.7, 1.3, n))
        t = float(times[-1])
        noise = rng.dirichlet(np.ones(7) * (0.5 if kind == "peak" else 5.0), size=n)
        for k in range(n):
            if kind == "gap":
                frames.append((float(times[k]), None))
                continue
            v = noise[k]
            if kind == "peak":
                v = (1 - strength) * v
                v[label] += strength
            frames.append((float(times[k]), v.astype(np.float32)))
    return frames


configs = st.builds(
    lambda **kw: DecisionConfig(**{**kw, "no_face_after": max(kw["no_face_after"], kw["min_hold"])}),
    time_constant=st.sampled_from([0.1, 0.3, 0.6]),
    switch_after=st.sampled_from([0.0, 0.1, 0.25, 0.5]),
    unsure_threshold=st.sampled_from([0.3, 0.4, 0.6]),
    support_floor=st.sampled_from([0.1, 0.25, 0.3]),
    min_hold=st.sampled_from([0.3, 0.5, 1.0]),
    face_after=st.sampled_from([0.0, 0.1, 0.3]),
    no_face_after=st.sampled_from([0.5, 1.5]),
)


def run(cfg: DecisionConfig, stream):
    """Decide a stream; yields per frame ``(t, scores, decision, reference)`` (reference after the frame)."""
    decider = Decider(cfg)
    ref = Reference(cfg)
    for t, scores in stream:
        d = decider.update_scores(scores, t)
        ref.observe(scores, t)
        yield t, scores, d, ref


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(score_streams(), configs)
def test_rule1_never_shows_an_unsupported_emoji(stream, cfg):
    for _t, _s, d, ref in run(cfg, stream):
        if d.state == "face":
            assert ref.support()[LABELS.index(d.label)] >= cfg.support_floor - 1e-6


@settings(max_examples=80, deadline=None)
@given(score_streams(), configs)
def test_rule2_only_a_qualifying_label_is_newly_shown(stream, cfg):
    last = "starting"
    for _t, _s, d, ref in run(cfg, stream):
        now = shown(d.state, d.label)
        if d.state == "face" and now != last:
            i = LABELS.index(d.label)
            avg = ref.avg
            runner_up = np.max(np.delete(avg, i))
            assert avg[i] - runner_up >= cfg.lead_margin - 1e-6
            assert avg[i] >= cfg.unsure_threshold - 1e-6
            assert ref.support()[i] >= cfg.support_floor - 1e-6
        last = now


@settings(max_examples=80, deadline=None)
@given(score_streams(), configs)
def test_rule4_nothing_changes_faster_than_min_hold_unless_its_support_collapsed(stream, cfg):
    last, since = None, 0.0
    for t, _s, d, ref in run(cfg, stream):
        now = shown(d.state, d.label)
        if last is not None and now != last and last != "starting":
            held = t - since
            if held < cfg.min_hold - 1e-9:
                # Only rule 1 may cut a stretch short, and only an emoji's.
                assert last in LABELS, f"{last} lasted {held:.3f} s"
                assert ref.support()[LABELS.index(last)] < cfg.support_floor + 1e-6
        if now != last:
            last, since = now, t


@settings(max_examples=80, deadline=None)
@given(score_streams(gaps=False), st.integers(0, 6), st.floats(0.05, 0.3), configs)
def test_rule3_a_held_clear_label_is_shown_within_the_promised_time(prefix, label, delta, cfg):
    """After a step to steady scores whose label clears margin, threshold and floor by ``delta``,
    it is on screen within the module's promise, and stays."""
    top = max(cfg.unsure_threshold, cfg.support_floor) + delta
    rest = (1 - top) / 6
    if top - rest < cfg.lead_margin + delta or top > 1:
        return  # not a clear label under this config
    steady = np.full(7, rest, np.float32)
    steady[label] = top
    t0 = prefix[-1][0] + 1 / FPS
    settle = max(cfg.time_constant * math.log(2 / delta), cfg.support_window)
    promise = settle + max(cfg.face_after, cfg.switch_after) + cfg.min_hold + 2 / FPS
    stream = prefix + [(t0 + i / FPS, steady) for i in range(round((promise + 1) * FPS))]
    first = settled = None
    for t, _s, d, _ref in run(cfg, stream):
        on = d.state == "face" and d.label == LABELS[label]
        if t >= t0 and on and first is None:
            first = t
        if t >= t0 + settle and on and settled is None:
            settled = t
        if settled is not None:
            assert on, "once shown after the settling time, a steady label stays"
    assert first is not None and first - t0 <= promise + 1e-6, (first, promise)


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_the_frame_rate_changes_switch_times_by_at_most_a_frame(fps):
    """Times, not frame counts: the same scene at another frame rate switches at the same moment."""

    def switch_time(rate: float) -> float:
        d = Decider()
        _, t = feed(d, onehot("happy"), 0.0, 2.0, fps=rate)
        timeline, _ = feed(d, onehot("sad", 0.8), t, 2.0, fps=rate)
        return next(tt for tt, _s, lab in timeline if lab == "sad") - t

    assert abs(switch_time(fps) - switch_time(15.0)) <= 1 / fps + 1 / 15 + 1e-9


# -- table-driven scenes -----------------------------------------------------------------------


def test_laugh_after_fear_switches_once_without_passing_through_unsure():
    d = Decider()
    a, t = feed(d, onehot("fear", 0.8), 0.0, 2.0)
    b, _ = feed(d, onehot("happy", 0.95), t, 2.0)
    steps = changes(a + b)
    assert [s for _, s in steps] == ["starting", "fear", "happy"]
    switched = steps[-1][0]
    assert switched - t <= 0.5  # the laugh is on screen within half a second


def test_one_frame_blip_changes_nothing():
    d = Decider()
    _a, t = feed(d, onehot("happy"), 0.0, 2.0)
    blip = d.update_scores(onehot("sad", 1.0), t)
    b, _ = feed(d, onehot("happy"), t + 1 / FPS, 1.0)
    assert blip.label == "happy"
    assert {shown(s, lab) for _, s, lab in b} == {"happy"}


def test_a_dip_to_unsure_pauses_the_dwell_instead_of_restarting_it():
    # Without averaging (time_constant and support_window 0) lead time counts exactly, at 10 fps:
    # 0.2 s of sad leading, 0.2 s with no clear leader, then sad again: its 0.4 s of lead are
    # complete on the 2nd frame of the second stretch, not 0.4 s after it began.
    cfg = DecisionConfig(time_constant=0.0, support_window=0.0, switch_after=0.4, min_hold=0.5)
    d = Decider(cfg)
    _, t = feed(d, onehot("happy"), 0.0, 2.0, fps=10)
    sad_leads = np.array([0.05, 0.05, 0.05, 0.3, 0.45, 0.05, 0.05], np.float32)  # happy keeps its support
    nobody_leads = np.array([0.08, 0.08, 0.08, 0.3, 0.3, 0.08, 0.08], np.float32)
    a, t = feed(d, sad_leads, t, 0.2, fps=10)
    b, t = feed(d, nobody_leads, t, 0.2, fps=10)
    c, _ = feed(d, sad_leads, t, 0.4, fps=10)
    assert {lab for _, _, lab in a + b} == {"happy"}
    assert [lab for _, _, lab in c] == ["happy", "sad", "sad", "sad"]


def test_a_one_frame_blip_of_a_third_label_costs_the_candidate_one_frame_not_its_count():
    cfg = DecisionConfig(time_constant=0.0, support_window=0.0, switch_after=0.4, min_hold=0.5)
    d = Decider(cfg)
    _, t = feed(d, onehot("happy"), 0.0, 2.0, fps=10)
    sad_leads = np.array([0.05, 0.05, 0.05, 0.3, 0.45, 0.05, 0.05], np.float32)
    angry_leads = np.array([0.45, 0.05, 0.05, 0.3, 0.05, 0.05, 0.05], np.float32)
    a, t = feed(d, sad_leads, t, 0.3, fps=10)  # sad: 0.3 s of lead
    b, t = feed(d, angry_leads, t, 0.1, fps=10)  # angry for one frame: sad drops to 0.2 s
    c, _ = feed(d, sad_leads, t, 0.4, fps=10)  # 0.3, then 0.4 s: shown on the 2nd frame
    assert {lab for _, _, lab in a + b} == {"happy"}
    assert [lab for _, _, lab in c] == ["happy", "sad", "sad", "sad"]


def test_a_collapsed_emoji_gives_way_in_the_same_frame():
    # After happy, scores with no clear leader: nothing can take over by rule 3, so happy must
    # leave exactly when its support (mean of the last 0.5 s) falls under the floor.
    cfg = DecisionConfig()
    d = Decider(cfg)
    ref = Reference(cfg)
    vague = np.array([0.2, 0.05, 0.2, 0.05, 0.2, 0.1, 0.2], np.float32)
    t = 0.0
    for i in range(round(4 * FPS)):
        scores = onehot("happy", 0.95) if i < 2 * FPS else vague
        dec = d.update_scores(scores, t)
        ref.observe(scores, t)
        happy_supported = ref.support()[LABELS.index("happy")] >= cfg.support_floor
        if i >= 2 * FPS:
            assert (dec.label == "happy") == happy_supported, t
            if not happy_supported:
                assert dec.state == "unsure"
        t += 1 / FPS


def test_face_lost_for_a_fifth_of_a_second_keeps_the_emoji():
    d = Decider()
    _a, t = feed(d, onehot("surprise"), 0.0, 2.0)
    gap, t = feed(d, None, t, 0.2)
    b, _ = feed(d, onehot("surprise"), t, 1.0)
    assert {shown(s, lab) for _, s, lab in gap + b} == {"surprise"}


def test_face_lost_for_three_seconds_goes_idle_then_shows_the_next_face_quickly():
    cfg = DecisionConfig()
    d = Decider(cfg)
    _, t = feed(d, onehot("surprise"), 0.0, 2.0)
    gap, t2 = feed(d, None, t, 3.0)
    idle_at = next(tt for tt, s, _ in gap if s == "no_face")
    assert idle_at - t == pytest.approx(cfg.no_face_after, abs=1.5 / FPS)
    assert gap[-1][1] == "no_face"
    back, _ = feed(d, onehot("neutral", 0.99), t2, 1.0)
    first = next(tt for tt, s, lab in back if s == "face")
    assert back[[x[0] for x in back].index(first)][2] == "neutral"
    assert first - t2 <= 0.3  # a confident new face within 0.3 s
    assert {s for _, s, _ in back} <= {"no_face", "face"}  # never "not sure" on the way


def test_a_one_frame_false_detection_never_leaves_the_idle_screen():
    d = Decider()
    feed(d, None, 0.0, 2.0)
    assert d.update_scores(onehot("angry", 0.99), 2.0).state == "no_face"
    timeline, _ = feed(d, None, 2.0 + 1 / FPS, 2.0)
    assert {s for _, s, _ in timeline} == {"no_face"}


def test_an_unclear_face_is_unsure_and_says_so():
    d = Decider()
    timeline, _ = feed(d, np.full(7, 1 / 7, np.float32), 0.0, 2.0)
    assert timeline[-1][1] == "unsure" and timeline[-1][2] is None
    assert d.decision.confidence == pytest.approx(1 / 7, abs=1e-3)


def face(x: int, size: int, label: str, p: float = 0.9) -> FaceResult:
    return FaceResult(FaceBox(x, 100, size, size), onehot(label, p))


def test_two_faces_swapping_size_switch_once_and_never_back():
    # 0-2 s: A (happy) is the larger face; 2-5 s: both about the same size, jittering like real
    # detector boxes; 5-8 s: B (sad) has come much closer. One handover, at the end, never back:
    # "not sure" while B's emoji earns its dwell as the face on screen, then B's.
    d = Decider()
    shown_seq = []
    rng = np.random.default_rng(0)
    for i in range(round(8 * FPS)):
        t = i / FPS
        size_b = 110 if t < 2 else 160 if t < 5 else 230
        jitter = rng.normal(0, 6, 2)
        faces = [face(60, round(160 + jitter[0]), "happy"), face(380, round(size_b + jitter[1]), "sad")]
        faces.sort(key=lambda f: -f.box.area)  # detectors list the largest first
        dec = d.update(faces, t)
        shown_seq.append((t, shown(dec.state, dec.label)))
    steps = [(t, s) for i, (t, s) in enumerate(shown_seq) if i == 0 or s != shown_seq[i - 1][1]]
    assert [s for _, s in steps] == ["starting", "happy", "unsure", "sad"]
    assert steps[-2][0] >= 5.0 and steps[-1][0] - steps[-2][0] == pytest.approx(0.5, abs=1.5 / FPS)


def test_the_primary_face_hands_over_when_it_leaves_and_another_stays():
    cfg = DecisionConfig()
    d = Decider(cfg)
    for i in range(round(2 * FPS)):
        d.update([face(60, 200, "happy"), face(380, 150, "sad")], i / FPS)
    assert d.decision.label == "happy" and d.primary == 0
    t0 = 2.0
    for i in range(round(2 * FPS)):
        dec = d.update([face(380, 150, "sad")], t0 + i / FPS)
        if dec.label == "sad":
            assert (t0 + i / FPS) - t0 <= cfg.min_hold + 2 / FPS
            break
    assert d.decision.label == "sad" and d.primary == 0


def test_still_photos_are_each_decided_on_their_own():
    d = Decider()
    labels = ["happy", "happy", "sad", "neutral"]
    results = [d.still([face(10, 120, lab, 0.8)], float(i)) for i, lab in enumerate(labels)]
    assert [r.label for r in results] == labels and {r.state for r in results} == {"face"}
    assert d.still([FaceResult(FaceBox(0, 0, 50, 50), np.full(7, 1 / 7, np.float32))], 9.0).state == "unsure"
    assert d.still([], 10.0).state == "no_face"
    # the largest face drives a still
    two = [face(0, 50, "angry"), face(100, 200, "surprise")]
    assert d.still(two, 11.0).label == "surprise" and d.primary == 1


def test_reset_starts_a_new_scene():
    d = Decider()
    feed(d, onehot("happy"), 0.0, 2.0)
    d.reset()
    assert d.decision.state == "starting"
    timeline, _ = feed(d, onehot("sad", 0.95), 2.0, 1.0)
    assert [s for _, s in changes(timeline)] == ["starting", "sad"]


def test_starting_then_idle_without_faces():
    d = Decider()
    assert d.decision.state == "starting"
    assert d.update([], 0.0).state == "no_face"


def test_decision_reports_the_shown_emojis_own_average():
    d = Decider()
    feed(d, onehot("happy", 0.8), 0.0, 2.0)
    dec = d.decision
    assert dec.label == "happy"
    assert dec.confidence == pytest.approx(float(dec.scores[LABELS.index("happy")]), abs=1e-6)
    assert dec.confidence == pytest.approx(0.8, abs=1e-3)
    assert d.support[LABELS.index("happy")] == pytest.approx(0.8, abs=1e-3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_constant": -1.0}, r"\[smoothing\] time_constant must be in 0.0..10.0"),
        ({"support_floor": 0.5, "unsure_threshold": 0.4}, r"\[smoothing\] support_floor \(0.5\) must not exceed"),
        ({"lead_margin": 2.0}, r"\[smoothing\] lead_margin must be in 0.0..1.0"),
        ({"switch_ratio": 0.5}, r"\[smoothing\] switch_ratio must be in 1.0..10.0"),
        ({"min_hold": math.nan}, r"\[smoothing\] min_hold must be in"),
        ({"min_hold": 2.0, "no_face_after": 1.0}, r"\[smoothing\] no_face_after \(1.0\) must be at least min_hold"),
    ],
)
def test_bad_settings_name_the_key(change, message):
    with pytest.raises(ConfigError, match=message):
        build_config({"smoothing": change})


def test_contradicting_settings_name_the_line_of_a_key_the_file_sets(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# mine\n[smoothing]\nmin_hold = 2.0\n")
    with pytest.raises(ConfigError, match=r"config.toml:3: \[smoothing\] no_face_after \(1.5\) must be at least"):
        load_config(path)
    with pytest.raises(ValueError, match="no_face_after"):
        DecisionConfig(min_hold=2.0)  # the same check when code builds the settings
