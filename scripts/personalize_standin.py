#!/usr/bin/env python3
"""Measure `emojify personalize` on simulated users made from FER2013 PublicTest.

Not a real person: a weak stand-in (see docs/personalize.md). Even PublicTest rows make the
users, odd rows are the general check, so no check face is ever a user face.

* ``session`` users: one face per expression, N jittered frames of it through a per-user
  "camera and room" transform (what ``emojify capture`` produces).
* ``shift`` users: N different faces per expression through the same per-user camera.

Example:
    python scripts/personalize_standin.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz \\
        --mode session --users 20 --out out/standin
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from edge.core.labels import LABELS
from edge.data.datasets import iter_fer_csv
from edge.paths import DEFAULT_MODEL
from edge.personalize.runner import PersonalizeOptions, personalize

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def camera(rng: np.random.Generator) -> Transform:
    """A fixed per-user camera and room: gamma, contrast, brightness, side light, blur, noise."""
    gamma, contrast, bright = rng.uniform(0.6, 1.8), rng.uniform(0.5, 0.9), rng.uniform(-30, 30)
    side, blur, noise = rng.uniform(-60, 60), rng.choice([0, 1, 1.5]), rng.uniform(2, 8)

    def apply(img: np.ndarray, r: np.random.Generator) -> np.ndarray:
        x = (img.astype(np.float32) / 255.0) ** gamma * 255.0
        x = (x - 128) * contrast + 128 + bright + np.linspace(-side / 2, side / 2, 48)[None, :]
        if blur:
            x = cv2.GaussianBlur(x, (0, 0), float(blur))
        x += r.normal(0, noise, x.shape)
        return np.clip(x, 0, 255).astype(np.uint8)

    return apply


def jitter(img: np.ndarray, r: np.random.Generator) -> np.ndarray:
    """Small pose change between frames: rotation, scale, shift."""
    m = cv2.getRotationMatrix2D((24, 24), r.uniform(-8, 8), r.uniform(0.94, 1.06))
    m[:, 2] += r.uniform(-2, 2, 2)
    return cv2.warpAffine(img, m, (48, 48), borderMode=cv2.BORDER_REPLICATE)


def make_users(data: Path, out: Path, mode: str, users: int, per_emotion: int, seed: int) -> Path:
    """Write user folders (capture layout) and the general check set; returns the check CSV."""
    rows = list(iter_fer_csv(data, "PublicTest"))
    even = [s for i, s in enumerate(rows) if i % 2 == 0]
    odd = [s for i, s in enumerate(rows) if i % 2 == 1]
    out.mkdir(parents=True, exist_ok=True)
    check = out / "check_odd.csv.gz"
    lines = ["emotion,pixels,Usage"] + [f"{s.label},{' '.join(map(str, s.image.reshape(-1)))},PublicTest" for s in odd]
    check.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    by_class = {c: [s for s in even if s.label == c] for c in range(len(LABELS))}
    rng = np.random.default_rng(seed)
    for u in range(users):
        cam = camera(rng)
        for c, label in enumerate(LABELS):
            pool = by_class[c]
            folder = out / f"user{u:02d}" / "me" / label
            folder.mkdir(parents=True, exist_ok=True)
            if mode == "session":
                src = pool[rng.integers(len(pool))].image
                imgs = [cam(jitter(src, rng), rng) for _ in range(per_emotion)]
            else:
                pick = rng.choice(len(pool), size=min(per_emotion, len(pool)), replace=False)
                imgs = [cam(jitter(pool[k].image, rng), rng) for k in pick]
            for n, img in enumerate(imgs):
                cv2.imwrite(str(folder / f"20260101-120000-{n:03d}.png"), img)
    return check


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="FER2013 CSV with PublicTest rows")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--mode", choices=("session", "shift"), default="session")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--per-emotion", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("out/standin"))
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    root = args.out / args.mode
    check = make_users(args.data, root, args.mode, args.users, args.per_emotion, args.seed)
    rows = []
    for user in sorted(p for p in root.glob("user*") if p.is_dir()):
        report = personalize(PersonalizeOptions(args.model, user, root / f"{user.name}.tflite", check=check))
        rows.append(report)
        print(
            f"{user.name}: own {report.heldout_before * 100:.1f}% -> {report.heldout_after * 100:.1f}%  "
            f"general {report.check_before * 100:.1f}% -> {report.check_after * 100:.1f}%  ({report.seconds:.1f} s)"
        )
    before = np.array([r.heldout_before for r in rows])
    after = np.array([r.heldout_after for r in rows])
    cb = np.array([r.check_before for r in rows])
    ca = np.array([r.check_after for r in rows])
    met = ((after >= before + 0.15) | (after >= 0.9)) & (cb - ca <= 0.03)
    summary = {
        "mode": args.mode,
        "users": len(rows),
        "own_before": float(before.mean()),
        "own_after": float(after.mean()),
        "own_after_min": float(after.min()),
        "general_before": float(cb.mean()),
        "general_after": float(ca.mean()),
        "general_worst_drop": float((cb - ca).max()),
        "target_met": int(met.sum()),
        "seconds_mean": float(np.mean([r.seconds for r in rows])),
    }
    print(json.dumps(summary))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
