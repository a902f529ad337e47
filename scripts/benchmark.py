#!/usr/bin/env python3
"""Benchmark the live pipeline: per-stage median/p95, fps, CPU %, peak RSS, start-up time.

Examples:
    python scripts/benchmark.py --source demo --frames 1000
    python scripts/benchmark.py --source clip.mp4 --threads 2 --json out/bench.json
    python scripts/benchmark.py --make-clip out/clip.avi --source out/clip.avi   # CI: a generated clip
"""

from __future__ import annotations

import time

PROCESS_START = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from edge.harness.benchmark import run_benchmark  # noqa: E402
from edge.harness.clip import make_clip  # noqa: E402
from edge.inference.runtime import DELEGATES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", default="demo", help="a video file, or demo (rendered unpaced)")
    p.add_argument("--frames", type=int, default=600)
    p.add_argument("--threads", type=int, default=1, help="classifier threads")
    p.add_argument("--delegate", default="cpu", choices=DELEGATES)
    p.add_argument("--model", type=Path)
    p.add_argument("--detect-every", type=int, default=1, help="run the face detector every N frames")
    p.add_argument("--make-clip", type=Path, help="first write a 10 s 640x480 clip of the demo animation here")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.make_clip:
        args.make_clip.parent.mkdir(parents=True, exist_ok=True)
        make_clip(args.make_clip)
    result = run_benchmark(
        args.source, args.frames, args.threads, args.delegate, args.model, PROCESS_START, detect_every=args.detect_every
    )
    print(result.markdown())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
