#!/usr/bin/env python3
"""Compare and tune [smoothing] settings on logs of `emojify run` over test clips.

Logs are grouped by file name (out/live/expressive.jsonl and out/live_s1/expressive.jsonl are
both "expressive") and each group's metrics are pooled. Per group it prints the metrics of the
logged decisions ("logged": what the app showed) and of the decision layer replayed with the
given settings ("replayed"), plus truth_agree (the emoji named the true expression) and model_acc (the
classifier alone, frame by frame) when the clip's ground-truth sidecar lies next to the log.
--grid tries every combination of the candidate values in GRID and prints the best settings:
fewest short stretches first, then fewest wrong_low frames, then the highest mean agree.

Example:
    python scripts/make_live_clips.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz --out out/live
    for c in out/live/*.avi; do emojify run --source $c --display none --log-lines frames --log ${c%.avi}.jsonl; done
    python scripts/tune_decision.py out/live/*.jsonl
    python scripts/tune_decision.py out/live/*.jsonl --grid
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import msgspec

from edge.cli.numbers import positive_float
from edge.cli.replay import parse_sets
from edge.config.loader import build_config
from edge.core.decision import DecisionConfig
from edge.core.decision_metrics import COLUMNS, FrameRecord, LiveMetrics, pooled_metrics, trailing_means
from edge.core.labels import LABELS
from edge.data.replay import LoggedFrame, logged_records, read_log, replay
from edge.harness.live_truth import read_truth, truth_labels, truth_metrics

#: Candidate values for --grid (the other settings stay at their --set or default values).
GRID = {
    "time_constant": (0.2, 0.3, 0.4),
    "switch_after": (0.1, 0.2, 0.3),
    "unsure_threshold": (0.35, 0.4, 0.5),
    "support_floor": (0.2, 0.25, 0.3),
    "lead_margin": (0.0, 0.05, 0.1),
}

Clip = tuple[list[LoggedFrame], dict[str, Any] | None]


def load(paths: list[Path], fps: float | None) -> dict[str, list[Clip]]:
    """Logs grouped by file stem, each with its clip's sidecar when there is one."""
    groups: dict[str, list[Clip]] = defaultdict(list)
    for path in paths:
        sidecar = path.with_name(path.stem + ".truth.json")
        groups[path.stem].append((read_log(path, fps).frames, read_truth(sidecar) if sidecar.is_file() else None))
    return dict(sorted(groups.items()))


def evaluate(clips: list[Clip], config: DecisionConfig | None) -> tuple[LiveMetrics, dict[str, float]]:
    """Pooled metrics of one group: the logged decisions (``config`` None) or a replay."""
    decided: list[list[FrameRecord]] = [
        logged_records(frames) if config is None else replay(frames, config) for frames, _ in clips
    ]
    truth = [(records, t) for records, (_, t) in zip(decided, clips, strict=True) if t is not None]
    return pooled_metrics(decided), truth_metrics(truth)


def _cell(value: float | int, fmt: str) -> str:
    return "-" if isinstance(value, float) and math.isnan(value) else fmt.format(value)


def table(groups: dict[str, list[Clip]], config: DecisionConfig) -> str:
    head = ["clips", "run", *[h for h, _, _ in COLUMNS], "truth_agree", "model_acc"]
    lines = ["  ".join(f"{h:>11}" for h in head)]
    for name, clips in groups.items():
        for tag, cfg in (("logged", None), ("replayed", config)):
            m, extra = evaluate(clips, cfg)
            cells = [f"{name:>11}", f"{tag:>11}"]
            cells += [f"{_cell(getattr(m, key), fmt):>11}" for _, key, fmt in COLUMNS]
            cells += [f"{_cell(extra[k], '{:.3f}'):>11}" for k in ("truth_agree", "model_acc")]
            lines.append("  ".join(cells))
    return "\n".join(lines)


def grid(groups: dict[str, list[Clip]], base: DecisionConfig, top: int) -> str:
    keys = list(GRID)
    results = []
    for values in itertools.product(*(GRID[k] for k in keys)):
        change = dict(zip(keys, values, strict=True))
        if change["support_floor"] > change["unsure_threshold"]:
            continue
        config = msgspec.structs.replace(base, **change)
        per = {name: evaluate(clips, config) for name, clips in groups.items()}
        ms = [m for m, _ in per.values()]
        truth = [e["truth_agree"] for _, e in per.values() if not math.isnan(e["truth_agree"])]
        results.append(
            (
                sum(m.short for m in ms),
                round(max(m.wrong_low for m in ms if not math.isnan(m.wrong_low)), 3),
                -sum(m.agree for m in ms if not math.isnan(m.agree)) / len(ms),
                max((m.react_s for m in ms if not math.isnan(m.react_s)), default=math.nan),
                max(m.changes_per_min for m in ms),
                max(m.unsure_share for m in ms if not math.isnan(m.unsure_share)),
                sum(truth) / max(len(truth), 1),
                change,
            )
        )
    results.sort(key=lambda r: r[:3])
    lines = [
        f"{'short':>5} {'max_wlow':>8} {'agree':>6} {'max_react':>9} {'max_chg':>7} {'max_uns':>7} {'truth':>6}  settings"
    ]
    for short, low, agree, react, chg, unsure, tru, change in results[:top]:
        lines.append(f"{short:5d} {low:8.3f} {-agree:6.3f} {react:9.2f} {chg:7.1f} {unsure:7.3f} {tru:6.3f}  {change}")
    return "\n".join(lines)


def timeline(frames: list[LoggedFrame], config: DecisionConfig, truth: dict[str, Any] | None) -> str:
    """Frame by frame: time, per-frame top class, trailing leader, truth, old and new shown."""
    old, new = logged_records(frames), replay(frames, config)
    means = trailing_means(new)
    labels = truth_labels(new, truth) if truth else [None] * len(new)
    lines = [f"{'t':>6} {'frame_top':>14} {'trailing':>14} {'truth':>9} {'old':>9} {'new':>9}"]
    for rec, o, m, y in zip(new, old, means, labels, strict=True):
        top = f"{LABELS[int(rec.scores.argmax())]} {rec.scores.max():.2f}" if rec.scores is not None else "-"
        lead = f"{LABELS[int(m.argmax())]} {m.max():.2f}" if m is not None else "-"
        lines.append(f"{rec.t:6.2f} {top:>14} {lead:>14} {y or '-':>9} {o.shown:>9} {rec.shown:>9}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", nargs="*", type=Path, help="logs of the app over clips (their sidecars next to them)")
    p.add_argument("--fps", type=positive_float, help="frame rate, for logs whose frame lines have no t")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--grid", action="store_true", help="search the GRID of settings")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--timeline", metavar="LOG", type=Path, help="print the frame-by-frame timeline of this log")
    args = p.parse_args(argv)
    config = build_config({"smoothing": parse_sets(args.set)}, "--set").smoothing
    if args.timeline:
        sidecar = args.timeline.with_name(args.timeline.stem + ".truth.json")
        truth = read_truth(sidecar) if sidecar.is_file() else None
        print(timeline(read_log(args.timeline, args.fps).frames, config, truth))
        return 0
    if not args.logs:
        p.error("give the logs to compare (or --timeline LOG)")
    groups = load(args.logs, args.fps)
    print(f"# settings: {msgspec.structs.asdict(config)}")
    print(table(groups, config))
    if args.grid:
        print(grid(groups, config, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
