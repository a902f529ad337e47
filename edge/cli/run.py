"""``emojify run`` (the live loop; SIGHUP reloads the config) and ``emojify check-config``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from edge.cli.numbers import positive_float, positive_int
from edge.config.loader import load_config, to_toml
from edge.config.schema import LOG_LINES
from edge.core.errors import EmojifyError
from edge.display.modes import DISPLAY_MODES
from edge.display.probe import choose_display
from edge.inference.runtime import DELEGATES
from edge.pipeline.assembly import build_pipeline
from edge.pipeline.loop import Pipeline, RunStats
from edge.pipeline.preflight import check_config
from edge.pipeline.reload import reload_pipeline
from edge.system.notify import SystemdNotifier

log = logging.getLogger(__name__)


def _overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    return {
        "camera": {"source": args.source, "loop": True if args.loop else None},
        "model": {"path": args.model, "delegate": args.delegate, "threads": args.threads},
        "display": {
            "mode": args.display,
            "preview": True if args.preview else None,
            "debug": True if args.debug else None,
        },
        "log": {
            "path": args.log,
            # --log-every asks for frame lines; say --log-lines too to combine it with another choice.
            "lines": args.log_lines or ("frames" if args.log_every is not None else None),
            "every": args.log_every,
            "summary_interval": args.summary_interval,
        },
        "mqtt": {"url": args.mqtt},
        "state": {"dir": str(args.state_dir) if args.state_dir else None},
    }


class Interrupted(BaseException):
    """SIGTERM or SIGINT while starting or reloading: raised from the signal handler to end at once.

    A ``BaseException`` so that no ``except Exception`` on the way (a camera probe, a retry) holds it up.
    """


class _Signals:
    """SIGTERM/SIGINT end the run, SIGHUP asks for a reload.

    While a pipeline loops they stop it after the current pass. While the run is starting or
    reloading (loading a model, probing cameras, opening files) SIGTERM/SIGINT raise
    :class:`Interrupted` at once, so a stop never waits for start-up to finish; a SIGHUP then is
    kept for when the loop starts.
    """

    def __init__(self) -> None:
        self.current: Pipeline | None = None
        self.ending: list[str] = []
        self.reload_pending = False
        self.interruptible = True
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if signum == signal.SIGHUP:
            if self.current is not None:
                self.current.stop(name)
            else:
                self.reload_pending = True
            return
        self.ending.append(name)
        if self.current is not None:
            self.current.stop(name)
        if self.interruptible:
            raise Interrupted(name)

    def check(self) -> None:
        """Raise :class:`Interrupted` when SIGTERM or SIGINT came and something on the way swallowed it."""
        if self.ending:
            raise Interrupted(self.ending[0])

    def looping(self, pipeline: Pipeline | None) -> None:
        """``pipeline`` loops now (signals stop it), or ``None``: starting or reloading (signals interrupt)."""
        self.interruptible = pipeline is None
        self.current = pipeline
        if pipeline is not None and self.reload_pending:
            self.reload_pending = False
            pipeline.stop("SIGHUP")


def _log_stats(stats: RunStats) -> None:
    log.info(
        "stopped (%s): %d frames in %.1f s, %.1f fps%s",
        stats.reason,
        stats.frames,
        stats.seconds,
        stats.fps,
        f", {stats.camera_faults} camera-fault passes" if stats.camera_faults else "",
    )


class _Service:
    """The run: one open pipeline at a time, swapped on SIGHUP (see :mod:`edge.pipeline.reload`)."""

    def __init__(self, args: argparse.Namespace, signals: _Signals, notifier: SystemdNotifier) -> None:
        self.args = args
        self.overrides = _overrides(args)
        self.signals = signals
        self.notifier = notifier
        self.config = load_config(args.config, self.overrides)
        check_config(self.config)
        self.display = choose_display(self.config.display.mode)
        self.pipeline = build_pipeline(self.config, self.display, notifier)
        self.pipeline.open()

    def serve(self) -> None:
        """Loop, reloading on SIGHUP, until the run ends."""
        frames_left, seconds_left = self.args.max_frames, self.args.duration
        while True:
            self.signals.looping(self.pipeline)
            stats = self.pipeline.loop(max_frames=frames_left, duration=seconds_left)
            self.signals.looping(None)
            _log_stats(stats)
            if stats.reason != "SIGHUP" or self.signals.ending:
                return
            frames_left = None if frames_left is None else max(frames_left - stats.frames, 0)
            seconds_left = None if seconds_left is None else max(seconds_left - stats.seconds, 0.0)
            self.notifier.notify("RELOADING=1", "STATUS=reloading the configuration")
            self.reload()

    def reload(self) -> None:
        """Switch to the config file as it is now; on any failure the running pipeline goes on."""
        try:
            config = load_config(self.args.config, self.overrides)
        except EmojifyError as exc:
            log.error("configuration not reloaded, keeping the running one: %s", exc)
            self.pipeline.resume()
            return
        try:
            display = self.display if config.display.mode == self.config.display.mode else None
            display = display or choose_display(config.display.mode)
            self.pipeline = reload_pipeline(self.pipeline, self.config, config, display, self.notifier)
        except EmojifyError as exc:
            log.error("the reloaded configuration cannot start (%s); keeping the running one", exc)
        except Exception:
            log.exception("the reloaded configuration cannot start; keeping the running one")
        else:
            self.config, self.display = config, display
            log.info("configuration reloaded from %s", config.source_file)
            return
        self.pipeline.resume()

    def close(self) -> None:
        """Close the open pipeline; never raises."""
        self.pipeline.close()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the live loop; SIGHUP reloads the config, SIGTERM/SIGINT end it cleanly, also while starting."""
    signals = _Signals()
    notifier = SystemdNotifier()
    service: _Service | None = None
    try:
        service = _Service(args, signals, notifier)
        signals.check()
        service.serve()
    except Interrupted as exc:
        log.info("stopped (%s) %s", exc, "while reloading" if service else "while starting")
    except EmojifyError:
        if not signals.ending:
            raise
        # A library turned the interruption into its own error (an import that was cut short).
        log.info("stopped (%s) while starting", signals.ending[0])
    finally:
        signals.interruptible = False
        if service is not None:
            service.close()
        notifier.stopping()
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Check the config file as ``run`` would (same messages) and print the effective configuration, secrets hidden."""
    config = load_config(args.config)
    notes = check_config(config, load_models=True)
    for note in notes:
        print(f"emojify: warning: {note}", file=sys.stderr)
    print(f"# {config.source_file}: ok" + (f" ({len(notes)} warning(s) above)" if notes else ""))
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
    run.add_argument("--threads", type=positive_int, help="interpreter threads")
    run.add_argument("--log", help="JSON lines file (default: stdout when headless)")
    run.add_argument(
        "--log-lines",
        choices=LOG_LINES,
        help="changes: a line each time what is shown changes (default); frames: a line per frame "
        "(what emojify replay needs); summaries: summary lines only",
    )
    run.add_argument(
        "--log-every", type=positive_int, help="write one frame line per N frames (implies --log-lines frames)"
    )
    run.add_argument("--summary-interval", type=positive_float, help="seconds between summary lines (default 60)")
    run.add_argument("--mqtt", help="publish telemetry to mqtt://HOST:PORT or mqtts://HOST:PORT")
    run.add_argument(
        "--state-dir",
        help="where the active personalised model is recorded (default [state] dir, else /var/lib/emojify)",
    )
    run.add_argument("--max-frames", type=positive_int, help="stop after N frames")
    run.add_argument("--duration", type=positive_float, help="stop after S seconds")
    run.add_argument("--loop", action="store_true", help="repeat a video file or image folder")
    run.add_argument("--preview", action="store_true", help="small camera preview on the kiosk")
    run.add_argument("--debug", action="store_true", help="FPS/latency overlay on the kiosk")
    run.set_defaults(func=cmd_run)

    check = subparsers.add_parser("check-config", help="validate a config file")
    add_config(check)
    check.set_defaults(func=cmd_check_config)
