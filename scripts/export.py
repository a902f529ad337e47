#!/usr/bin/env python3
"""Export a trained checkpoint to the shipped int8 TFLite model and float checkpoint.

Calibrates activation ranges on training images, optionally fits per-class logit offsets
(prior correction, so that rare classes such as disgust keep a useful recall) on a
validation split, writes models/emotion_int8.tflite, models/emotion_float.pt and
models/labels.txt.

Example:
    python scripts/export.py --checkpoint runs/emotion-v1/final.pt \\
        --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz --balance-on PublicTest
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import torch

from edge.core.labels import LABELS
from edge.inference.features import embed_feature_moments
from edge.model_format.labels_file import write_labels
from edge.paths import MODELS_DIR
from edge.training.calibration import cross_fitted_accuracy, fit_logit_offsets
from edge.training.checkpoints import cached_arrays, load_model, predict_logits, save_checkpoint
from edge.training.export import export_int8


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--data", required=True, type=Path, help="data set for calibration images (and --balance-on)")
    p.add_argument("--calibration-usage", default="Training")
    p.add_argument("--calibration-size", type=int, default=2000)
    p.add_argument("--balance-on", help="usage/split on which to fit per-class logit offsets (none when omitted)")
    p.add_argument("--min-recall", type=float, default=0.5, help="recall floor the offsets aim for")
    p.add_argument("--out-dir", type=Path, default=MODELS_DIR)
    p.add_argument("--name", default="emotion")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    model = load_model(args.checkpoint)
    calib = cached_arrays(args.data, args.calibration_usage)
    rng = np.random.default_rng(0)
    pick = rng.choice(len(calib), size=min(args.calibration_size, len(calib)), replace=False)
    offsets = None
    if args.balance_on:
        val = cached_arrays(args.data, args.balance_on)
        logits = predict_logits(model, val.pixels, torch.device("cpu"))
        offsets = fit_logit_offsets(logits, val.labels, args.min_recall)
        print("cross-fitted on halves of", args.balance_on, cross_fitted_accuracy(logits, val.labels, args.min_recall))
        print("logit offsets:", dict(zip(LABELS, np.round(offsets, 3).tolist(), strict=True)))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    tflite = args.out_dir / f"{args.name}_int8.tflite"
    export_int8(model, calib.pixels[pick], tflite, offsets)
    # General-face feature statistics let `emojify personalize` keep general accuracy on the Pi.
    embed_feature_moments(tflite, calib.pixels[pick])
    size = tflite.stat().st_size
    if offsets is not None:
        with torch.no_grad():
            model.classifier.bias += torch.from_numpy(offsets).float()
    float_path = args.out_dir / f"{args.name}_float.pt"
    save_checkpoint(
        float_path,
        model,
        {"source_checkpoint": str(args.checkpoint), "logit_offsets": None if offsets is None else offsets.tolist()},
        half=True,
    )
    write_labels(args.out_dir / "labels.txt")
    history = args.checkpoint.parent / "history.jsonl"
    if history.exists() and args.out_dir.resolve() != history.parent.resolve():
        shutil.copy(history, args.out_dir / f"{args.name}_history.jsonl")
    print(json.dumps({"tflite": str(tflite), "bytes": size, "float": str(float_path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
