#!/usr/bin/env python3
"""Soak test: run the pipeline on a replayed clip and report RSS, open fds and frame-time drift.

Examples:
    python scripts/soak.py --duration 30m --json docs/soak-30m.json
    python scripts/soak.py --duration 20s --source demo        # CI smoke run
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from edge.harness.clip import make_clip
from edge.harness.soak import soak


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m`` or ``2h`` in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    if text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", default="30m", type=parse_duration)
    p.add_argument("--source", help="video file to loop (default: a generated 10 s clip of the demo)")
    p.add_argument("--sample-every", type=float, default=10.0)
    p.add_argument("--fast", action="store_true", help="unpaced instead of the clip's own frame rate")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or str(make_clip(Path(tmp) / "clip.avi"))
        report = soak(
            source, args.duration, min(args.sample_every, max(args.duration / 20, 0.5)), realtime=not args.fast
        )
    summary = report.summary()
    print(f"{'':<10}{'start':>10}{'end':>10}{'change':>10}")
    for key in ("rss_mb", "fds", "threads", "frame_ms"):
        row = summary[key]
        print(f"{key:<10}{row['start']:>10}{row['end']:>10}{row['change']:>10}")
    print(f"{summary['frames']} frames in {summary['duration_s']} s; peak RSS {summary['rss_mb']['max']} MB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"summary": summary, "samples": [s.__dict__ for s in report.samples]}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
