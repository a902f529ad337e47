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
