"""Table-driven loader tests: every layout, good and bad."""

from __future__ import annotations

import gzip
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.labels import LABELS
from edge.data.datasets import DatasetError, iter_samples, load_arrays, load_ferplus_targets
from tests.conftest import synthetic_face, write_fer_csv


def make_folder(root: Path, classes: dict[str, int], size=(64, 80), color=True) -> Path:
    for name, count in classes.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            img = cv2.resize(synthetic_face(i % 7), size)
            if color:
                img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
            cv2.imwrite(str(folder / f"{i}.png" if i % 2 else folder / f"{i}.jpg"), img)
    return root


def test_fer_csv_plain_and_gz_select_usage(tmp_path, small_fer_csv):
    gz = tmp_path / "fer.csv.gz"
    gz.write_bytes(gzip.compress(small_fer_csv.read_bytes()))
    for path in (small_fer_csv, gz):
        train = load_arrays(path, "Training")
        test = load_arrays(path, "publictest")  # case-insensitive
        assert len(train) == 14 and len(test) == 7
        assert train.pixels.shape == (14, 48, 48) and train.pixels.dtype == np.uint8
        assert list(test.labels) == list(range(7))
        assert load_arrays(path).labels.shape == (21,)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("7," + " ".join(["0"] * 2304) + ",Training", r"fer.csv:2: emotion 7 is out of range"),
        ("x," + " ".join(["0"] * 2304) + ",Training", r"fer.csv:2: emotion 'x' is not a number"),
        ("1," + " ".join(["0"] * 2303) + ",Training", r"fer.csv:2: 2303 pixels"),
        ("1," + " ".join(["300"] * 2304) + ",Training", r"fer.csv:2: pixel values must lie in 0-255"),
        ("1,a b c,Training", r"fer.csv:2: pixels must be space-separated integers"),
        ("1", r"fer.csv:2: expected 'emotion,pixels"),
    ],
)
def test_fer_csv_bad_rows_name_file_and_line(tmp_path, row, message):
    path = tmp_path / "fer.csv"
    path.write_text("emotion,pixels,Usage\n" + row + "\n")
    with pytest.raises(DatasetError, match=message):
        load_arrays(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"a,b,c\n", "header"), (b"\x1f\x8b\x08garbage", "cannot be read")],
)
def test_fer_csv_bad_files(tmp_path, content, message):
    path = tmp_path / ("fer.csv.gz" if content.startswith(b"\x1f\x8b") else "fer.csv")
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        load_arrays(path)


def test_flat_folder_with_aliases_and_any_size(tmp_path):
    root = make_folder(tmp_path / "ds", {"Happiness": 2, "angry": 2, "Surprised": 1}, size=(120, 90))
    data = load_arrays(root)
    assert len(data) == 5
    assert sorted(set(data.labels.tolist())) == [LABELS.index("angry"), LABELS.index("happy"), LABELS.index("surprise")]
    assert data.pixels.shape == (5, 48, 48)


def test_split_and_person_folders(tmp_path):
    make_folder(tmp_path / "ds" / "train", {"sad": 2, "neutral": 1})
    make_folder(tmp_path / "ds" / "test", {"sad": 1}, color=False)
    assert len(load_arrays(tmp_path / "ds", "Training")) == 3  # FER usage name maps to train/
    assert len(load_arrays(tmp_path / "ds", "PublicTest")) == 1
    assert len(load_arrays(tmp_path / "ds")) == 4  # persons/splits all together
    with pytest.raises(DatasetError, match=r"no split folder for usage 'PrivateTest'.*found test, train"):
        load_arrays(tmp_path / "ds", "PrivateTest")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda r: make_folder(r, {"happy": 1, "bored": 1}), r"unknown class folder\(s\) bored; found bored, happy"),
        (lambda r: (make_folder(r, {"happy": 1}), (r / "sad").mkdir()), r"sad: class folder holds no images"),
        (lambda r: r.mkdir(), r"no class folders"),
        (
            lambda r: (make_folder(r, {"happy": 1}), (r / "happy" / "broken.png").write_bytes(b"not a png")),
            r"broken.png: not a readable image",
        ),
    ],
)
def test_folder_errors_name_the_path(tmp_path, setup, message):
    root = tmp_path / "ds"
    setup(root)
    with pytest.raises(DatasetError, match=message):
        load_arrays(root)


def test_missing_path(tmp_path):
    with pytest.raises(DatasetError, match="no such file or folder"):
        list(iter_samples(tmp_path / "nope"))


def test_detect_hook_skips_faceless_images(tmp_path, small_fer_csv):
    data = load_arrays(small_fer_csv, "PublicTest", to_pixels=lambda img: None if img.mean() < 0 else img)
    assert len(data) == 7 and data.skipped == []
    none = load_arrays(small_fer_csv, "PublicTest", to_pixels=lambda img: None)
    assert len(none) == 0 and len(none.skipped) == 7


def test_ferplus_targets_align_and_normalise(tmp_path):
    path = tmp_path / "ferplus.csv"
    path.write_text(
        "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n"
        "Training,a.png,4,0,0,1,3,2,0,0,0,0\n"
        "PublicTest,b.png,10,0,0,0,0,0,0,0,0,0\n"
        "Training,c.png,0,0,0,0,0,0,0,1,0,9\n"
    )
    targets = load_ferplus_targets(path, ["Training"])
    assert targets.shape == (2, 7)
    expected = np.zeros(7)
    expected[LABELS.index("neutral")] = 0.4
    expected[LABELS.index("sad")] = 0.1
    expected[LABELS.index("angry")] = 0.3
    expected[LABELS.index("disgust")] = 0.2
    assert np.allclose(targets[0], expected)
    assert targets[1].sum() == 0  # only contempt/NF votes: no usable target


def test_real_fer2013_counts(fer_data):
    rows = sum(1 for _ in iter_samples(fer_data, "PublicTest"))
    assert rows == 3589


def test_write_fer_csv_roundtrip(tmp_path):
    img = synthetic_face(3)
    path = write_fer_csv(tmp_path / "one.csv.gz", [(3, img, "Training")], gz=True)
    sample = next(iter_samples(path))
    assert sample.label == 3 and np.array_equal(sample.image, img) and sample.origin.endswith(":2")
