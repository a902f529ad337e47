"""Shared fixtures: generated face-like images, small data sets and the shipped model."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FER = ROOT.parent / "shared" / "data" / "fer2013"
MODEL = ROOT / "models" / "emotion_int8.tflite"

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(autouse=True)
def hermetic_machine_paths(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads this machine's /etc/emojify or /var/lib/emojify (subprocesses inherit the variables).

    The default config points at a file that does not exist (so the built-in defaults apply) and the
    state folder is an empty folder of the test's own.
    """
    home = tmp_path_factory.mktemp("machine")
    monkeypatch.setenv("EMOJIFY_CONFIG", str(home / "etc" / "config.toml"))
    monkeypatch.setenv("EMOJIFY_STATE_DIR", str(home / "state"))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    return home


def synthetic_face(label: int, size: int = 48, seed: int = 0) -> np.ndarray:
    """A grey image whose pattern depends on the class (learnable, not a real face)."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 90, np.uint8)
    c = size // 2
    cv2.circle(img, (c, c), int(size * 0.4), 170, -1)
    eye_y = int(size * (0.35 + 0.03 * (label % 3)))
    cv2.circle(img, (int(size * 0.35), eye_y), max(2, size // 16), 40, -1)
    cv2.circle(img, (int(size * 0.65), eye_y), max(2, size // 16), 40, -1)
    mouth_h = int(size * 0.04 * (label + 1))
    cv2.ellipse(img, (c, int(size * 0.7)), (int(size * 0.2), max(1, mouth_h)), 0, 0, 180 if label % 2 else 360, 30, -1)
    noise = rng.integers(-12, 12, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def write_fer_csv(path: Path, rows: list[tuple[int, np.ndarray, str]], gz: bool = False) -> Path:
    """Write a FER2013-format CSV (optionally gzip)."""
    lines = ["emotion,pixels,Usage"]
    for label, img, usage in rows:
        lines.append(f"{label},{' '.join(str(int(v)) for v in img.reshape(-1))},{usage}")
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def astronaut_video(path: Path, frames: int = 60, empty_tail: int = 0) -> Path:
    """A replay clip: the demo astronaut drifting sideways (face about 130 px), 15 fps MJPG.

    The last ``empty_tail`` frames show nobody.
    """
    skimage = pytest.importorskip("skimage")
    photo = cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png"))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 15.0, (640, 480))
    assert writer.isOpened()
    face = cv2.resize(photo[0:300, 80:380], (400, 400))
    for i in range(frames):
        canvas = np.full((480, 640, 3), 60, np.uint8)
        if i < frames - empty_tail:
            x = 60 + i * 3
            canvas[40:440, x : x + 400] = face
        writer.write(canvas)
    writer.release()
    return path


def start_headless_demo(cwd: Path, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    """Start `emojify run` on the demo source, headless, in a subprocess (JSON lines on stdout)."""
    env = {**os.environ, "HOME": str(cwd)}
    env.pop("DISPLAY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "edge", "run", "--source", "demo", "--display", "none", "--delegate", "cpu"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


@pytest.fixture
def small_fer_csv(tmp_path: Path) -> Path:
    """14 training and 7 test rows of synthetic faces."""
    rows = [(c, synthetic_face(c, seed=i), "Training") for i in range(2) for c in range(7)]
    rows += [(c, synthetic_face(c, seed=10 + c), "PublicTest") for c in range(7)]
    return write_fer_csv(tmp_path / "fer.csv", rows)


@pytest.fixture
def fer_data() -> Path:
    """The real FER2013 CSV from ../shared (skips when absent, as on a user's machine)."""
    path = SHARED_FER / "fer2013_train_publictest.csv.gz"
    if not path.exists():
        pytest.skip(f"FER2013 data not present at {path}")
    return path


@pytest.fixture
def model_path() -> Path:
    """The shipped int8 model."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: the repository must ship the model")
    return MODEL
