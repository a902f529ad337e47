#!/usr/bin/env python3
"""Write camera-like test clips of FER2013 PublicTest faces, each with a ground-truth sidecar.

What the clips show and what they cannot: see edge/harness/live_scenes.py. Run the app on them and
score the decisions with scripts/evaluate_live.py (or scripts/tune_decision.py).

Example:
    python scripts/make_live_clips.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz --out out/live
    python -m edge run --source out/live/expressive.avi --display none --log out/live/expressive.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.cli.numbers import positive_float
from edge.data.datasets import DatasetError
from edge.harness.live_clips import write_clip
from edge.harness.live_scenes import KINDS, FacePool, make_scene


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="FER2013 CSV (only its PublicTest rows are used)")
    p.add_argument("--out", type=Path, default=Path("out/live"))
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--seconds", type=positive_float, help="length of every clip (default: per kind, 20-45 s)")
    p.add_argument("--fps", type=positive_float, default=15.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    needs_faces = any(kind != "demo" for kind in args.kinds)
    try:
        pool = FacePool.load(args.data) if needs_faces else None
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return 2
    for kind in args.kinds:
        clip = args.out / f"{kind}.avi"
        scene = make_scene(kind, pool, args.seconds, args.fps, args.seed)
        sidecar = write_clip(scene, pool, clip)
        print(f"{clip}  ({scene.seconds:g} s at {scene.fps:g} fps; truth in {sidecar.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
