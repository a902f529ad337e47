#!/usr/bin/env python3
"""Measure `emojify personalize` on simulated people made from FER2013 PublicTest.

Not a real person: a stand-in (see docs/personalize.md). Even PublicTest rows make the people,
odd rows are the general check, so no check face is ever a person's face. Every person gets a
fixed "camera and room" (gamma, contrast, brightness, side light, blur, noise); ``few`` and
``day`` people also get an "identity" (the low-frequency look of one face blended into all of
theirs, and a fixed face-shape warp). Each person has photos to fit on and *other* photos to
score on:

* ``few``: 2-3 photos per emotion to fit (``--fit-photos``), 3 other photos of the same
  expressions to score (each photo its own small pose and expression change).
* ``day``: one capture session (20 frames per emotion) to fit; the same expressions on
  "another day" to score: another camera and room, larger pose changes.
* ``session``: 20 frames per emotion; scored on 6 more frames of the same session.
* ``shift``: 20 *different* FER2013 faces per emotion through the person's camera; scored on
  6 more different faces (new expressions by other people: the hard case).

The personalised model is scored with the int8 runtime on the other photos and on the general
check; the fit time excludes the check.

Example:
    python scripts/personalize_standin.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz \\
        --mode few --users 10 --out out/standin
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.core.labels import LABELS
from edge.data.datasets import iter_fer_csv, load_arrays
from edge.inference.classifier import ExpressionClassifier
from edge.paths import DEFAULT_MODEL
from edge.personalize.fit import GENERAL_BUDGET
from edge.personalize.runner import PersonalizeOptions, personalize

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]
MODES = ("few", "day", "session", "shift")
SIDE = 48


def camera(rng: np.random.Generator) -> Transform:
    """A fixed per-person camera and room: gamma, contrast, brightness, side light, blur, noise."""
    gamma, contrast, bright = rng.uniform(0.6, 1.8), rng.uniform(0.5, 0.9), rng.uniform(-30, 30)
    side, blur, noise = rng.uniform(-60, 60), rng.choice([0, 1, 1.5]), rng.uniform(2, 8)

    def apply(img: np.ndarray, r: np.random.Generator) -> np.ndarray:
        x = (img.astype(np.float32) / 255.0) ** gamma * 255.0
        x = (x - 128) * contrast + 128 + bright + np.linspace(-side / 2, side / 2, SIDE)[None, :]
        if blur:
            x = cv2.GaussianBlur(x, (0, 0), float(blur))
        x += r.normal(0, noise, x.shape)
        return np.clip(x, 0, 255).astype(np.uint8)

    return apply


def identity(rng: np.random.Generator, faces: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A fixed per-person look: one face's low frequencies blended in, and a face-shape warp."""
    low = cv2.GaussianBlur(faces[rng.integers(len(faces))].astype(np.float32), (0, 0), 4.0)
    beta = rng.uniform(0.4, 0.7)
    m = np.array([[rng.uniform(0.92, 1.08), rng.uniform(-0.06, 0.06), 0], [0, rng.uniform(0.92, 1.08), 0]], np.float32)
    m[:, 2] = SIDE / 2 - m[:, :2] @ np.array([SIDE / 2, SIDE / 2], np.float32)

    def apply(img: np.ndarray) -> np.ndarray:
        x = img.astype(np.float32)
        x = x + beta * (low - cv2.GaussianBlur(x, (0, 0), 4.0))
        x = cv2.warpAffine(x, m, (SIDE, SIDE), borderMode=cv2.BORDER_REPLICATE)
        return np.clip(x, 0, 255).astype(np.uint8)

    return apply


def jitter(
    img: np.ndarray, r: np.random.Generator, degrees: float = 8, scale: float = 0.06, px: float = 2
) -> np.ndarray:
    """A small pose change: rotation, scale, shift."""
    m = cv2.getRotationMatrix2D((SIDE / 2, SIDE / 2), r.uniform(-degrees, degrees), r.uniform(1 - scale, 1 + scale))
    m[:, 2] += r.uniform(-px, px, 2)
    return cv2.warpAffine(img, m, (SIDE, SIDE), borderMode=cv2.BORDER_REPLICATE)


