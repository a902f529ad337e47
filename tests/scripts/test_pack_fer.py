"""scripts/pack_fer.py: the lossless bundle round-trips a FER2013 CSV row for row."""

from __future__ import annotations

import numpy as np

import scripts.pack_fer as pack_fer
from edge.data.datasets import iter_fer_csv, load_arrays
from tests.conftest import synthetic_face, write_fer_csv


def test_pack_then_unpack_gives_the_same_rows_in_order(tmp_path):
    rows = [(c, synthetic_face(c, seed=i), "Training" if i % 3 else "PublicTest") for i in range(6) for c in range(7)]
    rows.append((2, np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8), "PrivateTest"))
    source = write_fer_csv(tmp_path / "fer.csv.gz", rows, gz=True)
    bundle = tmp_path / "fer.npz"
    assert pack_fer.main(["pack", str(source), str(bundle)]) == 0  # Training + PublicTest by default
    target = tmp_path / "back.csv"
    assert pack_fer.main(["unpack", str(bundle), str(target)]) == 0

    kept = [s for s in iter_fer_csv(source) if s.usage != "PrivateTest"]
    back = list(iter_fer_csv(target))
    assert len(back) == len(kept) == len(rows) - 1
    assert [s.usage for s in back] == [s.usage for s in kept]
    assert [s.label for s in back] == [s.label for s in kept]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(back, kept, strict=True))  # lossless
    for usage in ("Training", "PublicTest"):
        assert np.array_equal(load_arrays(target, usage).pixels, load_arrays(source, usage).pixels)


def test_pack_keeps_only_the_usages_asked_for(tmp_path):
    rows = [(c, synthetic_face(c, seed=i), "Training" if i % 2 else "PublicTest") for i in range(4) for c in range(7)]
    source = write_fer_csv(tmp_path / "fer.csv", rows)
    bundle = tmp_path / "train.npz"
    assert pack_fer.main(["pack", str(source), str(bundle), "--usages", "Training"]) == 0
    target = tmp_path / "back.csv"
    assert pack_fer.main(["unpack", str(bundle), str(target)]) == 0
    assert {s.usage for s in iter_fer_csv(target)} == {"Training"}
    assert len(list(iter_fer_csv(target))) == 14


def test_unpack_of_a_missing_bundle_is_a_plain_error(tmp_path, capsys):
    assert pack_fer.main(["unpack", str(tmp_path / "nope.npz"), str(tmp_path / "out.csv")]) == 2
    assert "nope.npz" in capsys.readouterr().err
