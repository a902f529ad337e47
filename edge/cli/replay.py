"""``emojify replay``: decide a recorded log again with other ``[smoothing]`` settings, and score both.

A log recorded with ``--log-lines frames`` holds every face's probabilities on every frame, so
the decision layer can run again on it with any settings, without any video. The metrics
(:mod:`edge.core.decision_metrics`) are printed for what the app showed and for the replay;
``scripts/evaluate_live.py`` prints the same rows with the same code.
"""

from __future__ import annotations

import argparse
import json
import logging
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from edge.cli.numbers import positive_float
from edge.config.loader import build_config, load_config
from edge.core.decision import DecisionConfig
from edge.core.decision_metrics import LiveMetrics, format_table, pooled_metrics
from edge.core.errors import EmojifyError
from edge.data.replay import LogRead, by_run, logged_records, read_log, replay

log = logging.getLogger(__name__)

#: What to do when a log cannot be replayed.
RECORD_HINT = "record one with: emojify run --log-lines frames --log FILE"


class ReplayError(EmojifyError):
    """A log that cannot be read or replayed, with what to do."""


def parse_sets(pairs: Sequence[str]) -> dict[str, Any]:
    """``["switch_after=0.3", ...]`` -> ``{"switch_after": 0.3}`` (values read as TOML, else as text).

    Raises:
        ReplayError: A pair without ``=``.
    """
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ReplayError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set min_hold=0.8")
        try:
            values[key.strip()] = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            values[key.strip()] = text.strip()
    return values


def _recorded(start: dict[str, Any]) -> dict[str, Any]:
    """The known ``[smoothing]`` keys of a start line (a log of another version may have others)."""
    known = {f.name for f in msgspec.structs.fields(DecisionConfig)}
    found = start.get("smoothing")
    smoothing: dict[str, Any] = found if isinstance(found, dict) else {}
    unknown = sorted(set(smoothing) - known)
    if unknown:
        log.warning("the log's settings have keys this version does not know, left out: %s", ", ".join(unknown))
    return {k: v for k, v in smoothing.items() if k in known}


def settings(read: LogRead, config: Path | None, sets: dict[str, Any]) -> list[DecisionConfig]:
    """The settings to replay with: ``config``'s ``[smoothing]`` (else each run's recorded one), then ``sets``.

    Raises:
        ConfigError: A bad file or ``--set``, named like ``check-config`` names it.
    """
    if config is not None:
        return [load_config(config, {"smoothing": sets}).smoothing]
    runs = read.starts or [{}]
    return [build_config({"smoothing": _recorded(s) | sets}, "--set").smoothing for s in runs]


def check_replayable(read: LogRead, where: str) -> None:
    """Refuse a log without per-frame lines, or with thinned ones, saying how to record one.

    Raises:
        ReplayError: The log cannot be replayed.
    """
    if not read.frames:
        held = f"only {read.changes} change lines" if read.changes else "no frame lines"
        raise ReplayError(f"{where}: {held}, no per-frame lines to replay; {RECORD_HINT}")
    thinned = sorted({s.get("every") for s in read.starts if s.get("every", 1) != 1}, key=str)
    if thinned:
        raise ReplayError(f"{where}: one frame line per {thinned[0]} frames; replay needs every frame: {RECORD_HINT}")


def evaluate(read: LogRead, configs: Sequence[DecisionConfig] | None) -> tuple[list[tuple[str, LiveMetrics]], int]:
    """The metrics of what the log says was shown and, with ``configs``, of a replay.

    Returns:
        The rows (``recorded``, and ``replayed``), and on how many frames the replay showed what
        was recorded (0 without a replay).
    """
    recorded = logged_records(read.frames)
    rows = [("recorded", pooled_metrics(by_run(read.frames, recorded)))]
    if configs is None:
        return rows, 0
    replayed = replay(read.frames, configs)
    rows.append(("replayed", pooled_metrics(by_run(read.frames, replayed))))
    same = sum(a.shown == b.shown for a, b in zip(recorded, replayed, strict=True))
    return rows, same


def read_logs(paths: Sequence[Path], fps: float | None) -> LogRead:
    """Read one recording (rotated files oldest first).

    Raises:
        ReplayError: A missing file, or frame lines without times.
    """
    for path in paths:
        if not path.is_file():
            raise ReplayError(f"{path}: no such log file")
    try:
        return read_log(list(paths), fps)
    except (OSError, ValueError) as exc:
        raise ReplayError(f"{paths[0]}: {exc}") from None


def describe(read: LogRead, paths: Sequence[Path]) -> str:
    """One line: what the log holds."""
    return (
        f"# {', '.join(map(str, paths))}: {len(read.frames)} frames in {read.runs} run(s), "
        f"time from {read.time_base or '-'}, {read.skipped} unreadable lines skipped"
    )


def _changed(configs: Sequence[DecisionConfig], read: LogRead) -> str:
    recorded = [_recorded(s) for s in read.starts] or [{}]
    mine = msgspec.structs.asdict(configs[0])
    diff = [f"{k} = {v:g} (recorded {recorded[0].get(k, '-')})" for k, v in mine.items() if recorded[0].get(k) != v]
    return "# settings: " + ("as recorded" if not diff else ", ".join(diff))


def cmd_replay(args: argparse.Namespace) -> int:
    """Print the metrics of a recorded log and of its replay with the chosen settings."""
    read = read_logs(args.logs, args.fps)
    check_replayable(read, str(args.logs[0]))
    configs = settings(read, args.config, parse_sets(args.set))
    rows, same = evaluate(read, configs)
    print(describe(read, args.logs))
    print(_changed(configs, read))
    print(format_table(rows))
    print(f"# the replay shows what was recorded on {same} of {len(read.frames)} frames")
    if args.json:
        payload: dict[str, Any] = {name: m.as_dict() for name, m in rows}
        payload["settings"] = [msgspec.structs.asdict(c) for c in configs]
        payload["same_frames"] = same
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


def register(subparsers: Any) -> None:
    """Add ``replay``."""
    p = subparsers.add_parser(
        "replay",
        help="decide a recorded log again with other [smoothing] settings and print how calm, right and quick it is",
        description="Decide a log recorded with --log-lines frames again, with the recorded [smoothing] "
        "settings, a config file's, or --set changes, and print the metrics of both.",
    )
    p.add_argument("logs", nargs="+", type=Path, metavar="LOG", help="JSON-lines log (rotated files oldest first)")
    p.add_argument(
        "--config", type=Path, help="take [smoothing] from this config file (default: the recorded settings)"
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a [smoothing] setting to try")
    p.add_argument("--fps", type=positive_float, help="frame rate, for old logs whose frame lines have no t")
    p.add_argument("--json", type=Path, help="also write the metrics to this JSON file")
    p.set_defaults(func=cmd_replay)
