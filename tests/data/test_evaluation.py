"""Evaluation maths against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.labels import LABELS
from edge.data.evaluation import confusion_matrix, format_report, metrics


def test_confusion_and_metrics_by_hand():
    # true:  angry x3, happy x2, sad x1 ; predictions with one "no face" (-1)
    y_true = np.array([0, 0, 0, 3, 3, 4])
    y_pred = np.array([0, 3, -1, 3, 3, 0])
    cm = confusion_matrix(y_true, y_pred)
    assert cm[0, 0] == 1 and cm[0, 3] == 1 and cm[3, 3] == 2 and cm[4, 0] == 1
    assert cm.sum() == 5  # the no-face image is not in the matrix
    m = metrics(y_true, y_pred)
    assert m["n"] == 6 and m["no_face"] == 1
    assert m["accuracy"] == pytest.approx(3 / 6)  # no face counts as wrong
    angry = m["per_class"]["angry"]
    assert angry["precision"] == pytest.approx(1 / 2)  # predicted angry twice, once right
    assert angry["recall"] == pytest.approx(1 / 3)
    assert angry["f1"] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    happy = m["per_class"]["happy"]
    assert happy["precision"] == pytest.approx(2 / 3) and happy["recall"] == 1.0
    assert m["per_class"]["sad"]["recall"] == 0.0
    # macro F1 averages the classes present (angry, happy, sad)
    f1_happy = 2 * (2 / 3) / (2 / 3 + 1)
    assert m["macro_f1"] == pytest.approx((angry["f1"] + f1_happy + 0.0) / 3)
    assert list(m["per_class"]) == list(LABELS)
    assert "accuracy=50.00%" in format_report(m)


def test_perfect_predictions():
    y = np.arange(7).repeat(3)
    m = metrics(y, y)
    assert m["accuracy"] == 1.0 and m["macro_f1"] == 1.0
    assert np.array_equal(np.array(m["confusion"]), np.eye(7, dtype=int) * 3)


def test_evaluate_script_detect_faces_on_uncropped_photos(tmp_path, model_path):
    """--detect-faces runs the app's detector and crop; an image without a face counts as wrong."""
    import json
    from pathlib import Path

    import cv2
    import pytest

    import scripts.evaluate as evaluate

    skimage = pytest.importorskip("skimage")
    photo = cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png"))
    (tmp_path / "data" / "happy").mkdir(parents=True)
    (tmp_path / "data" / "sad").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "data" / "happy" / "astronaut.jpg"), photo)
    cv2.imwrite(str(tmp_path / "data" / "sad" / "wall.png"), np.full((300, 400, 3), 120, np.uint8))
    out = tmp_path / "r.json"
    assert (
        evaluate.main(
            ["--data", str(tmp_path / "data"), "--model", str(model_path), "--detect-faces", "--json", str(out)]
        )
        == 0
    )
    result = json.loads(out.read_text())
    assert result["n"] == 2 and result["no_face"] == 1
    assert result["per_class"]["sad"]["recall"] == 0.0  # the face-less image is a miss
    assert result["ms_per_face"] > 0
    assert np.array(result["confusion"]).sum() == 1
