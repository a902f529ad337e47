"""Fitting on few photos (cross-validation, refit on all, the general-face budget), the activation gate, pruning."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from edge.core.labels import LABELS
from edge.inference.classifier import ExpressionClassifier
from edge.inference.features import feature_moments
from edge.personalize import registry
from edge.personalize.augment import augment, copies_per_capture
from edge.personalize.fit import HeadProblem, within_budget
from edge.personalize.report import PersonalizeReport
from edge.personalize.runner import PersonalizeOptions, personalize
from tests.conftest import synthetic_face
from tests.personalize.test_personalize import cli


def test_two_photos_per_emotion_are_cross_validated_one_by_one_and_the_model_is_refitted_on_all(tmp_path, model_path):
    photos = tmp_path / "photos"
    for c, label in enumerate(LABELS):
        (photos / label).mkdir(parents=True)
        for n in range(2):
            cv2.imwrite(str(photos / label / f"IMG_{n}.jpg"), synthetic_face(c, seed=10 * c + n))
    report = personalize(PersonalizeOptions(model_path, photos, tmp_path / "p.tflite", budget=50.0))
    assert report.n_captures == 14 and report.n_groups == 14 and report.n_folds == 7
    assert report.copies == copies_per_capture(14) == 15
    # Cross-validated: each photo scored by a layer that never saw it (nor its copies).
    assert report.cv_after > report.cv_before
    # Refitted on all 14: the written int8 model reads every photo it was given.
    assert report.fitted_after >= report.cv_after and report.fitted_after >= 13 / 14
    classifier = ExpressionClassifier(tmp_path / "p.tflite", delegate="cpu")
    assert classifier.has_features


def test_the_general_face_budget_caps_the_mean_squared_logit_change():
    rng = np.random.default_rng(0)
    general = rng.normal(size=(400, 6))
    moments = feature_moments(general)
    weight, bias = rng.normal(size=(3, 6)), np.zeros(3)
    x = rng.normal(size=(40, 6)) + 2.0
    y = rng.integers(0, 3, 40)
    problem = HeadProblem(x, y, weight, bias, moments)
    free = problem.head(problem.solve(None, 1e-3), 1e-3)
    l2, phi = within_budget(problem, 1e-3, budget=0.2)
    capped = problem.head(phi, l2)
    assert free.change > 0.2 >= capped.change > 0.1 and l2 > 1e-3
    # ||Φ||² is the mean squared logit change on the general faces the moments came from.
    change = (capped.logits(general) - (general @ weight.T + bias)) ** 2
    assert abs(change.sum(axis=1).mean() - capped.change) < 0.05 * capped.change + 1e-3


def test_augmented_copies_vary_like_a_camera_and_keep_their_source():
    faces = np.stack([synthetic_face(c) for c in range(3)])
    pixels, source = augment(faces, 4, seed=1)
    assert pixels.shape == (15, 48, 48) and pixels.dtype == np.uint8 and list(source[:3]) == [0, 1, 2]
    assert np.array_equal(pixels[:3], faces) and not np.array_equal(pixels[3], faces[0])
    assert np.array_equal(augment(faces, 4, seed=1)[0], pixels)  # repeatable


def _already_right(model_path: Path, folder: Path) -> Path:
    """Faces filed under the emotion the base model already reads: nothing to gain."""
    classifier = ExpressionClassifier(model_path, delegate="cpu")
    for n in range(40):
        face = synthetic_face(n % 7, seed=n)
        label = LABELS[int(np.argmax(classifier.classify(face)))]
        (folder / "me" / label).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / "me" / label / f"photo{n}.png"), face)
    return folder


def test_the_gate_refuses_a_model_that_is_not_better_and_says_what_to_capture(tmp_path, model_path, capsys):
    data = _already_right(model_path, tmp_path / "captures")
    state = tmp_path / "state"
    rc = cli(["personalize", "--data", str(data), "--state-dir", str(state), "--model", str(model_path)])
    out = capsys.readouterr().out
    assert rc == 1 and registry.active_model_path(state) is None
    assert "Not activated: it does not read your captures better than the base model (100.0% -> " in out
    assert "not captured, so not taught" in out
    assert f"emojify model use {next((state / 'models').glob('*.tflite'))} --state-dir {state}" in out


def test_report_names_weak_and_missing_emotions():
    report = PersonalizeReport(
        "m", "b", "d", 20, 4, 4, 3, ["happy", "sad"], "a", 1.0, 1.0, {}, 0.1, 0.3, 0.6,
        cv_per_class={"happy": [0.2, 0.9, 10], "sad": [0.1, 0.3, 10]},
        check="fer", check_before=0.71, check_after=0.69,
    )  # fmt: skip
    assert report.weak_emotions() == ["sad"]
    assert report.refusals(1.5) == ["it loses 2.0 points on fer (more than 1.5)"]
    assert report.refusals(3.0) == []
    assert "capture more of sad" in report.advice() and "angry, disgust, fear, surprise, neutral" in report.advice()


def test_pruning_keeps_the_newest_the_active_and_the_history(tmp_path, model_path):
    state = tmp_path / "state"
    folder = registry.models_dir(state)
    folder.mkdir(parents=True)
    files = []
    for n in range(7):
        path = folder / f"{registry.PERSONAL_PREFIX}2026010{n}-120000.tflite"
        path.write_bytes(model_path.read_bytes())
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
        files.append(path)
    other = folder / "my_own.tflite"
    other.write_bytes(b"x")
    registry.use_model(state, files[0], validate=False)  # oldest, goes to the history
    registry.use_model(state, files[1], validate=False)  # active
    deleted = registry.prune_models(state, keep=2)
    assert sorted(deleted) == sorted(files[2:5])
    assert all(p.exists() for p in (files[0], files[1], files[5], files[6], other))
    (state / registry.STATE_FILE).write_text("{broken")
    assert registry.prune_models(state, keep=0) == []
