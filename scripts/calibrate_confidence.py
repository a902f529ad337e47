#!/usr/bin/env python3
"""Calibrate the int8 model's confidence: fit a temperature, fold it into the model, re-check.

Runs the int8 model over a labelled split (default: FER2013 PublicTest), rebuilds its logits
from the ``features`` output and the final layer, and reports expected calibration error
(15 bins), NLL and accuracy for: no scaling, a temperature, and per-class vector scaling, each
**cross-fitted** (fitted on one half of the faces, scored on the other, and swapped). With
``--write`` it folds the chosen scaling (fitted on all faces) into the final FULLY_CONNECTED
layer and re-measures the written model: accuracy, argmax agreement with the input model,
ECE of its real int8 probabilities.

Examples:
    python scripts/calibrate_confidence.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz
    python scripts/calibrate_confidence.py --data $FER --write models/emotion_int8.tflite \\
        --float-model models/emotion_float.pt --json models/calibration_publictest.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from edge.core import confidence
from edge.core.decision import DecisionConfig
from edge.core.errors import EmojifyError
from edge.data.datasets import is_fer_csv, load_arrays
from edge.inference.classifier import ExpressionClassifier
from edge.inference.features import run_model
from edge.model_format.editor import read_dense_head
from edge.paths import DEFAULT_MODEL
from edge.system.files import atomic_write
from edge.training import temperature as tm

METHODS = ("none", "temperature", "vector")
#: The decision layer's default ``unsure_threshold``: a face under it is not shown as an emoji.
UNSURE = DecisionConfig().unsure_threshold


def summarise(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """ECE, NLL, accuracy and the share of faces under the kiosk's unsure threshold."""
    return {
        "ece": confidence.expected_calibration_error(probs, labels),
        "nll": confidence.nll(probs, labels),
        "accuracy": float((probs.argmax(1) == labels).mean()),
        "below_unsure_threshold": float((probs.max(1) < UNSURE).mean()),
    }


def line(name: str, s: dict[str, float]) -> str:
    """One printed line of :func:`summarise`'s numbers."""
    return (
        f"{name:<28} ECE {s['ece'] * 100:5.2f} %   NLL {s['nll']:.4f}   accuracy {s['accuracy'] * 100:5.2f} %   "
        f"top prob < {UNSURE:.2f}: {s['below_unsure_threshold'] * 100:4.1f} %"
    )


def model_logits(path: Path, pixels: np.ndarray, threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(int8 probabilities, features, float logits rebuilt from the features)``."""
    classifier = ExpressionClassifier(path, num_threads=threads, delegate="cpu")
    probs, feats = run_model(classifier, pixels)
    head = read_dense_head(path.read_bytes())
    return probs, feats, feats.astype(np.float64) @ head.weight.T.astype(np.float64) + head.bias


def fold_float(path: Path, scaling: tm.LogitScaling, record: dict[str, Any]) -> None:
    """Fold the same scaling into the float checkpoint's classifier (needs the train extra)."""
    import torch

    from edge.training.checkpoints import load_model, save_checkpoint

    payload = torch.load(path, map_location="cpu", weights_only=False)
    model = load_model(path)
    weight, bias = scaling.fold(model.classifier.weight.detach().numpy(), model.classifier.bias.detach().numpy())
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(weight))
        model.classifier.bias.copy_(torch.from_numpy(bias))
    extra = {k: v for k, v in payload.items() if k not in ("model_state", "model_config", "labels")}
    extra[tm.CALIBRATION_KEY] = record
    save_checkpoint(path, model, extra, half=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="labelled face crops (FER2013 CSV or image folder)")
    p.add_argument("--usage", help="rows/split to fit on (default: PublicTest for a CSV)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="int8 .tflite to calibrate")
    p.add_argument("--method", choices=METHODS[1:], default="temperature", help="what --write folds in")
    p.add_argument("--write", type=Path, help="write the calibrated int8 model here (may be --model itself)")
    p.add_argument("--float-model", type=Path, help="with --write: fold the same scaling into this .pt (in place)")
    p.add_argument("--json", type=Path, help="write the numbers here")
    p.add_argument("--seeds", type=int, default=3, help="random half-splits for the cross-fitted numbers")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int)
    return p.parse_args(argv)


def cross_fitted(logits: np.ndarray, y: np.ndarray, seeds: int) -> dict[str, Any]:
    """Each method's numbers, averaged over ``seeds`` random half-splits (fit on one half, score the other)."""
    cross: dict[str, Any] = {}
    for method in METHODS:
        runs = [summarise(tm.cross_fitted_probs(logits, y, method, seed), y) for seed in range(seeds)]
        cross[method] = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        cross[method]["ece_per_seed"] = [r["ece"] for r in runs]
        print(line(f"cross-fitted {method}", cross[method]))
    return cross


def write_model(
    args: argparse.Namespace,
    scaling: tm.LogitScaling,
    record: dict[str, Any],
    data: Any,
    probs: np.ndarray,
    result: dict[str, Any],
) -> None:
    """Fold ``scaling`` into the int8 model (and the float checkpoint), then re-measure the written file."""
    atomic_write(args.write, tm.fold_into_tflite(args.model.read_bytes(), scaling, record))
    new_probs, _, _ = model_logits(args.write, data.pixels, args.threads)
    y = data.labels
    written = summarise(new_probs, y)
    written["argmax_agreement_with_input"] = float((new_probs.argmax(1) == probs.argmax(1)).mean())
    written["bytes"] = args.write.stat().st_size
    result["written_model"] = written
    result["reliability_after"] = confidence.reliability_table(new_probs, y)
    print(line("written int8 (in-sample)", written))
    print(f"argmax agreement with {args.model.name}: {written['argmax_agreement_with_input'] * 100:.2f} %")
    print(f"wrote {args.write} ({written['bytes']} bytes)")
    if args.float_model:
        fold_float(args.float_model, scaling, record)
        print(f"folded the same scaling into {args.float_model}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    usage = args.usage if args.usage is not None else ("PublicTest" if is_fer_csv(args.data) else None)
    try:
        data = load_arrays(args.data, usage, limit=args.limit)
        probs, _, logits = model_logits(args.model, data.pixels, args.threads)
    except EmojifyError as exc:
        print(f"calibrate_confidence: error: {exc}", file=sys.stderr)
        return 2
    y = data.labels
    result: dict[str, Any] = {"model": str(args.model), "data": str(args.data), "usage": usage, "n": len(y)}
    result["input_model"] = summarise(probs, y)
    print(f"{args.model} on {args.data.name} [{usage or 'all'}], {len(y)} faces")
    print(line("int8 model as it is", result["input_model"]))
    cross = result["cross_fitted"] = cross_fitted(logits, y, args.seeds)
    scaling = tm.fit_scaling(logits, y, args.method)
    record: dict[str, Any] = {
        "method": args.method,
        "scale": scaling.scale.tolist(),
        "offset": scaling.offset.tolist(),
        "fitted_on": f"{args.data.name} [{usage or 'all'}]",
        "n": len(y),
        "ece_cross_fitted_before": cross["none"]["ece"],
        "ece_cross_fitted_after": cross[args.method]["ece"],
    }
    if args.method == "temperature":
        record["temperature"] = float(1.0 / scaling.scale[0])
        print(f"temperature fitted on all faces: T = {record['temperature']:.4f}")
    result["fit"] = record
    result["reliability_before"] = confidence.reliability_table(probs, y)
    if args.write:
        write_model(args, scaling, record, data, probs, result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
