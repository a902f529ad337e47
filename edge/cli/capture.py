"""``emojify capture``: a guided capture session (or ``--delete``), with the service out of the way.

In order, before anything is shown: the state folder is checked (and the command runs again as
its owner when it belongs to the service user, :mod:`edge.cli.state`), the kiosk or headless
service is stopped when it runs (it holds the camera and the screen), then the consent screen
opens. The service is started again when the session ends, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from edge.cli.numbers import non_negative_float, non_negative_int, positive_int
from edge.cli.state import add_state_options, config_and_state, hint, run_as_owner, switch_needed
from edge.config.schema import Config
from edge.core.errors import ConfigError
from edge.display.modes import DISPLAY_MODES
from edge.display.probe import choose_display
from edge.personalize.capture import (
    DEFAULT_COUNTDOWN,
    DEFAULT_INTERVAL,
    DEFAULT_PER_EMOTION,
    DEFAULT_PERSON,
    CaptureCancelled,
    CaptureResult,
    CaptureSettings,
    ConsoleCaptureUI,
    parse_emotions,
    run_capture,
)
from edge.personalize.capture_ui import KioskCaptureUI
from edge.personalize.store import CaptureStore, check_person
from edge.pipeline.assembly import build_detector
from edge.sources.registry import make_source
from edge.system.owner import OwnerError, ensure_writable
from edge.system.service_control import ServiceControlError, running_units, start_units, stop_units

log = logging.getLogger(__name__)


def _confirm(question: str) -> bool:
    sys.stdout.write(f"{question} [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_capture(args: argparse.Namespace) -> int:
    """Run a guided capture session, or delete captures with ``--delete``."""
    config, state_dir = config_and_state(args)
    person = check_person(args.person) if args.person else None
    again = switch_needed(args, state_dir)
    if args.delete:
        return run_as_owner(again) if again else _delete(args, CaptureStore(state_dir), person)
    settings = CaptureSettings(
        person=person or DEFAULT_PERSON,
        per_emotion=args.per_emotion,
        interval=args.interval,
        emotions=parse_emotions(args.emotions),
        countdown=args.countdown,
    )
    stopped = [] if args.as_owner else _stop_service()
    try:
        if again:
            return run_as_owner(again)
        return _session(args, config, CaptureStore(state_dir), settings)
    finally:
        for line in start_units(stopped):
            print(line, file=sys.stderr)
        if stopped:
            print(f"Started {', '.join(stopped)} again.")


def _stop_service() -> list[str]:
    """Stop the running Emojify units (they hold the camera and the screen); returns those stopped."""
    units = running_units()
    if not units:
        return []
    print(f"Stopping {', '.join(units)} for the capture (it is started again afterwards).", flush=True)
    try:
        stop_units(units)
    except ServiceControlError as exc:
        raise ConfigError(f"the camera is in use by the service: {exc}") from None
    return units


def _delete(args: argparse.Namespace, store: CaptureStore, person: str | None) -> int:
    files = store.files(person)
    who = f"of {person}" if person else "of everyone"
    if not files:
        print(f"No captured faces {who} in {store.root}.")
        return 0
    if not args.yes and not _confirm(f"Delete {len(files)} face image(s) {who} from {store.root}?"):
        print("Nothing deleted.")
        return 1
    count = store.delete(person)
    print(f"Deleted {count} face image(s) {who}.")
    print(f"Personalised models made from them stay until you delete them ({hint(args, 'model', 'list')}).")
    return 0


def _session(args: argparse.Namespace, config: Config, store: CaptureStore, settings: CaptureSettings) -> int:
    try:  # before the consent screen: never ask for a face that cannot be stored
        ensure_writable(store.person_dir(settings.person))
    except OwnerError as exc:
        raise ConfigError(str(exc)) from None
    display = choose_display(args.display)
    ui: Any
    if display == "none":
        ui = ConsoleCaptureUI(assume_yes=args.yes)
    else:
        size = (config.display.width, config.display.height) if config.display.width and config.display.height else None
        ui = KioskCaptureUI(display, size=size, font_path=config.display.font or None)
    detector = build_detector(config)
    source = make_source(
        args.source or config.camera.source,
        preview=display != "none",
        loop=config.camera.loop,
        width=config.camera.width,
        height=config.camera.height,
    )
    source.open()
    try:
        ui.open()
        try:
            if args.yes and display != "none":
                log.info("--yes does not skip the consent screen: the person in front of the camera decides")
            result = run_capture(source, detector, ui, store, settings)
        finally:
            ui.close()
    except CaptureCancelled as exc:
        print(str(exc))
        return 1
    finally:
        source.close()
    return _print_result(args, store, settings, result)


def _print_result(
    args: argparse.Namespace, store: CaptureStore, settings: CaptureSettings, result: CaptureResult
) -> int:
    print(f"Photos per expression ({store.person_dir(settings.person)}):")
    for emotion, files in result.saved.items():
        print(f"  {emotion:<9} {len(files)}")
    if result.skipped:
        print(f"Skipped (no face found): {', '.join(result.skipped)}")
    if result.cancelled:
        print(f"Stopped early; what was taken is kept ({hint(args, 'capture', '--delete')} removes it).")
        return 1
    if result.ended:
        print("The source ended before every photo was taken.")
    print(f"Next: {hint(args, 'personalize', '--person', settings.person)}")
    return 0 if result.total else 1


def register(subparsers: Any) -> None:
    """Add ``capture``."""
    capture = subparsers.add_parser(
        "capture",
        help="teach it your face: take labelled photos of your expressions (or --delete them)",
        description="Guided capture of your face for each expression, stored on this device only. "
        "A running kiosk or headless service is stopped for the session and started again afterwards.",
    )
    add_state_options(capture)
    capture.add_argument(
        "--person", help=f"whose face (folder name; default {DEFAULT_PERSON}; with --delete: only them)"
    )
    capture.add_argument("--per-emotion", type=positive_int, default=DEFAULT_PER_EMOTION, help="photos per expression")
    capture.add_argument("--interval", type=non_negative_float, default=DEFAULT_INTERVAL, help="seconds between photos")
    capture.add_argument("--emotions", help="comma-separated expressions (default: all seven)")
    capture.add_argument(
        "--countdown", type=non_negative_int, default=DEFAULT_COUNTDOWN, help="seconds before each expression"
    )
    capture.add_argument("--source", help="camera or replay source (auto, picamera2, opencv:N, demo, a video...)")
    capture.add_argument("--display", choices=DISPLAY_MODES, default="auto", help="none = prompts on the console")
    capture.add_argument("--yes", action="store_true", help="accept the consent text (console) / skip confirmation")
    capture.add_argument("--delete", action="store_true", help="delete stored captures (all, or --person's)")
    capture.set_defaults(func=cmd_capture)
