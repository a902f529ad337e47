"""The ``emojify`` command (also ``python -m edge``).

Sub-commands: ``run``, ``check-config``, ``doctor``, ``service status``. Errors a person can
fix are printed as one line, without a traceback, with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from edge import __version__, paths
from edge.config.loader import load_config
from edge.config.schema import Config
from edge.core.errors import EmojifyError
from edge.display.modes import DISPLAY_MODES
from edge.inference.runtime import DELEGATES

log = logging.getLogger(__name__)

EXIT_ERROR = 2


def _config_from(args: argparse.Namespace, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    return load_config(args.config, overrides)


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        help=f"TOML config file (default: {paths.SYSTEM_CONFIG} when present, or $EMOJIFY_CONFIG)",
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the live loop; SIGHUP reloads the config, SIGTERM/SIGINT end it cleanly."""
    from edge.app import build_pipeline, choose_display
    from edge.notify import SystemdNotifier
    from edge.pipeline import Pipeline

    overrides: dict[str, dict[str, Any]] = {
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
    config = _config_from(args, overrides)
    notifier = SystemdNotifier()
    current: list[Pipeline] = []
    ending: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if signum != signal.SIGHUP:
            ending.append(name)  # also seen between two pipelines during a reload
        if current:
            current[0].stop(name)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
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
            current[:] = [pipeline]
            stats = pipeline.run(max_frames=frames_left, duration=seconds_left)
            log.info(
                "stopped (%s): %d frames in %.1f s, %.1f fps%s",
                stats.reason,
                stats.frames,
                stats.seconds,
                stats.fps,
                f", {stats.camera_faults} camera-fault passes" if stats.camera_faults else "",
            )
            if stats.reason != "SIGHUP" or ending:
                return 0
            notifier.notify("RELOADING=1", "STATUS=reloading the configuration")
            frames_left = None if frames_left is None else max(frames_left - stats.frames, 0)
            seconds_left = None if seconds_left is None else max(seconds_left - stats.seconds, 0.0)
            try:
                config = _config_from(args, overrides)
                log.info("configuration reloaded from %s", config.source_file)
            except EmojifyError as exc:
                log.error("configuration not reloaded, keeping the running one: %s", exc)
    finally:
        notifier.stopping()


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the config file and print the effective configuration."""
    from edge.config.loader import to_toml

    config = _config_from(args)
    print(f"# {config.source_file}: ok")
    print(to_toml(config))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check camera, runtime, delegate, display, font, model and labels."""
    from edge.doctor import run_checks

    checks = run_checks(args.config)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "ok  " if check.ok else "FAIL" if check.required else "warn"
        print(f"{mark}  {check.name:<{width}}  {check.detail}")
    return 0 if all(c.ok or not c.required for c in checks) else 1


def cmd_service(args: argparse.Namespace) -> int:
    """Show which systemd unit is installed and enabled."""
    from edge.service import format_service_status, service_status

    print(format_service_status(service_status()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="emojify", description="Facial expression to emoji, on a Raspberry Pi.")
    parser.add_argument("--version", action="version", version=f"emojify {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("-q", "--quiet", action="store_true")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the camera -> emoji loop (kiosk or headless)")
    _add_config(run)
    run.add_argument("--source", help="auto, picamera2, opencv:N, /dev/videoN, demo, a video file or an image folder")
    run.add_argument("--display", choices=DISPLAY_MODES, help="none = headless JSON lines")
    run.add_argument("--model", help="int8 .tflite model (default: models/emotion_int8.tflite)")
    run.add_argument("--delegate", choices=DELEGATES)
    run.add_argument("--threads", type=int, help="interpreter threads")
    run.add_argument("--log", help="JSON lines file (default: stdout when headless)")
    run.add_argument("--log-every", type=int, help="write one frame line per N frames")
    run.add_argument("--summary-interval", type=float, help="seconds between summary lines (default 60)")
    run.add_argument("--mqtt", help="publish telemetry to mqtt://HOST:PORT or mqtts://HOST:PORT")
    run.add_argument("--max-frames", type=int, help="stop after N frames")
    run.add_argument("--duration", type=float, help="stop after S seconds")
    run.add_argument("--loop", action="store_true", help="repeat a video file or image folder")
    run.add_argument("--preview", action="store_true", help="small camera preview on the kiosk")
    run.add_argument("--debug", action="store_true", help="FPS/latency overlay on the kiosk")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-config", help="validate a config file")
    _add_config(check)
    check.set_defaults(func=cmd_check_config)

    doctor = sub.add_parser("doctor", help="check camera, runtime, Edge TPU, display, font and model")
    _add_config(doctor)
    doctor.set_defaults(func=cmd_doctor)

    service = sub.add_parser("service", help="systemd service information")
    service.add_argument("action", choices=("status",))
    service.set_defaults(func=cmd_service)

    from edge.fleet import register_commands as register_fleet
    from edge.personalize.cli import register_commands as register_personalize

    register_personalize(sub)
    register_fleet(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emojify`` command."""
    from edge.logsetup import setup_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    setup_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args))
    except EmojifyError as exc:
        print(f"emojify: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
