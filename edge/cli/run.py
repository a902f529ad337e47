"""``emojify run`` (the live loop; SIGHUP reloads the config) and ``emojify check-config``."""

from __future__ import annotations

import argparse
import logging
import math
import signal
from collections.abc import Callable
from typing import Any

from edge.config.loader import load_config, to_toml
from edge.config.schema import Config
from edge.core.errors import EmojifyError
from edge.display.modes import DISPLAY_MODES
from edge.display.probe import choose_display
from edge.inference.runtime import DELEGATES
from edge.pipeline.assembly import build_pipeline
from edge.pipeline.loop import Pipeline, RunStats
from edge.system.notify import SystemdNotifier

log = logging.getLogger(__name__)


def finite_float(text: str) -> float:
    """An argparse type: a finite number (``nan`` and ``inf`` are refused)."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    return {
        "camera": {"source": args.source, "loop": True if args.loop else None},
        "model": {"path": args.model, "delegate": args.delegate, "threads": args.threads},
        "display": {
            "mode": args.display,
            "preview": True if args.preview else None,
            "debug": True if args.debug else None,
        },
        "log": {"path": args.log, "every": args.log_every, "summary_interval": args.summary_interval},
        "mqtt": {"url": args.mqtt},
    }


class _Signals:
    """SIGTERM/SIGINT end the run, SIGHUP asks for a reload; both stop the current pipeline."""

    def __init__(self) -> None:
        self.current: Pipeline | None = None
        self.ending: list[str] = []
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if signum != signal.SIGHUP:
            self.ending.append(name)  # also seen between two pipelines during a reload
        if self.current is not None:
            self.current.stop(name)


def _log_stats(stats: RunStats) -> None:
    log.info(
        "stopped (%s): %d frames in %.1f s, %.1f fps%s",
        stats.reason,
        stats.frames,
        stats.seconds,
        stats.fps,
        f", {stats.camera_faults} camera-fault passes" if stats.camera_faults else "",
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the live loop; SIGHUP reloads the config, SIGTERM/SIGINT end it cleanly."""
    overrides = _overrides(args)
    config = load_config(args.config, overrides)
    notifier = SystemdNotifier()
    signals = _Signals()
    frames_left, seconds_left = args.max_frames, args.duration
    running = config  # the last configuration that built a working pipeline
    try:
        while True:
            try:
                pipeline = build_pipeline(config, choose_display(config.display.mode), notifier)
                running = config
            except EmojifyError as exc:
                if config is running:
                    raise
                log.error("the reloaded configuration cannot start (%s); keeping the running one", exc)
                config = running
                continue
            signals.current = pipeline
            stats = pipeline.run(max_frames=frames_left, duration=seconds_left)
            _log_stats(stats)
            if stats.reason != "SIGHUP" or signals.ending:
                return 0
            notifier.notify("RELOADING=1", "STATUS=reloading the configuration")
            frames_left = None if frames_left is None else max(frames_left - stats.frames, 0)
            seconds_left = None if seconds_left is None else max(seconds_left - stats.seconds, 0.0)
            config = _reload(args, overrides, running)
    finally:
        notifier.stopping()


def _reload(args: argparse.Namespace, overrides: dict[str, dict[str, Any]], running: Config) -> Config:
    """The config file again, or the running configuration when the file no longer validates."""
    try:
        config = load_config(args.config, overrides)
    except EmojifyError as exc:
        log.error("configuration not reloaded, keeping the running one: %s", exc)
        return running
    log.info("configuration reloaded from %s", config.source_file)
    return config


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the config file and print the effective configuration."""
    config = load_config(args.config)
    print(f"# {config.source_file}: ok")
    print(to_toml(config))
    return 0


def register(subparsers: Any, add_config: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``run`` and ``check-config``."""
    run = subparsers.add_parser("run", help="run the camera -> emoji loop (kiosk or headless)")
    add_config(run)
    run.add_argument("--source", help="auto, picamera2, opencv:N, /dev/videoN, demo, a video file or an image folder")
    run.add_argument("--display", choices=DISPLAY_MODES, help="none = headless JSON lines")
    run.add_argument("--model", help="int8 .tflite model (default: models/emotion_int8.tflite)")
    run.add_argument("--delegate", choices=DELEGATES)
    run.add_argument("--threads", type=int, help="interpreter threads")
    run.add_argument("--log", help="JSON lines file (default: stdout when headless)")
    run.add_argument("--log-every", type=int, help="write one frame line per N frames")
    run.add_argument("--summary-interval", type=finite_float, help="seconds between summary lines (default 60)")
    run.add_argument("--mqtt", help="publish telemetry to mqtt://HOST:PORT or mqtts://HOST:PORT")
    run.add_argument("--max-frames", type=int, help="stop after N frames")
    run.add_argument("--duration", type=finite_float, help="stop after S seconds")
    run.add_argument("--loop", action="store_true", help="repeat a video file or image folder")
    run.add_argument("--preview", action="store_true", help="small camera preview on the kiosk")
    run.add_argument("--debug", action="store_true", help="FPS/latency overlay on the kiosk")
    run.set_defaults(func=cmd_run)

    check = subparsers.add_parser("check-config", help="validate a config file")
    add_config(check)
    check.set_defaults(func=cmd_check_config)
