"""The soak runs both services' loops and fails on growth; CI runs scripts/soak.py with --fail-on-growth."""

from __future__ import annotations

import pytest

from edge.harness.soak import GrowthLimits, SoakReport, SoakSample, soak


def report(rss, fds, threads) -> SoakReport:
    samples = [SoakSample(float(t), t * 30, rss[t], fds[t], 3.0, threads[t]) for t in range(len(rss))]
    return SoakReport(samples, "headless", warmup_s=2.0)


def test_soak_growth_check_flags_memory_fds_and_threads_after_the_warm_up():
    flat = report([90, 99, 100, 100, 100.2, 100.1, 100.3, 100.2, 100, 100.4], [8] * 10, [5] * 10)
    assert flat.growth(GrowthLimits()) == []  # the warm-up climb (90 -> 99) does not count
    leaking = report([100 + 0.5 * t for t in range(10)], [8] * 5 + [9] * 5, [5] * 9 + [6])
    problems = leaking.growth(GrowthLimits())
    assert any("rss_mb grew" in p for p in problems)
    assert any("fds grew by 1" in p for p in problems)
    assert any("threads grew by 1" in p for p in problems)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["headless", "kiosk"])
def test_soak_runs_the_shipped_loop_of_each_service(mode, monkeypatch):
    pytest.importorskip("skimage")
    if mode == "kiosk":
        pytest.importorskip("pygame")
        monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    result = soak("demo", duration=4.0, sample_every=0.5, realtime=True, mode=mode, warmup=1.0)
    summary = result.summary()
    assert summary["mode"] == mode and summary["frames"] >= 60  # paced at the demo's 30 fps
    assert len(result.samples) >= 6 and all(s.threads > 0 and s.fds > 0 for s in result.samples)
    assert summary["frame_ms"]["end"] > 0
    assert result.growth(GrowthLimits(rss_mb=20.0)) == []


def _pass_report():
    import numpy as np

    from edge.core.types import Decision, Frame, FrameReport

    blank = Decision("no_face", None, 0.0, np.zeros(7, np.float32))
    return FrameReport(Frame(np.zeros((4, 4), np.uint8), 0, 0.0), (), blank, {"detect": 1.0})


def test_the_sampler_keeps_its_samples_without_growing_the_memory_it_measures(monkeypatch):
    import tracemalloc

    from edge.harness import soak as soak_module

    clock = [0.0]
    monkeypatch.setattr(soak_module.time, "monotonic", lambda: clock[0])
    sampler = soak_module.Sampler(sample_every=1.0, capacity=2000)
    report = _pass_report()
    sampler.observe(report, 0.5)  # the first sample; the window and the rows are in place
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(1500):
        clock[0] += 1.0
        sampler.observe(report, 0.5)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 20_000, f"1,500 samples grew the sampler by {grown} bytes"  # a list of objects: ~400 kB
    samples = sampler.report().samples
    assert len(samples) == 1501 and samples[-1].t == 1500.0 and samples[-1].frames == 1501
    assert samples[-1].frame_ms == 1.5 and samples[-1].fds > 0


def test_a_run_longer_than_planned_keeps_every_other_sample(monkeypatch):
    from edge.harness import soak as soak_module

    clock = [0.0]
    monkeypatch.setattr(soak_module.time, "monotonic", lambda: clock[0])
    sampler = soak_module.Sampler(sample_every=1.0, capacity=10)
    report = _pass_report()
    for _ in range(40):
        sampler.observe(report, 0.0)
        clock[0] += 1.0
    times = [s.t for s in sampler.report().samples]
    assert times == sorted(times) and times[0] == 0.0 and times[-1] >= 30.0 and len(times) <= 10
