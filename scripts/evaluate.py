#!/usr/bin/env python3
"""Evaluate an expression model on any supported data set.

Prints accuracy, macro F1, per-class precision/recall/F1/support, the confusion matrix, ms per
face and the expected calibration error (ECE, 15 bins, over the faces found); writes them as JSON with --json and a confusion-matrix PNG.

Examples:
    python scripts/evaluate.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz --json out/eval.json
    python scripts/evaluate.py --data my_photos/ --detect-faces
    python scripts/evaluate.py --data fer.csv.gz --float-model models/emotion_float.pt   # + float-vs-int8 agreement
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from edge.core.errors import EmojifyError
from edge.data.datasets import is_fer_csv
from edge.data.evaluation import confusion_png, format_report, metrics, predict_dataset
from edge.faces.registry import photo_detector
from edge.harness.robustness import WithoutKeypoints
from edge.inference.classifier import ExpressionClassifier
from edge.paths import DEFAULT_MODEL


def float_classify(path: Path):  # type: ignore[no-untyped-def]
    """A classify function for a float PyTorch checkpoint (needs the train extra)."""
    import torch

    from edge.core.preprocess import pixels_to_float
    from edge.training.checkpoints import load_model

    model = load_model(path)
    torch.set_num_threads(1)

    def classify(pixels: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = torch.from_numpy(pixels_to_float(pixels))[None, None]
            return torch.softmax(model(x), dim=1)[0].numpy()

    return classify


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="FER2013 CSV (.csv/.csv.gz) or image folder")
    p.add_argument("--usage", help="rows/split to evaluate (default: PublicTest for a CSV, everything for folders)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="int8 .tflite (default: the shipped model)")
    p.add_argument("--float-model", type=Path, help="float checkpoint (.pt) to compare with (agreement, float metrics)")
    p.add_argument(
        "--detect-faces", action="store_true", help="images are uncropped photos: detect and crop as the app does"
    )
    p.add_argument(
        "--no-align", action="store_true", help="with --detect-faces: plain box crop, tilted faces are not levelled"
    )
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--png", type=Path, help="confusion matrix image (default: next to --json, else evaluation.png)")
    p.add_argument("--flip", action="store_true", help="also read each face's mirror image and average ([model] flip)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, help="evaluate the first N images only")
    args = p.parse_args(argv)
    usage = args.usage if args.usage is not None else ("PublicTest" if is_fer_csv(args.data) else None)
    try:
        classifier = ExpressionClassifier(args.model, num_threads=args.threads, delegate="cpu", flip=args.flip)
        detector = None
        if args.detect_faces:
            detector = photo_detector()
            if args.no_align:
                detector = WithoutKeypoints(detector)
        pred = predict_dataset(classifier.classify, args.data, usage, detector, args.limit, classifier.input_size)
    except EmojifyError as exc:
        print(f"evaluate: error: {exc}", file=sys.stderr)
        return 2
    result = metrics(pred.y_true, pred.y_pred)
    result.update(
        {
            "ms_per_face": pred.ms_per_face,
            "ece": pred.calibration_error(),
            "model": str(args.model),
            "data": str(args.data),
            "usage": usage,
        }
    )
    print(format_report(result))
    print("confusion (rows = true):")
    for label, row in zip(result["per_class"], result["confusion"], strict=True):
        print(f"  {label:<9}" + "".join(f"{v:>6}" for v in row))

    if args.float_model:
        classify = float_classify(args.float_model)
        found = pred.y_pred >= 0
        float_pred = np.full_like(pred.y_pred, -1)
        float_pred[found] = [int(np.argmax(classify(px))) for px in pred.pixels[found]]
        float_result = metrics(pred.y_true, float_pred)
        agreement = float((float_pred[found] == pred.y_pred[found]).mean()) if found.any() else 0.0
        result["float"] = {
            "accuracy": float_result["accuracy"],
            "macro_f1": float_result["macro_f1"],
            "per_class": float_result["per_class"],
        }
        result["float_int8_agreement"] = agreement
        print(
            f"float model: accuracy={float_result['accuracy'] * 100:.2f}%  agreement with int8={agreement * 100:.2f}%"
        )

    png = args.png or (args.json.with_suffix(".png") if args.json else Path("evaluation.png"))
    confusion_png(np.asarray(result["confusion"]), png, f"{args.model.name} on {args.data.name} ({usage or 'all'})")
    print(f"confusion matrix image: {png}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
