"""The decision layer inside the shipped loop: stills, media time, camera faults, and a log that replays exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import msgspec
import numpy as np
import pytest

from edge.cli.replay import settings
from edge.core.decision import Decider, DecisionConfig
from edge.core.types import FaceBox, Frame, RunInfo
from edge.data.replay import logged_records, read_log, replay
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import Pipeline
from edge.sinks.jsonlog import JsonLogSink
from edge.sinks.line_writer import LineWriter
from edge.sources.base import CameraLostError
from tests.fakes import ConstClassifier, FixedDetector, ListSink

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "NOTIFY_SOCKET"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def happy_photos(folder: Path, n: int = 12) -> Path:
    """``n`` different photos of the demo astronaut's smile: sizes, mirror images, exposure, tilt, backdrop."""
    skimage = pytest.importorskip("skimage")
    photo = cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png"))
    head = photo[0:300, 80:380]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        side = 300 + 10 * i
        img = cv2.resize(head, (side, side))
        if i % 2:
            img = np.ascontiguousarray(img[:, ::-1])
        img = np.clip(img.astype(np.float32) * (0.7 + 0.05 * i), 0, 255).astype(np.uint8)
        turn = cv2.getRotationMatrix2D((side / 2, side / 2), (i - 6) * 1.5, 1)
        img = cv2.warpAffine(img, turn, (side, side), borderMode=cv2.BORDER_REPLICATE)
        canvas = np.full((480, 640, 3), 40 + 12 * i, np.uint8)
        canvas[20 : 20 + side, 15 * i : 15 * i + side] = img[:460, :]
        cv2.imwrite(str(folder / f"photo_{i:02d}.jpg"), canvas)
    return folder


@pytest.mark.slow
def test_a_folder_of_happy_photos_logs_one_happy_decision_per_photo(tmp_path):
    folder = happy_photos(tmp_path / "photos")
    result = run_cli(["run", "--source", str(folder), "--display", "none", "--delegate", "cpu"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    decisions = [entry for entry in lines if entry.get("type") == "change"]
    assert [(d["frame"], d["state"], d["decision"], d["still"]) for d in decisions] == [
        (i, "face", "happy", True) for i in range(12)
    ]
    assert all(d["confidence"] > 0.9 for d in decisions)  # the shown emoji's own probability
    assert lines[-1]["type"] == "summary" and lines[-1]["counts"]["happy"] == 12


class ScriptedCamera:
    """A live camera at 15 fps that fails once, at frame ``fault``, and then works again."""

    name, live = "scripted", True

    def __init__(self, fault: int) -> None:
        self.fault, self.index, self.failed = fault, 0, False

    def open(self) -> None:
        pass

    def read(self) -> Frame:
        if self.index == self.fault and not self.failed:
            self.failed = True
            raise CameraLostError("read failed")
        self.index += 1
        return Frame(np.full((120, 160), 128, np.uint8), self.index, self.index / 15)

    def close(self) -> None:
        pass


def test_after_a_camera_fault_the_decision_layer_starts_a_new_scene():
    sink = ListSink()
    Pipeline(ScriptedCamera(fault=30), Analyzer(FixedDetector(), ConstClassifier()), Decider(), [sink]).run(60)
    shown = [r.decision.shown for r in sink.reports]
    lost = shown.index("camera_lost")
    assert shown[lost - 1] == "happy"
    # the face is confirmed again instead of the old emoji carrying on across the outage
    assert shown[lost + 1] == "starting" and shown[-1] == "happy"


class TwoPeople:
    """Two faces whose sizes cross over and that the detector sometimes misses."""

    name = "two-people"

    def __init__(self) -> None:
        self.rng = np.random.default_rng(3)
        self.n = 0

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        self.n += 1
        a = 40 + 20 * np.sin(self.n / 25)
        faces = [FaceBox(5, 5, int(a), int(a)), FaceBox(80, 20, 40, 40)]
        kept = [f for f in faces if self.rng.random() > 0.1]
        return sorted(kept, key=lambda f: -f.area)


class MoodyClassifier:
    """Probabilities that drift between expressions, with noise: the decision layer keeps deciding."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(4)
        self.n = 0

    def classify(self, pixels: np.ndarray) -> np.ndarray:
        self.n += 1
        v = self.rng.dirichlet(np.ones(7)) * 0.45
        v[(self.n // 40) % 7] += 0.55
        return v.astype(np.float32)


class Clock15:
    name, live = "clock", False

    def __init__(self, frames: int) -> None:
        self.i, self.frames = 0, frames

    def open(self) -> None:
        pass

    def read(self) -> Frame | None:
        if self.i >= self.frames:
            return None
        self.i += 1
        return Frame(np.full((120, 160), 128, np.uint8), self.i, self.i / 15 + 0.003 * (self.i % 3))

    def close(self) -> None:
        pass


def test_replaying_a_recorded_log_with_its_own_settings_reproduces_every_frame(tmp_path):
    config = DecisionConfig(min_hold=0.4, switch_after=0.2)
    path = tmp_path / "run.jsonl"
    sink = JsonLogSink(LineWriter(path), lines="frames", smoothing=msgspec.structs.asdict(config))
    pipeline = Pipeline(Clock15(900), Analyzer(TwoPeople(), MoodyClassifier()), Decider(config), [sink])
    pipeline.info = RunInfo(source="clock")
    pipeline.run()
    read = read_log(path)
    assert len(read.frames) == 900 and read.time_base == "t"
    configs = settings(read, None, {})
    assert configs == [config]
    recorded = logged_records(read.frames)
    again = replay(read.frames, configs)
    assert [r.shown for r in again] == [r.shown for r in recorded]
    assert [r.face_id for r in again] == [r.face_id for r in recorded]
    assert len({r.shown for r in recorded}) >= 4  # it did have things to decide
    other = replay(read.frames, [msgspec.structs.replace(config, min_hold=1.5)])
    assert [r.shown for r in other] != [r.shown for r in recorded]


@pytest.mark.slow
def test_emojify_replay_reproduces_a_run_of_the_app_and_tries_other_settings(tmp_path):
    from tests.conftest import astronaut_video

    video = astronaut_video(tmp_path / "clip.avi", frames=60, empty_tail=20)
    log = tmp_path / "run.jsonl"
    args = ["run", "--source", str(video), "--display", "none", "--delegate", "cpu", "--log", str(log)]
    assert run_cli([*args, "--log-lines", "frames"], tmp_path).returncode == 0
    same = run_cli(["replay", str(log)], tmp_path)
    assert same.returncode == 0, same.stderr
    assert "# settings: as recorded" in same.stdout
    assert "the replay shows what was recorded on 60 of 60 frames" in same.stdout
    rows = {line.split()[0]: line.split()[1:] for line in same.stdout.splitlines() if not line.startswith("#")}
    assert rows["recorded"] == rows["replayed"] and "agree" in rows["run"]
    other = run_cli(["replay", str(log), "--set", "no_face_after=3.0"], tmp_path)
    assert other.returncode == 0 and "no_face_after = 3 (recorded 1.5)" in other.stdout
    bad = run_cli(["replay", str(log), "--set", "min_hold=-1"], tmp_path)
    assert bad.returncode == 2 and "[smoothing] min_hold must be in 0.0..10.0, got -1" in bad.stderr
    changes_only = tmp_path / "changes.jsonl"
    assert run_cli([*args[:-1], str(changes_only)], tmp_path).returncode == 0
    refused = run_cli(["replay", str(changes_only)], tmp_path)
    assert refused.returncode == 2 and "--log-lines frames" in refused.stderr
