#!/usr/bin/env python3
"""Robustness checks: labelled face crops in camera-like frames through the app's face path.

Every face of the split (default: FER2013 PublicTest) is put into a generated 640x480 frame
under each condition (edge/harness/face_scenes.py: placed and re-detected, tilted ±20°, light
from one side, defocus, JPEG quality 15, dim light with noise, clear glasses, sunglasses, a
face far away), then goes through the analyzer `emojify run` builds from the built-in defaults
(the [faces] detector, the one crop, the [model] classifier; --model picks another model).
Prints accuracy (a missed face counts as wrong), accuracy on the faces found, the detector's
miss rate, ECE and recall per class per condition (the JSON also has recall on found faces
only). --compare-align also runs the plain box crop (keypoints dropped) on the same frames and
detections.

Resumable: with --json, finished conditions are kept in the file and skipped on a re-run with
the same settings.

Examples:
    python scripts/robustness.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz --json out/robustness.json
    python scripts/robustness.py --data $FER --compare-align --conditions frame tilt+20 tilt-20 --limit 500
    python scripts/robustness.py --data $FER --save-examples out/robustness-examples   # one PNG per condition
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.config.loader import build_config
from edge.core.errors import EmojifyError
from edge.core.labels import LABELS
from edge.data.datasets import is_fer_csv, load_arrays
from edge.harness.face_scenes import CONDITIONS, make_scene, seed_for
from edge.harness.robustness import clean_eyes, run_condition, variants
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.assembly import build_analyzer

Results = dict[str, dict[str, dict[str, Any]]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="labelled face crops (FER2013 CSV or image folder)")
    p.add_argument("--usage", help="rows/split (default: PublicTest for a CSV)")
    p.add_argument("--model", type=Path, help="int8 .tflite (default: the shipped model)")
    p.add_argument("--conditions", nargs="+", choices=list(CONDITIONS), default=list(CONDITIONS))
    p.add_argument("--compare-align", action="store_true", help="also run the plain box crop (no levelling)")
    p.add_argument("--limit", type=int, help="first N faces only")
    p.add_argument("--json", type=Path, help="write (and resume from) the results here")
    p.add_argument("--save-examples", type=Path, help="write the first frame of each condition as a PNG here")
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def print_table(results: Results) -> None:
    """One row per condition and crop: accuracy, on faces found, misses, ECE, recall per class."""
    names = sorted({v for cond in results.values() for v in cond}, key=lambda v: v != "shipped")
    print(
        f"{'condition':<12}{'crop':<9}{'acc':>7}{'found':>7}{'miss':>7}{'ECE':>6}"
        + "".join(f"{label[:7]:>9}" for label in LABELS)
    )
    for cond, by_variant in results.items():
        for name in names:
            r = by_variant.get(name)
            if r is not None:
                print(
                    f"{cond:<12}{name:<9}{r['accuracy'] * 100:>6.1f}%{r['accuracy_found'] * 100:>6.1f}%"
                    f"{r['miss_rate'] * 100:>6.1f}%{r['ece_found'] * 100:>5.1f}%"
                    + "".join(f"{r['recall'][label] * 100:>8.1f}%" for label in LABELS)
                )


def save_examples(folder: Path, conditions: list[str], face: np.ndarray, detector: Any) -> None:
    """The first face's frame under each condition, as PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in conditions:
        eyes = clean_eyes(detector, face) if CONDITIONS[name].glasses else None
        scene = make_scene(face, CONDITIONS[name], np.random.default_rng(seed_for(name, 0)), eyes)
        cv2.imwrite(str(folder / f"{name}.png"), scene.frame)
    print(f"example frames: {folder}")


def progress(total: int, name: str, enabled: bool) -> tuple[Any, Any]:
    """A tqdm bar and its tick, or ``(None, None)``."""
    if not enabled:
        return None, None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=total, desc=name, leave=False, dynamic_ncols=True)
    return bar, lambda: bar.update(1)


def resume(path: Path | None, settings: dict[str, Any], conditions: list[str]) -> Results:
    """Conditions already measured with the same settings in ``path``."""
    if path is None or not path.exists():
        return {}
    old = json.loads(path.read_text())
    if old.get("settings") != settings:
        return {}
    done = {k: v for k, v in old.get("conditions", {}).items() if k in conditions}
    if done:
        print(f"resuming {path}: {', '.join(done)} already done")
    return done


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    usage = args.usage if args.usage is not None else ("PublicTest" if is_fer_csv(args.data) else None)
    settings: dict[str, Any] = {"model": {"delegate": "cpu", "threads": 1}}
    if args.model:
        settings["model"]["path"] = str(args.model)
    try:
        config = build_config(settings, "robustness")  # the built-in defaults, not this machine's file
        data = load_arrays(args.data, usage, limit=args.limit)
        analyzer: Analyzer = build_analyzer(config)
    except EmojifyError as exc:
        print(f"robustness: error: {exc}", file=sys.stderr)
        return 2
    detector = analyzer.detector
    if args.save_examples:
        save_examples(args.save_examples, args.conditions, data.pixels[0], detector)
    analyzers = variants(analyzer, args.compare_align)
    record = {
        "model": str(analyzer.classifier.info.path),  # type: ignore[attr-defined]
        "data": str(args.data),
        "usage": usage,
        "n": len(data.labels),
        "variants": list(analyzers),
        "faces": {
            "detector": config.faces.detector,
            "min_size": config.faces.min_size,
            "threshold": config.faces.threshold,
            "zoom": config.faces.zoom,
        },
    }
    results = resume(args.json, record, args.conditions)
    for name in args.conditions:
        if name in results:
            continue
        bar, tick = progress(len(data.labels), name, not args.no_progress)
        results[name] = run_condition(name, data.pixels, data.labels, analyzers, detector, tick)
        if bar is not None:
            bar.close()
        r = results[name]["shipped"]
        print(
            f"{name}: accuracy {r['accuracy'] * 100:.1f} %, on found faces {r['accuracy_found'] * 100:.1f} %, "
            f"missed {r['miss_rate'] * 100:.1f} % ({r['seconds']:.0f} s)",
            flush=True,
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"settings": record, "conditions": results}, indent=1))
    print_table({k: results[k] for k in args.conditions})
    if args.json:
        print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
