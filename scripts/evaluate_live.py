#!/usr/bin/env python3
"""Print how calm, right and quick the decisions in a JSON-lines log of `emojify run` were.

The metrics (agree, wrong_low, unsure share, changes per minute, short stretches, reaction
time, new-face time) are defined in edge/core/decision_metrics.py and computed from the log
alone, by the same code as `emojify replay`. With --replay the log's per-frame face scores are
decided again by the decision layer, with the recorded settings or --set changes of the
[smoothing] keys, and both rows are printed.

Example:
    python scripts/evaluate_live.py out/run.jsonl
    python scripts/evaluate_live.py out/run.jsonl --replay --set switch_after=0.3
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import msgspec

from edge.cli.numbers import positive_float
from edge.cli.replay import check_replayable, describe, evaluate, parse_sets, read_logs, settings
from edge.core.decision_metrics import format_table
from edge.core.errors import EmojifyError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", nargs="+", type=Path, help="JSON-lines log(s) of one recording, oldest first")
    p.add_argument("--fps", type=positive_float, help="frame rate, for logs whose frame lines have no t")
    p.add_argument("--replay", action="store_true", help="also decide the log again with the decision layer")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a [smoothing] setting for --replay")
    p.add_argument("--json", type=Path, help="also write the metrics to this JSON file")
    args = p.parse_args(argv)
    try:
        read = read_logs(args.logs, args.fps)
        if args.replay:
            check_replayable(read, str(args.logs[0]))
        elif not read.frames:
            raise EmojifyError(
                f"{args.logs[0]}: no frame lines ({read.changes} change lines, {read.skipped} unreadable)"
            )
        configs = settings(read, None, parse_sets(args.set)) if args.replay else None
        rows, same = evaluate(read, configs)
    except EmojifyError as exc:
        print(f"evaluate_live: error: {exc}", file=sys.stderr)
        return 2
    print(describe(read, args.logs))
    print(format_table(rows))
    if configs is not None:
        print(f"# the replay shows what was recorded on {same} of {len(read.frames)} frames")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload: dict[str, object] = {name: m.as_dict() for name, m in rows}
        if configs is not None:
            payload["settings"] = [msgspec.structs.asdict(c) for c in configs]
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
