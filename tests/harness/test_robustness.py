"""Robustness scenes (camera-like frames of labelled faces) and the check that runs them through the app's face path."""

from __future__ import annotations

import json

import numpy as np
import pytest

import scripts.robustness as robustness_script
from edge.core.preprocess import face_to_model_pixels
from edge.core.types import FaceBox
from edge.harness.face_scenes import CONDITIONS, FRAME_H, FRAME_W, draw_glasses, make_scene, seed_for
from edge.harness.robustness import WithoutKeypoints, overlaps_truth
from tests.conftest import synthetic_face, write_fer_csv
from tests.core.test_aligned_crop import astronaut_gray


def astronaut_crop48() -> np.ndarray:
    return face_to_model_pixels(astronaut_gray(), (176, 75, 98, 98))


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_every_condition_makes_a_frame_with_the_face_where_it_says(name):
    face = synthetic_face(3)
    a = make_scene(face, CONDITIONS[name], np.random.default_rng(seed_for(name, 0)))
    b = make_scene(face, CONDITIONS[name], np.random.default_rng(seed_for(name, 0)))
    assert a.frame.shape == (FRAME_H, FRAME_W) and a.frame.dtype == np.uint8
    assert np.array_equal(a.frame, b.frame) and a.box == b.box  # the same frame every run
    x, y, side, _ = a.box
    lo, hi = CONDITIONS[name].side
    assert lo <= side <= hi
    assert 0 <= x <= FRAME_W - side and 0 <= y <= FRAME_H - side


def test_glasses_darken_the_eye_region_only():
    face = np.full((200, 200), 180, np.uint8)
    eyes = ((70.0, 80.0), (130.0, 80.0))
    dark = draw_glasses(face, eyes, "dark").astype(int)
    clear = draw_glasses(face, eyes, "clear").astype(int)
    assert dark[80, 70] < 60 and 140 < clear[80, 70] < 180  # sunglasses hide the eye, clear lenses tint it
    assert dark[170, 100] == 180 and clear[170, 100] == 180  # the mouth is untouched


def test_the_real_detector_finds_the_placed_face_and_the_plain_wrapper_drops_keypoints():
    from edge.faces.registry import make_detector

    detector = make_detector("blazeface")
    scene = make_scene(astronaut_crop48(), CONDITIONS["frame"], np.random.default_rng(1))
    faces = detector.detect(scene.frame)
    assert faces and overlaps_truth(faces[0], scene.box) and faces[0].eyes is not None
    plain = WithoutKeypoints(detector).detect(scene.frame)
    assert plain[0].as_tuple() == faces[0].as_tuple() and plain[0].keypoints is None
    assert not overlaps_truth(FaceBox(0, 0, 20, 20), scene.box)


def test_the_script_scores_every_face_per_condition_and_resumes(tmp_path):
    """Through the app's analyzer on generated frames: counts add up, and a re-run reuses the file."""
    rows = [(c, astronaut_crop48() if c == 3 else synthetic_face(c, seed=c), "PublicTest") for c in range(7)]
    data = write_fer_csv(tmp_path / "fer.csv", rows)
    out = tmp_path / "robustness.json"
    args = ["--data", str(data), "--conditions", "frame", "tilt+20", "--compare-align", "--no-progress"]
    assert robustness_script.main([*args, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["conditions"]) == {"frame", "tilt+20"}
    for by_crop in result["conditions"].values():
        assert set(by_crop) == {"shipped", "plain"}
        for r in by_crop.values():
            assert r["n"] == 7 and sum(map(sum, r["confusion"])) == round(7 * (1 - r["miss_rate"]))
    stamp = out.stat().st_mtime_ns
    assert robustness_script.main([*args, "--json", str(out)]) == 0
    assert json.loads(out.read_text()) == result and out.stat().st_mtime_ns == stamp
