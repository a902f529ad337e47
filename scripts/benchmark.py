#!/usr/bin/env python3
"""Benchmark the live pipeline: per-stage median/p95, fps, CPU %, peak RSS, start-up time.

With ``--display kiosk`` it measures the kiosk's own time per frame instead, through the same
loop with the kiosk drawing off screen (SDL's dummy driver) at each ``--size``, on a camera-paced
clip, split into transitions, nothing changing, moving scores and animated screens.

Examples:
    python scripts/benchmark.py --source demo --frames 1000
    python scripts/benchmark.py --source clip.mp4 --threads 2 --json out/bench.json
    python scripts/benchmark.py --make-clip out/clip.avi --source out/clip.avi   # CI: a generated clip
    python scripts/benchmark.py --display kiosk --size 800x480 --size 1920x1080 --repeat 3
"""

from __future__ import annotations

import time

PROCESS_START = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

from edge.harness.benchmark import run_benchmark  # noqa: E402
from edge.harness.clip import make_clip  # noqa: E402
from edge.inference.runtime import DELEGATES  # noqa: E402


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1920x1080") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be positive")
    return w, h


def _kiosk(args: argparse.Namespace) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from edge.harness.kiosk_bench import markdown, run_kiosk_benchmark, to_json

    source = None if args.source == "demo" else args.source
    results = {}
    for size in args.size or [(800, 480), (1920, 1080), (3840, 2160)]:
        results[size] = [
            run_kiosk_benchmark(size, source, args.seconds, args.model, args.delegate) for _ in range(args.repeat)
        ]
    print(markdown(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(to_json(results), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", default="demo", help="a video file, or demo (rendered unpaced; kiosk: a generated clip)")
    p.add_argument("--frames", type=int, default=600)
    p.add_argument("--threads", type=int, default=1, help="classifier threads")
    p.add_argument("--delegate", default="cpu", choices=DELEGATES)
    p.add_argument("--model", type=Path)
    p.add_argument("--detect-every", type=int, default=1, help="run the face detector every N frames")
    p.add_argument("--no-zoom", action="store_true", help="[faces] zoom = false: no closer look on empty frames")
    p.add_argument("--make-clip", type=Path, help="first write a 10 s 640x480 clip of the demo animation here")
    p.add_argument("--json", type=Path)
    p.add_argument("--display", choices=("none", "kiosk"), default="none", help="kiosk: time the kiosk's drawing")
    p.add_argument(
        "--size", type=_size, action="append", help="kiosk size WxH (repeatable; default: 800x480, 1080p, 4K)"
    )
    p.add_argument("--seconds", type=float, default=24.0, help="kiosk: seconds per run (camera-paced)")
    p.add_argument("--repeat", type=int, default=1, help="kiosk: runs per size (best and median are reported)")
    args = p.parse_args(argv)
    if args.make_clip:
        args.make_clip.parent.mkdir(parents=True, exist_ok=True)
        make_clip(args.make_clip)
    if args.display == "kiosk":
        return _kiosk(args)
    result = run_benchmark(
        args.source,
        args.frames,
        args.threads,
        args.delegate,
        args.model,
        PROCESS_START,
        detect_every=args.detect_every,
        zoom=not args.no_zoom,
    )
    print(result.markdown())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