def expression_change(img: np.ndarray, r: np.random.Generator, amplitude: float = 2.0) -> np.ndarray:
    """The same expression made again, a little differently: a smooth random warp of up to ``amplitude`` px."""
    fields = [cv2.GaussianBlur(r.normal(0, 1, (SIDE, SIDE)).astype(np.float32), (0, 0), 6) for _ in range(2)]
    dx, dy = (f * amplitude / (np.abs(f).max() + 1e-6) for f in fields)
    gx, gy = np.meshgrid(np.arange(SIDE, dtype=np.float32), np.arange(SIDE, dtype=np.float32))
    return cv2.remap(img, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass
class Person:
    """One stand-in: crops to fit on and other crops to score on, per emotion."""

    fit: dict[int, list[np.ndarray]]
    score: dict[int, list[np.ndarray]]
    photos: bool  # fit crops are separate photos (not capture frames)


def make_person(
    mode: str, pools: dict[int, np.ndarray], everyone: np.ndarray, rng: np.random.Generator, fit_photos: int
) -> Person:
    """The fit and score crops of one stand-in person (see the module docstring)."""
    cam, look = camera(rng), identity(rng, everyone)
    fit: dict[int, list[np.ndarray]] = {}
    score: dict[int, list[np.ndarray]] = {}
    for c, pool in pools.items():
        if mode == "few":
            src = look(pool[rng.integers(len(pool))])
            shots = [cam(jitter(expression_change(src, rng), rng, 10, 0.08, 2.5), rng) for _ in range(fit_photos + 3)]
            fit[c], score[c] = shots[:fit_photos], shots[fit_photos:]
        elif mode == "day":
            src = look(pool[rng.integers(len(pool))])
            other_day = camera(rng)
            fit[c] = [cam(jitter(src, rng), rng) for _ in range(20)]
            score[c] = [other_day(jitter(expression_change(src, rng), rng, 12, 0.1, 3), rng) for _ in range(6)]
        elif mode == "session":
            src = pool[rng.integers(len(pool))]
            frames = [cam(jitter(src, rng), rng) for _ in range(26)]
            fit[c], score[c] = frames[:20], frames[20:]
        else:
            pick = rng.choice(len(pool), size=26, replace=False)
            faces = [cam(jitter(pool[k], rng), rng) for k in pick]
            fit[c], score[c] = faces[:20], faces[20:]
    return Person(fit, score, photos=mode == "few")


def write_person(person: Person, folder: Path) -> tuple[Path, Path]:
    """``fit/me/<emotion>/`` (capture file names, or photo names) and ``score/<emotion>/``."""
    for part, crops in (("fit", person.fit), ("score", person.score)):
        for c, images in crops.items():
            target = folder / part / ("me" if part == "fit" else "") / LABELS[c]
            target.mkdir(parents=True, exist_ok=True)
            for n, img in enumerate(images):
                name = f"photo{n + 1}.png" if (person.photos or part == "score") else f"20260101-120000-{n:03d}.png"
                cv2.imwrite(str(target / name), img)
    return folder / "fit", folder / "score"


def score(model: Path, pixels: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the int8 model on the crops."""
    classifier = ExpressionClassifier(model, num_threads=1, delegate="cpu")
    predicted = np.array([int(np.argmax(classifier.classify(face))) for face in pixels])
    return float((predicted == labels).mean())


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="FER2013 CSV with PublicTest rows")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--mode", choices=MODES, default="few")
    p.add_argument("--users", type=int, default=10)
    p.add_argument("--fit-photos", type=int, default=2, help="few mode: photos per emotion to fit on")
    p.add_argument(
        "--budget", type=float, default=GENERAL_BUDGET, help="general-face safeguard (see edge/personalize/fit.py)"
    )
    p.add_argument("--copies", type=int, help="varied copies per capture (default: the product's choice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("out/standin"))
    p.add_argument("--json", type=Path)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    rows = list(iter_fer_csv(args.data, "PublicTest"))
    even, odd = rows[0::2], rows[1::2]
    everyone = np.stack([s.image for s in even])
    labels = np.array([s.label for s in even])
    pools = {c: everyone[labels == c] for c in range(len(LABELS))}
    check_pixels = np.stack([s.image for s in odd])
    check_labels = np.array([s.label for s in odd])
    general_before = score(args.model, check_pixels, check_labels)
    root = args.out / args.mode
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(args.seed)
    results = []
    for u in range(args.users):
        fit_dir, score_dir = write_person(
            make_person(args.mode, pools, everyone, rng, args.fit_photos), root / f"user{u:02d}"
        )
        out = root / f"user{u:02d}.tflite"
        report = personalize(PersonalizeOptions(args.model, fit_dir, out, budget=args.budget, copies=args.copies))
        other = load_arrays(score_dir)
        row = {
            "before": score(args.model, other.pixels, other.labels),
            "after": score(out, other.pixels, other.labels),
            "general_after": score(out, check_pixels, check_labels),
            "seconds": report.seconds,
        }
        results.append(row)
        print(
            f"user{u:02d}: other photos {row['before'] * 100:.1f}% -> {row['after'] * 100:.1f}%  general "
            f"{general_before * 100:.1f}% -> {row['general_after'] * 100:.1f}%  (fit {row['seconds']:.1f} s)",
            flush=True,
        )
    gain = np.array([r["after"] - r["before"] for r in results])
    drop = general_before - np.array([r["general_after"] for r in results])
    summary = {
        "mode": args.mode,
        "users": len(results),
        "fit_photos": args.fit_photos if args.mode == "few" else None,
        "other_before": float(np.mean([r["before"] for r in results])),
        "other_after": float(np.mean([r["after"] for r in results])),
        "mean_gain": float(gain.mean()),
        "worst_change": float(gain.min()),
        "worse_by_more_than_3": int((gain < -0.03).sum()),
        "general_before": general_before,
        "general_drop_mean": float(drop.mean()),
        "general_drop_worst": float(drop.max()),
        "fit_seconds_mean": float(np.mean([r["seconds"] for r in results])),
    }
    print(json.dumps(summary))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "users": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
