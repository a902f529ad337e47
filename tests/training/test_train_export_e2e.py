"""Tiny end-to-end: train -> export int8 -> evaluate, on generated images (CPU, seconds)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import synthetic_face, write_fer_csv

torch = pytest.importorskip("torch", reason="training needs the train extra (PyTorch)")


@pytest.mark.slow
def test_train_export_evaluate(tmp_path, monkeypatch):
    import scripts.evaluate as evaluate
    import scripts.export as export
    import scripts.train as train

    monkeypatch.setenv("HOME", str(tmp_path))  # array cache goes to a temp folder
    rows = [(c, synthetic_face(c, seed=i), "Training") for i in range(60) for c in range(7)]
    rows += [(c, synthetic_face(c, seed=1000 + i), "PublicTest") for i in range(10) for c in range(7)]
    data = write_fer_csv(tmp_path / "synthetic.csv.gz", rows, gz=True)
    run = tmp_path / "run"
    args = [
        "--data",
        str(data),
        "--out",
        str(run),
        "--epochs",
        "6",
        "--batch-size",
        "32",
        "--lr",
        "0.05",
        "--widths",
        "8",
        "16",
        "32",
        "--repeats",
        "1",
        "1",
        "1",
        "--threads",
        "2",
        "--no-progress",
    ]
    assert train.main(args) == 0
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert len(history) == 6 and history[-1]["train_loss"] < history[0]["train_loss"]

    # resume: a second call with more epochs continues from last.pt instead of starting over
    assert train.main([*args[:5], "8", *args[6:]]) == 0
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == list(range(1, 9))

    models = tmp_path / "models"
    assert (
        export.main(
            [
                "--checkpoint",
                str(run / "final.pt"),
                "--data",
                str(data),
                "--out-dir",
                str(models),
                "--calibration-size",
                "200",
                "--balance-on",
                "PublicTest",
            ]
        )
        == 0
    )
    tflite = models / "emotion_int8.tflite"
    assert tflite.read_bytes()[4:8] == b"TFL3"
    assert (models / "labels.txt").read_text().split() == [
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
        "neutral",
    ]

    out = tmp_path / "eval.json"
    assert (
        evaluate.main(
            [
                "--data",
                str(data),
                "--model",
                str(tflite),
                "--float-model",
                str(models / "emotion_float.pt"),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    assert result["n"] == 70 and len(result["confusion"]) == 7
    assert result["accuracy"] > 0.5, result["accuracy"]  # chance is 1/7
    assert result["float_int8_agreement"] > 0.9
    assert set(result["per_class"]["disgust"]) == {"precision", "recall", "f1", "support"}
    assert out.with_suffix(".png").exists()
    assert np.array(result["confusion"]).sum() == 70
