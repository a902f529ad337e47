"""The camera-like clips: scripts that hold what they claim, and faces the app's detector finds."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.decision_metrics import FrameRecord
from edge.core.labels import LABELS
from edge.harness.live_clips import write_clip
from edge.harness.live_scenes import FacePool, make_scene
from edge.harness.live_truth import read_truth, truth_labels, truth_metrics
from tests.conftest import synthetic_face


@pytest.fixture(scope="module")
def pool() -> FacePool:
    images = {c: np.stack([synthetic_face(c, seed=s) for s in range(3)]) for c in range(7)}
    return FacePool(images, {c: [100 * c + s for s in range(3)] for c in range(7)})


def test_a_clip_and_its_sidecar_agree_frame_by_frame(tmp_path: Path, pool: FacePool):
    sidecar = write_clip(make_scene("expressive", pool, seconds=2.0, fps=10), pool, tmp_path / "c.avi")
    truth = read_truth(sidecar)
    assert truth["kind"] == "expressive" and truth["fps"] == 10 and len(truth["frames"]) == 20
    assert [f["t"] for f in truth["frames"]] == pytest.approx([i / 10 for i in range(20)])
    cap = cv2.VideoCapture(str(tmp_path / "c.avi"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 20
    for frame in truth["frames"]:
        (face,) = frame["faces"]
        assert (
            face["label"] in LABELS and len(face["box"]) == 4 and face["row"] in pool.rows[LABELS.index(face["label"])]
        )


def test_the_same_seed_makes_the_same_clip_and_another_seed_another(tmp_path: Path, pool: FacePool):
    def first_frame(seed: int, name: str) -> np.ndarray:
        write_clip(make_scene("hard", pool, seconds=0.5, fps=10, seed=seed), pool, tmp_path / name)
        ok, img = cv2.VideoCapture(str(tmp_path / name)).read()
        assert ok
        return img

    assert np.array_equal(first_frame(3, "a.avi"), first_frame(3, "b.avi"))
    assert not np.array_equal(first_frame(3, "a.avi"), first_frame(4, "c.avi"))


def test_scripts_hold_what_the_kinds_promise(pool: FacePool):
    laughing = make_scene("laughing", pool, seconds=30.0)
    (actor,) = laughing.actors
    happy = sum(s.t1 - s.t0 for s in actor.shots if LABELS[s.label] == "happy")
    assert happy / 30.0 > 0.8
    assert all(s.t1 - s.t0 <= 0.36 for s in actor.shots if LABELS[s.label] != "happy")  # brief moments only

    expressive = make_scene("expressive", pool, seconds=40.0)
    holds = [s.t1 - s.t0 for s in expressive.actors[0].shots]
    assert min(holds[:-1]) >= 1.0 - 1e-9 and max(holds) <= 4.0 + 1e-9

    two = make_scene("two_faces", pool, seconds=40.0)
    a, b = two.actors
    assert a.size_of(2.5) > 1.4 * b.size_of(2.5) and b.size_of(7.5) > 1.4 * a.size_of(7.5)  # they swap

    hard = make_scene("hard", pool, seconds=45.0)
    gaps = [b0 - a1 for (_, a1), (b0, _) in zip(hard.actors[0].present, hard.actors[0].present[1:], strict=False)]
    assert len(gaps) == 2 and all(2.0 <= g <= 3.0 for g in gaps) and len(hard.actors[0].hands) == 4

    arrivals = make_scene("arrivals", pool, seconds=45.0)
    assert len(arrivals.actors) >= 5 and all(a.present for a in arrivals.actors)
    with pytest.raises(ValueError, match="unknown clip kind"):
        make_scene("party", pool)


def test_truth_follows_the_face_the_record_is_about():
    truth = {
        "fps": 10,
        "frames": [
            {
                "t": 0.0,
                "faces": [{"label": "happy", "box": [0, 0, 100, 100]}, {"label": "sad", "box": [300, 0, 90, 90]}],
            }
        ],
    }
    sad = np.eye(7)[LABELS.index("sad")]
    on_b = FrameRecord(0.0, "face", "sad", sad, (305, 2, 88, 88))
    nobody = FrameRecord(0.0, "no_face", None, None)
    assert truth_labels([on_b, nobody], truth) == ["sad", None]
    assert truth_metrics([([on_b, nobody], truth)]) == {"truth_agree": 1.0, "model_acc": 1.0}


@pytest.mark.slow
def test_the_apps_detector_finds_the_placed_publictest_faces(fer_data: Path, tmp_path: Path):
    from edge.faces.registry import make_detector

    pool = FacePool.load(fer_data)
    sidecar = write_clip(make_scene("expressive", pool, seconds=3.0, fps=10), pool, tmp_path / "e.avi")
    truth = json.loads(sidecar.read_text())
    detector = make_detector("blazeface")
    cap = cv2.VideoCapture(str(tmp_path / "e.avi"))
    found = 0
    for frame in truth["frames"]:
        ok, img = cap.read()
        assert ok
        boxes = detector.detect(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
        x, y, w, h = frame["faces"][0]["box"]
        found += any(
            abs(b.x + b.w / 2 - (x + w / 2)) < w / 2 and abs(b.y + b.h / 2 - (y + h / 2)) < h / 2 for b in boxes
        )
    assert found / len(truth["frames"]) >= 0.8
