#!/usr/bin/env python3
"""Soak test: the shipped loop, headless and kiosk, on a replayed clip; RSS, fds, threads and frame time over time.

Each mode runs in a fresh process of its own (``--mode both`` starts one per mode), so one run's
memory never shows in the other's. ``--fail-on-growth`` exits 1 when, after the warm-up,
resident memory grew by more than ``--max-rss-growth-mb`` or any file descriptor or thread was
added (see docs/reliability.md for what the limits mean).

Examples:
    python scripts/soak.py --duration 2h --json docs/soak-2h.json              # both services
    python scripts/soak.py --mode kiosk --duration 10m
    python scripts/soak.py --duration 40s --sample-every 2 --fail-on-growth    # CI
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from edge.harness.clip import make_clip
from edge.harness.soak import MODES, GrowthLimits, soak


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m`` or ``2h`` in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    value = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive duration")
    return value


def print_summary(summary: dict[str, Any]) -> None:
    print(f"== {summary['mode']}: {summary['frames']} frames in {summary['duration_s']} s ({summary['fps']} fps)")
    print(f"compared from {summary['compared_from_s']} s (warm-up {summary['warmup_s']} s) to the end")
    print(f"{'':<14}{'start':>10}{'end':>10}{'change':>10}")
    for key in ("rss_mb", "fds", "threads", "frame_ms", "frame_p95_ms"):
        row = summary[key]
        print(f"{key:<14}{row['start']:>10}{row['end']:>10}{row['change']:>10}")
    print(f"peak RSS {summary['rss_mb']['max']} MB")


def run_one(args: argparse.Namespace, source: str) -> dict[str, Any]:
    sample_every = min(args.sample_every, max(args.duration / 20, 0.5))
    report = soak(source, args.duration, sample_every, realtime=not args.fast, mode=args.mode, warmup=args.warmup)
    summary = report.summary()
    limits = GrowthLimits(rss_mb=args.max_rss_growth_mb)
    return {"summary": summary, "growth": report.growth(limits), "samples": [s.__dict__ for s in report.samples]}


def run_each_mode(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """``--mode both``: this script once per mode, each in a fresh process."""
    common = ["--duration", str(args.duration), "--sample-every", str(args.sample_every)]
    common += ["--max-rss-growth-mb", str(args.max_rss_growth_mb), "--quiet"]
    common += ["--source", args.source] if args.source else []
    common += ["--warmup", str(args.warmup)] if args.warmup is not None else []
    common += ["--fast"] if args.fast else []
    results = {}
    for mode in MODES:
        out = folder / f"{mode}.json"
        subprocess.run([sys.executable, __file__, *common, "--mode", mode, "--json", str(out)], check=True)
        results[mode] = json.loads(out.read_text())[mode]
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=(*MODES, "both"), default="both", help="which service to soak (default both)")
    p.add_argument("--duration", default="30m", type=parse_duration)
    p.add_argument("--source", help="video file to loop (default: a generated 10 s clip of the demo)")
    p.add_argument("--sample-every", type=float, default=10.0)
    p.add_argument("--warmup", type=parse_duration, help="seconds left out of the comparison (default: 10 %%)")
    p.add_argument("--fast", action="store_true", help="unpaced instead of the clip's own frame rate")
    p.add_argument("--json", type=Path)
    p.add_argument("--fail-on-growth", action="store_true", help="exit 1 when memory, fds or threads grew")
    p.add_argument("--max-rss-growth-mb", type=float, default=GrowthLimits().rss_mb)
    p.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.mode == "both":
            results = run_each_mode(args, Path(tmp))
        else:
            source = args.source or str(make_clip(Path(tmp) / "clip.avi"))
            results = {args.mode: run_one(args, source)}
    problems = [problem for result in results.values() for problem in result["growth"]]
    if not args.quiet:
        for result in results.values():
            print_summary(result["summary"])
        print("growth: " + ("; ".join(problems) if problems else "none beyond the limits"))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if problems and args.fail_on_growth else 0


if __name__ == "__main__":
    raise SystemExit(main())
