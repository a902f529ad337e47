"""Personalisation: capture (and delete), NumPy refit of the last layer, model activation and rollback."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cli.personalize import register_commands
from edge.core.confidence import softmax
from edge.core.errors import EmojifyError, ModelError
from edge.core.labels import LABELS
from edge.core.types import FaceBox, Frame
from edge.data.datasets import load_arrays
from edge.faces.crop import largest_face_crop
from edge.inference.classifier import ExpressionClassifier
from edge.inference.features import feature_moments
from edge.model_format.editor import read_dense_head, replace_dense_head
from edge.model_format.metadata import (
    FEATURE_MOMENTS_KEY,
    PERSONALIZATION_KEY,
    add_metadata,
    encode_moments,
    read_feature_moments,
    read_metadata,
)
from edge.personalize import registry
from edge.personalize.capture import (
    CaptureCancelled,
    CaptureSettings,
    ConsoleCaptureUI,
    run_capture,
)
from edge.personalize.fit import HeadProblem, best_strength, cross_validate, fit_head
from edge.personalize.runner import PersonalizeOptions, personalize
from edge.personalize.splits import capture_groups, fold_rows, group_folds
from edge.personalize.store import CaptureStore
from edge.system import files
from tests.conftest import astronaut_video, synthetic_face, write_fer_csv

ROOT = Path(__file__).resolve().parents[2]


def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="emojify")
    register_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def user_folder(root: Path, per_class: int = 12, seed: int = 0) -> Path:
    """A generated "person": class-dependent synthetic faces the base model does not know, as capture writes them."""
    rng = np.random.default_rng(seed)
    for label_index, label in enumerate(LABELS):
        folder = root / "me" / label
        folder.mkdir(parents=True)
        for n in range(per_class):
            face = synthetic_face(label_index, seed=int(rng.integers(1 << 30)))
            shift = np.float32([[1, 0, rng.uniform(-1.5, 1.5)], [0, 1, rng.uniform(-1.5, 1.5)]])
            face = cv2.warpAffine(face, shift, (48, 48), borderMode=cv2.BORDER_REPLICATE)
            cv2.imwrite(str(folder / f"20250101-120000-{n:03d}.png"), face)
    return root


# -- capture ---------------------------------------------------------------------------------


def test_capture_from_replay_writes_the_expected_crops_and_nothing_else(tmp_path, capsys):
    video = astronaut_video(tmp_path / "clip.avi", frames=40)
    state = tmp_path / "state"
    before = tree(tmp_path)
    args = ["capture", "--state-dir", str(state), "--source", str(video), "--display", "none", "--yes"]
    rc = cli([*args, "--per-emotion", "3", "--interval", "0", "--countdown", "0", "--emotions", "happy,Sadness"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "stored on this device only until you delete them" in out and "REC" in out
    created = {p for p in tree(tmp_path) - before if p.is_file()}
    dataset = state / "dataset" / "me"
    assert {p.parent for p in created} == {dataset / "happy", dataset / "sad"}
    assert len(created) == 6
    for path in created:
        assert path.suffix == ".png" and path.name.endswith(("-000.png", "-001.png", "-002.png"))
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert image.shape == (48, 48) and image.dtype == np.uint8
        assert (path.stat().st_mode & 0o077) == 0  # face images are private to the capturing user
    # The loader reads them back with the right labels.
    arrays = load_arrays(state / "dataset")
    assert sorted(LABELS[i] for i in arrays.labels) == ["happy"] * 3 + ["sad"] * 3
    # Same detector and preprocessing as the live app: the first three face frames, largest face.
    from edge.faces.registry import make_detector
    from edge.sources.video import VideoFileSource

    detector = make_detector("blazeface")
    source = VideoFileSource(video)
    source.open()
    crops = []
    while len(crops) < 3 and (frame := source.read()) is not None:
        found = largest_face_crop(detector, frame.gray)
        if found is not None:
            crops.append(found[1])
    source.close()
    saved = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((dataset / "happy").iterdir())]
    assert all(np.array_equal(a, b) for a, b in zip(crops, saved, strict=True))


def test_capture_delete_removes_the_captures_only(tmp_path, monkeypatch, capsys):
    state = tmp_path / "state"
    store = CaptureStore(state)
    face = synthetic_face(3)
    for person in ("ann", "bob"):
        for n in range(2):
            store.save(person, "happy", face, "20250101-120000", n)
    (state / "models").mkdir()
    keep = state / "models" / "emotion_personal_x.tflite"
    keep.write_bytes(b"model")
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert cli(["capture", "--delete", "--state-dir", str(state)]) == 1
    assert len(store.files()) == 4
    assert cli(["capture", "--delete", "--yes", "--person", "ann", "--state-dir", str(state)]) == 0
    assert store.persons() == ["bob"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))
    assert cli(["capture", "--delete", "--state-dir", str(state)]) == 0
    assert not (state / "dataset").exists()
    assert keep.exists()
    assert "Deleted 2 face image(s) of everyone" in capsys.readouterr().out


class _FakeSource:
    def __init__(self, frames: int, face: bool = True) -> None:
        self.frames = frames
        self.face = face
        self.index = 0

    def read(self) -> Frame | None:
        if self.index >= self.frames:
            return None
        gray = np.full((120, 160), 90, np.uint8)
        gray[20:100, 40:120] = synthetic_face(self.index % 7, size=80, seed=self.index)
        frame = Frame(gray=gray, index=self.index, timestamp=self.index / 10)
        self.index += 1
        return frame


class _FakeDetector:
    name = "fake"

    def __init__(self, found: bool = True) -> None:
        self.found = found

    def detect(self, gray: np.ndarray) -> list[FaceBox]:
        return [FaceBox(40, 20, 80, 80), FaceBox(0, 0, 20, 20)] if self.found else []


def test_capture_needs_consent_and_respects_interval_and_missing_faces(tmp_path):
    store = CaptureStore(tmp_path / "state")
    settings = CaptureSettings(per_emotion=3, interval=0.25, emotions=("happy", "sad"), countdown=1, max_wait=1.0)
    ui = ConsoleCaptureUI(out=io.StringIO(), inp=io.StringIO("no\n"))
    with pytest.raises(CaptureCancelled):
        run_capture(_FakeSource(50), _FakeDetector(), ui, store, settings, sleep=lambda s: None)
    assert not (tmp_path / "state").exists()

    ui = ConsoleCaptureUI(out=io.StringIO(), inp=io.StringIO("yes\n"))
    result = run_capture(_FakeSource(50), _FakeDetector(), ui, store, settings, sleep=lambda s: None)
    assert result.total == 6 and not result.skipped
    assert len(store.files()) == 6

    no_face = run_capture(
        _FakeSource(100),
        _FakeDetector(found=False),
        ConsoleCaptureUI(True, io.StringIO()),
        store,
        settings,
        sleep=lambda s: None,
    )
    assert no_face.total == 0 and no_face.skipped == ["happy", "sad"]


def test_person_names_cannot_escape_or_shadow_emotions(tmp_path):
    for bad in ("../x", "happy", "", "a/b", ".hidden"):
        with pytest.raises(EmojifyError):
            CaptureSettings(person=bad)


def test_kiosk_capture_screens_draw_consent_countdown_and_recording(tmp_path, monkeypatch):
    pygame = pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    from edge.display.theme import RED
    from edge.personalize.capture_ui import KioskCaptureUI

    ui = KioskCaptureUI("window", size=(800, 480), message_seconds=0, sleep=lambda s: None, clock=lambda: 0.0)
    ui.open()
    try:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))
        store = CaptureStore(tmp_path / "state")
        settings = CaptureSettings(per_emotion=2, interval=0, emotions=("surprise",), countdown=1)
        shots = []
        original = ui.show_recording

        def spy(*args, **kwargs):
            original(*args, **kwargs)
            shots.append(ui.surface.copy())

        ui.show_recording = spy  # type: ignore[method-assign]
        result = run_capture(_FakeSource(10), _FakeDetector(), ui, store, settings, sleep=lambda s: None)
        assert result.total == 2
        screen = shots[-1]
        assert tuple(screen.get_at((1, 240)))[:3] == RED  # the recording frame
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE))
        assert ui.cancelled()
    finally:
        ui.close()


# -- the final layer -----------------------------------------------------------------------


def test_tflite_head_round_trip_is_exact_and_shapes_are_checked(model_path, tmp_path):
    data = model_path.read_bytes()
    head = read_dense_head(data)
    assert head.weight.shape[0] == len(LABELS) and head.bias.shape == (len(LABELS),)
    copy = replace_dense_head(data, head.weight, head.bias, head.logits_range, {PERSONALIZATION_KEY: "{}"})
    (tmp_path / "copy.tflite").write_bytes(copy)
    a = ExpressionClassifier(model_path, delegate="cpu")
    b = ExpressionClassifier(tmp_path / "copy.tflite", delegate="cpu")
    for label in range(7):
        pa, fa = a.run(synthetic_face(label))
        pb, fb = b.run(synthetic_face(label))
        assert np.array_equal(pa, pb) and np.array_equal(fa, fb)
        logits = fa @ head.weight.T + head.bias  # the float head reproduces the int8 one
        assert np.abs(softmax(logits[None])[0] - pa).max() < 0.05
    assert read_metadata(copy)[PERSONALIZATION_KEY] == b"{}" and "labels" in read_metadata(copy)
    with pytest.raises(ModelError, match="shape"):
        replace_dense_head(data, head.weight[:, :10], head.bias, head.logits_range)
    with pytest.raises(ModelError, match="TFL3"):
        read_dense_head(b"not a model at all")
    moments = np.eye(head.weight.shape[1] + 1)
    assert np.array_equal(
        read_feature_moments(add_metadata(data, {FEATURE_MOMENTS_KEY: encode_moments(moments)})), moments
    )
    assert read_feature_moments(data) is None or read_feature_moments(data).shape == moments.shape


def test_fit_head_moves_from_the_base_only_as_far_as_the_data_needs():
    rng = np.random.default_rng(0)
    w0, b0 = rng.normal(size=(3, 5)).astype(np.float32), np.zeros(3, np.float32)
    x = rng.normal(size=(60, 5))
    y = np.argmax(x[:, :3], axis=1)
    strong = fit_head(x, y, w0, b0, l2=1e4)
    assert np.abs(strong.weight - w0).max() < 1e-2
    weak = fit_head(x, y, w0, b0, l2=1e-4, steps=500)
    assert (weak.logits(x).argmax(1) == y).mean() > 0.95
    # Function-space anchor: directions general features use are expensive, others are free.
    general = np.hstack([rng.normal(size=(500, 4)), np.zeros((500, 1))])  # general faces never use feature 4
    user = np.zeros((30, 5))
    user[:, 4] = 1.0
    labels = np.full(30, 2)
    fit = fit_head(user, labels, w0, b0, l2=1.0, moments=feature_moments(general))
    assert (fit.logits(user).argmax(1) == 2).all()
    same = (fit.logits(general).argmax(1) == (general @ w0.T.astype(np.float64) + b0).argmax(1)).mean()
    assert same > 0.9


def test_capture_bursts_and_single_photos_make_the_groups_and_folds_never_hold_out_a_whole_emotion():
    origins = [f"/d/ann/happy/20250101-120000-{n:03d}.png" for n in range(12)]
    origins += [f"/d/ann/sad/20250101-120000-{n:03d}.png" for n in range(7)]
    origins += ["/d/ann/sad/IMG_1.jpg", "/d/ann/sad/IMG_2.jpg", "fer.csv.gz:10", "fer.csv.gz:11"]
    groups = capture_groups(origins)
    assert groups[0] == groups[4] != groups[5] == groups[9] != groups[10]  # bursts of 5 frames
    assert groups[12] != groups[0]  # the same stamp in another emotion's folder is another burst
    assert len(set(groups[19:])) == 4  # photos and CSV rows stand alone
    labels = np.array([3] * 12 + [4] * 9 + [0, 0])
    folds = group_folds(groups, labels)
    assert len(folds) == 7 and sorted(g for f in folds for g in f) == sorted(set(groups))
    for held in folds:
        for label in (3, 4):  # every emotion keeps captures on the training side
            assert any(g not in held for g, y in zip(groups, labels, strict=True) if y == label)
    assert [[g] for g in ["a", "b"]] == group_folds(["a", "b", "b"], np.array([1, 1, 2]))
    # Augmented copies carry their capture's group: never trained on while it is scored.
    rows = [*groups, *groups]
    for train, val in fold_rows(rows, np.arange(len(groups)), folds):
        held_groups = {rows[i] for i in val}
        assert not held_groups & {rows[i] for i in train} and val.max() < len(groups)


# -- personalise end to end ----------------------------------------------------------------


def test_personalize_improves_a_generated_user_and_the_model_works_everywhere(tmp_path, model_path, capsys):
    data = user_folder(tmp_path / "captures")
    reference = write_fer_csv(
        tmp_path / "general.csv", [(c, synthetic_face(c, seed=100 + i), "Training") for i in range(6) for c in range(7)]
    )
    state = tmp_path / "state"
    rc = cli(
        [
            "personalize",
            "--data",
            str(data),
            "--state-dir",
            str(state),
            "--model",
            str(model_path),
            "--reference",
            str(reference),
            "--json",
            str(tmp_path / "report.json"),
        ]
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["cv_after"] >= report["cv_before"] + 0.15  # cross-validated over the bursts
    assert report["n_captures"] == 7 * 12 and report["n_groups"] == 7 * 3 and report["n_folds"] == 7
    assert report["anchor"].startswith("function-space") and report["copies"] >= 1
    assert report["fitted_after"] >= report["cv_after"] - 0.05  # the int8 model refitted on all of them
    # Written next to the shipped model in the state folder, activated atomically.
    out = Path(report["model"])
    assert out.parent == state / "models" and out.name.startswith("emotion_personal_")
    assert rc == 0 and registry.active_model_path(state) == out.resolve()
    assert "cross-validated over 7 folds" in capsys.readouterr().out
    # Same signature as the shipped model, metadata carried over and added.
    classifier = ExpressionClassifier(out, delegate="cpu")
    assert classifier.has_features
    probs, features = classifier.run(synthetic_face(2))
    assert abs(float(probs.sum()) - 1) < 0.02 and features is not None and features.shape == (256,)
    meta = read_metadata(out.read_bytes())
    assert json.loads(meta[PERSONALIZATION_KEY])["cv_after"] == report["cv_after"]
    assert read_feature_moments(out.read_bytes()) is not None and "labels" in meta
    # scripts/evaluate.py accepts it.
    from scripts import evaluate

    assert (
        evaluate.main(
            [
                "--data",
                str(data),
                "--model",
                str(out),
                "--png",
                str(tmp_path / "cm.png"),
                "--json",
                str(tmp_path / "eval.json"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "eval.json").read_text())["accuracy"] > report["cv_before"] + 0.15
    # model list / rollback
    assert cli(["model", "list", "--state-dir", str(state)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert any(line.startswith("*") and str(out.resolve()) in line and "active" in line for line in listing)
    assert any("(cross-validated)" in line for line in listing)
    assert any("shipped" in line and line.startswith(" ") for line in listing)
    assert cli(["model", "rollback", "--state-dir", str(state)]) == 0
    assert registry.active_model_path(state) is None


def test_personalize_without_general_statistics_warns_and_still_fits(tmp_path, model_path, caplog):
    data = user_folder(tmp_path / "captures", per_class=6, seed=3)
    with caplog.at_level(logging.WARNING):
        report = personalize(PersonalizeOptions(model_path, data, tmp_path / "p.tflite"))
    if read_feature_moments(model_path.read_bytes()) is None:
        assert report.anchor.startswith("weight-space") and "no general-face feature statistics" in caplog.text
    assert report.cv_after > report.cv_before
    assert (tmp_path / "p.tflite").is_file() and not list(tmp_path.glob(".*tmp"))


def test_personalize_reports_unusable_input(tmp_path, model_path):
    with pytest.raises(EmojifyError, match="no such file"):
        personalize(PersonalizeOptions(model_path, tmp_path / "missing", tmp_path / "p.tflite"))
    lonely = tmp_path / "one"
    (lonely / "happy").mkdir(parents=True)
    cv2.imwrite(str(lonely / "happy" / "a.png"), synthetic_face(3))
    with pytest.raises(EmojifyError, match="at least 2 photos per emotion"):
        personalize(PersonalizeOptions(model_path, lonely, tmp_path / "p.tflite"))
    assert not (tmp_path / "p.tflite").exists()


# -- activation ----------------------------------------------------------------------------


@pytest.fixture
def two_models(tmp_path, model_path) -> tuple[Path, Path]:
    a, b = tmp_path / "models" / "a.tflite", tmp_path / "models" / "b.tflite"
    a.parent.mkdir()
    a.write_bytes(model_path.read_bytes())
    b.write_bytes(model_path.read_bytes())
    return a, b


def test_use_and_rollback_survive_a_restart(tmp_path, two_models):
    state = tmp_path / "state"
    a, b = two_models
    assert registry.active_model_path(state) is None  # nothing chosen: the shipped model
    registry.use_model(state, a)
    registry.use_model(state, b)
    assert registry.active_model_path(state) == b  # a fresh read, as after a reboot
    saved = json.loads(registry.state_file(state).read_text())
    assert saved["active"] == str(b) and saved["history"] == [None, str(a)]
    registry.rollback(state)
    assert registry.active_model_path(state) == a
    registry.rollback(state)
    assert registry.active_model_path(state) is None
    registry.rollback(state)  # empty history: stays on the shipped model
    assert registry.active_model_path(state) is None
    with pytest.raises(registry.RegistryError):
        registry.use_model(state, tmp_path / "missing.tflite")
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"TFL3 but not really a model")
    with pytest.raises(registry.RegistryError, match="not activated"):
        registry.use_model(state, junk)
    assert registry.active_model_path(state) is None


def test_interrupted_write_keeps_the_old_active_model(tmp_path, two_models, monkeypatch):
    state = tmp_path / "state"
    a, b = two_models
    registry.use_model(state, a)
    good = registry.state_file(state).read_bytes()

    def crash(src, dst):  # power cut between writing the temporary file and renaming it
        raise OSError("simulated crash")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(EmojifyError):
        registry.use_model(state, b)
    monkeypatch.undo()
    assert registry.state_file(state).read_bytes() == good
    assert registry.active_model_path(state) == a
    assert sorted(p.name for p in state.iterdir()) == ["active_model.json"]
    # A real crash leaves the temporary file behind: it is ignored, and the next change works.
    (state / ".active_model.json.x1y2.tmp").write_text('{"active": "/nowhere/b.tfl')
    assert registry.active_model_path(state) == a
    registry.use_model(state, b)
    assert registry.active_model_path(state) == b


def test_broken_state_falls_back_to_the_shipped_model_with_one_warning(tmp_path, two_models, caplog):
    state = tmp_path / "state"
    a, _ = two_models
    registry.use_model(state, a)
    text = registry.state_file(state).read_text()
    registry.state_file(state).write_text(text[: len(text) // 2])  # truncated
    with caplog.at_level(logging.WARNING):
        assert registry.active_model_path(state) is None
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    registry.use_model(state, a)
    a.unlink()  # the active file is gone
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert registry.active_model_path(state) is None
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert os.access(registry.state_file(state), os.R_OK)


def _two_blob_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], 30)
    features = rng.normal(0.0, 0.3, (60, 2)) + np.where(labels[:, None] == 0, [2.0, 0.0], [0.0, 2.0])
    index = np.arange(60)
    folds = [(index[index % 3 != k], index[index % 3 == k]) for k in range(3)]
    return features, labels, folds


def test_cross_validation_keeps_the_strongest_anchor_when_the_base_head_is_already_right():
    features, labels, folds = _two_blob_problem()
    weight = np.array([[1.0, -1.0], [-1.0, 1.0]])  # already separates the blobs
    problem = HeadProblem(features, labels, weight, np.zeros(2))
    scores = cross_validate(problem, folds, np.arange(60), (100.0, 1.0, 0.01))
    assert scores[0].accuracy == 1.0 and best_strength(scores).l2 == 100.0


def test_cross_validation_loosens_the_anchor_when_the_base_head_is_wrong():
    features, labels, folds = _two_blob_problem()
    weight = np.array([[-1.0, 1.0], [1.0, -1.0]])  # swaps the two classes
    problem = HeadProblem(features, labels, weight, np.zeros(2))
    scores = {r.l2: r for r in cross_validate(problem, folds, np.arange(60), (100.0, 1.0, 0.01))}
    assert scores[100.0].accuracy < 0.5 <= scores[0.01].accuracy
    assert best_strength(list(scores.values())).l2 < 100.0
    with pytest.raises(ValueError, match="exactly once"):
        cross_validate(problem, folds[:2], np.arange(60), (1.0,))


def test_capture_honours_camera_loop_from_the_config(tmp_path, capsys):
    video = astronaut_video(tmp_path / "short.avi", frames=4)
    args = ["capture", "--source", str(video), "--display", "none", "--yes", "--per-emotion", "6"]
    args += ["--interval", "0", "--countdown", "0", "--emotions", "happy"]
    assert cli([*args, "--state-dir", str(tmp_path / "once")]) == 0
    assert "The source ended" in capsys.readouterr().out
    assert len(CaptureStore(tmp_path / "once").files()) == 4
    config = tmp_path / "loop.toml"
    config.write_text("[camera]\nloop = true\n")
    assert cli([*args, "--state-dir", str(tmp_path / "looped"), "--config", str(config)]) == 0
    assert "The source ended" not in capsys.readouterr().out
    assert len(CaptureStore(tmp_path / "looped").files()) == 6
