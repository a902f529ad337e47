"""Confidence calibration: ECE, temperature and vector fits, folding into the int8 model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import scripts.calibrate_confidence as calibrate_confidence
from edge.core import confidence
from edge.inference.classifier import ExpressionClassifier
from edge.model_format.editor import read_dense_head
from edge.model_format.metadata import read_metadata
from edge.training import temperature as tm
from tests.conftest import synthetic_face, write_fer_csv


def sampled(n: int, k: int = 7, t_true: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels drawn so that ``softmax(logits / t_true)`` is exactly calibrated."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.5, (n, k))
    p = confidence.softmax(logits / t_true)
    labels = np.array([rng.choice(k, p=row) for row in p])
    return logits, labels


def test_fit_temperature_recovers_the_true_temperature() -> None:
    logits, labels = sampled(20000, t_true=2.0, seed=1)
    assert abs(tm.fit_temperature(logits, labels) - 2.0) < 0.1


def test_cross_fitted_temperature_keeps_argmax_and_lowers_ece() -> None:
    logits, labels = sampled(4000, t_true=0.5, seed=2)
    before = tm.cross_fitted_probs(logits, labels, "none")
    after = tm.cross_fitted_probs(logits, labels, "temperature")
    assert np.array_equal(before.argmax(1), after.argmax(1))
    assert (
        confidence.expected_calibration_error(after, labels)
        < confidence.expected_calibration_error(before, labels) - 0.05
    )


def test_vector_scaling_learns_a_class_offset() -> None:
    logits, labels = sampled(8000, seed=3)
    shifted = logits.copy()
    shifted[:, 0] -= 1.5  # the model under-predicts class 0
    fit = tm.fit_vector_scaling(shifted, labels)
    assert fit.offset[0] - fit.offset[1:].mean() > 1.0
    assert confidence.nll(confidence.softmax(fit.apply(shifted)), labels) < confidence.nll(
        confidence.softmax(shifted), labels
    )


def test_fold_equals_scaling_the_logits() -> None:
    rng = np.random.default_rng(4)
    w, b, f = rng.normal(size=(7, 16)), rng.normal(size=7), rng.normal(size=(5, 16))
    scaling = tm.LogitScaling(rng.uniform(0.5, 2, 7), rng.normal(size=7))
    w2, b2 = scaling.fold(w, b)
    assert np.allclose(f @ w2.T + b2, scaling.apply(f @ w.T + b), atol=1e-5)


def test_temperature_folded_into_the_int8_model(model_path: Path, tmp_path: Path) -> None:
    """The real runtime on the edited model: same argmax, softer probabilities, weights unchanged."""
    data = model_path.read_bytes()
    out = tmp_path / "calibrated.tflite"
    out.write_bytes(tm.fold_into_tflite(data, tm.LogitScaling.temperature(2.0, 7), {"method": "temperature"}))
    before = read_dense_head(data)
    after = read_dense_head(out.read_bytes())
    assert np.allclose(after.weight, before.weight / 2.0, rtol=1e-5, atol=1e-7)
    assert abs(after.logits_scale - before.logits_scale / 2.0) < 1e-9
    assert json.loads(read_metadata(out.read_bytes())[tm.CALIBRATION_KEY]) == {"method": "temperature"}
    old = ExpressionClassifier(model_path, delegate="cpu")
    new = ExpressionClassifier(out, delegate="cpu")
    rng = np.random.default_rng(5)
    for _ in range(20):
        pixels = rng.integers(0, 256, (48, 48), dtype=np.uint8)
        p_old, f_old = old.run(pixels)
        p_new, f_new = new.run(pixels)
        assert f_old is not None and f_new is not None and np.array_equal(f_old, f_new)
        z = f_old.astype(np.float64) @ before.weight.T + before.bias
        assert np.abs(p_new - confidence.softmax(z[None] / 2.0)[0]).max() < 0.02
        assert p_new.max() <= p_old.max() + 1e-6


def run_script(data: Path, model: Path, tmp_path: Path, *extra: str) -> tuple[dict, Path]:
    out, report = tmp_path / "calibrated.tflite", tmp_path / "calibration.json"
    args = ["--data", str(data), "--model", str(model), "--write", str(out), "--json", str(report), *extra]
    assert calibrate_confidence.main(args) == 0
    return json.loads(report.read_text()), out


def test_the_script_writes_a_better_calibrated_model(model_path: Path, tmp_path: Path) -> None:
    """Faces unlike FER2013's: the model is badly over-confident on them and the fold fixes most of it."""
    rows = [(c, synthetic_face(c, seed=i), "PublicTest") for i in range(6) for c in range(7)]
    result, out = run_script(write_fer_csv(tmp_path / "fer.csv", rows), model_path, tmp_path)
    assert result["n"] == len(rows)
    assert set(result["cross_fitted"]) == {"none", "temperature", "vector"}
    assert result["cross_fitted"]["temperature"]["ece"] < result["cross_fitted"]["none"]["ece"] - 0.1
    assert result["written_model"]["ece"] < result["input_model"]["ece"] - 0.1
    record = json.loads(read_metadata(out.read_bytes())[tm.CALIBRATION_KEY])
    assert record["method"] == "temperature" and record["temperature"] == result["fit"]["temperature"]


def test_on_real_faces_the_written_model_gives_the_same_answer_for_every_face(
    model_path: Path, fer_data: Path, tmp_path: Path
) -> None:
    result, _ = run_script(fer_data, model_path, tmp_path, "--limit", "400", "--seeds", "1")
    assert result["written_model"]["argmax_agreement_with_input"] == 1.0
    assert result["written_model"]["accuracy"] == result["input_model"]["accuracy"]
