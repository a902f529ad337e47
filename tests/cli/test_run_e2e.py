"""`emojify run` end to end: headless JSON lines on a generated video, signals, privacy."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.core.labels import LABELS
from tests.conftest import astronaut_video, start_headless_demo

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], cwd: Path, env_extra: dict[str, str] | None = None, timeout: float = 60):
    env = {**os.environ, "HOME": str(cwd), **(env_extra or {})}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        env.pop(name, None)
    env.pop("NOTIFY_SOCKET", None)
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_headless_video_run_writes_valid_json_lines_and_ends(tmp_path):
    video = astronaut_video(tmp_path / "clip.avi", frames=60, empty_tail=30)  # nobody for the last 2 s
    log = tmp_path / "log" / "expressions.jsonl"
    before = {p for p in tmp_path.rglob("*")}
    result = run_cli(
        [
            "run",
            "--source",
            str(video),
            "--display",
            "none",
            "--log",
            str(log),
            "--model",
            str(ROOT / "models" / "emotion_int8.tflite"),
            "--delegate",
            "cpu",
            "--summary-interval",
            "1",
            "--log-lines",
            "frames",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "end of source" in result.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[0]["type"] == "start" and lines[0]["lines"] == "frames" and "min_hold" in lines[0]["smoothing"]
    frames = [entry for entry in lines if "type" not in entry]
    summaries = [entry for entry in lines if entry.get("type") == "summary"]
    assert [f["frame"] for f in frames] == list(range(60))
    assert [f["t"] for f in frames] == pytest.approx([i / 15 for i in range(60)])  # media time
    for entry in frames:
        keys = {"ts", "frame", "faces", "decision", "state", "latency_ms", "t", "confidence", "primary", "person"}
        assert set(entry) == keys
        assert entry["state"] in ("starting", "face", "unsure", "no_face")
        for face in entry["faces"]:
            assert len(face["box"]) == 4 and face["emotion"] in LABELS and isinstance(face["id"], int)
            assert list(face["scores"]) == list(LABELS)
            assert abs(sum(face["scores"].values()) - 1) < 0.02
    with_face = [f for f in frames if f["faces"]]
    assert len(with_face) >= 25  # the astronaut is found while she is in the picture
    assert frames[-1]["state"] == "no_face" and frames[-1]["decision"] is None
    assert {"capture", "detect", "preprocess", "classify", "smooth"} <= set(frames[5]["latency_ms"])
    assert summaries and sum(summaries[-1]["counts"].values()) <= summaries[-1]["frames"]
    # privacy: the run wrote the log and nothing else
    created = {p for p in tmp_path.rglob("*")} - before
    assert {p for p in created if p.is_file()} == {log}


def test_by_default_the_log_holds_the_changes_of_what_is_shown(tmp_path):
    video = astronaut_video(tmp_path / "clip.avi", frames=60, empty_tail=30)
    result = run_cli(["run", "--source", str(video), "--display", "none", "--delegate", "cpu"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["type"] == "start" and lines[0]["lines"] == "changes"
    assert lines[-1]["type"] == "summary" and lines[-1]["frames"] == 60
    changes = [entry for entry in lines if entry.get("type") == "change"]
    shown = [c["decision"] if c["state"] == "face" else c["state"] for c in changes]
    assert shown[0] == "starting" and shown[-1] == "no_face" and len(shown) >= 3
    assert all(a != b for a, b in itertools.pairwise(shown))  # a line per change, not per frame
    for before, change in itertools.pairwise(changes):
        assert change["previous"] == (before["decision"] if before["state"] == "face" else before["state"])
        assert change["previous_s"] == pytest.approx(change["t"] - before["t"], abs=1e-3)


def test_log_every_thins_frame_lines(tmp_path):
    video = astronaut_video(tmp_path / "clip.avi", frames=20)
    result = run_cli(
        ["run", "--source", str(video), "--display", "none", "--log-every", "5", "--delegate", "cpu"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [entry["frame"] for entry in lines if "frame" in entry] == [0, 5, 10, 15]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_ends_run_cleanly_within_two_seconds(tmp_path, sig):
    proc = start_headless_demo(tmp_path)
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["type"] == "start"
        first = proc.stdout.readline()  # wait for the first decision: the loop runs
        assert json.loads(first)["frame"] == 0
        sent = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=5)
        assert time.monotonic() - sent < 2.0
        assert proc.returncode == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "missing.tflite"], "missing.tflite not found"),
        (["--source", "/nonexistent/clip.mp4"], "clip.mp4"),
        (["--display", "kiosk"], "display 'kiosk' is not available"),
    ],
)
def test_bad_setup_gives_one_line_not_a_traceback(tmp_path, args, message):
    result = run_cli(["run", "--delegate", "cpu", "--max-frames", "1", *args], tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("emojify: error:")


def test_check_config_names_the_bad_key(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[faces]\nmin_size = 'big'\n")
    result = run_cli(["check-config", "--config", str(config)], tmp_path)
    assert result.returncode == 2 and "c.toml:2: [faces] min_size must be a whole number" in result.stderr
