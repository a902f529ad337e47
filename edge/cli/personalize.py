"""The ``capture``, ``personalize`` and ``model`` sub-commands of ``emojify``.

:func:`register_commands` adds them to the main parser; each sets ``func``, which returns the
exit status. User errors raise :class:`edge.core.errors.EmojifyError` (printed as one line by
:func:`edge.cli.main.main`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from edge.cli.numbers import finite_float, non_negative_float, non_negative_int, positive_int
from edge.config.loader import load_config
from edge.core.errors import ConfigError
from edge.display.modes import DISPLAY_MODES
from edge.display.probe import choose_display
from edge.paths import DEFAULT_MODEL, default_state_dir
from edge.personalize.capture import (
    DEFAULT_COUNTDOWN,
    DEFAULT_INTERVAL,
    DEFAULT_PER_EMOTION,
    DEFAULT_PERSON,
    CaptureCancelled,
    CaptureSettings,
    ConsoleCaptureUI,
    parse_emotions,
    run_capture,
)
from edge.personalize.capture_ui import KioskCaptureUI
from edge.personalize.registry import SHIPPED, list_models, new_model_path, rollback, use_model
from edge.personalize.runner import REFERENCE_LIMIT, PersonalizeOptions, personalize
from edge.personalize.store import CaptureStore, check_person
from edge.pipeline.assembly import build_detector
from edge.sources.registry import make_source

log = logging.getLogger(__name__)

#: Largest drop (percentage points) on ``--check`` data that still activates a new model.
DEFAULT_MAX_DROP = 3.0


def _add_state_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"where captures, personalised models and the active-model setting live (default {default_state_dir()})",
    )


def _state_dir(args: argparse.Namespace) -> Path:
    return Path(args.state_dir).expanduser() if args.state_dir else default_state_dir()


def _confirm(question: str) -> bool:
    sys.stdout.write(f"{question} [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


# -- capture ------------------------------------------------------------------------------------


def cmd_capture(args: argparse.Namespace) -> int:
    """Run a guided capture session, or delete captures with ``--delete``."""
    state_dir = _state_dir(args)
    store = CaptureStore(state_dir)
    if args.delete:
        person = check_person(args.person) if args.person else None
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
        print("Personalised models made from them stay until you delete them (emojify model list).")
        return 0
    return _run_capture_session(args, store)


def _run_capture_session(args: argparse.Namespace, store: Any) -> int:

    config = load_config(args.config)
    settings = CaptureSettings(
        person=args.person or DEFAULT_PERSON,
        per_emotion=args.per_emotion,
        interval=args.interval,
        emotions=parse_emotions(args.emotions),
        countdown=args.countdown,
    )
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
    print(f"Photos per expression ({store.person_dir(settings.person)}):")
    for emotion, files in result.saved.items():
        print(f"  {emotion:<9} {len(files)}")
    if result.skipped:
        print(f"Skipped (no face found): {', '.join(result.skipped)}")
    if result.cancelled:
        print("Stopped early; what was taken is kept (emojify capture --delete removes it).")
        return 1
    if result.ended:
        print("The source ended before every photo was taken.")
    print(f"Next: emojify personalize --data {store.root}")
    return 0 if result.total else 1


# -- personalize --------------------------------------------------------------------------------


def cmd_personalize(args: argparse.Namespace) -> int:
    """Fit the final layer to the captures, write a new model and (by default) activate it."""
    state_dir = _state_dir(args)
    if args.data:
        data = Path(args.data).expanduser()
    else:
        store = CaptureStore(state_dir)
        data = store.person_dir(check_person(args.person)) if args.person else store.root
    if not data.exists():
        raise ConfigError(f"{data}: no captures found; run 'emojify capture' first or give --data DIR")
    out = Path(args.out).expanduser() if args.out else new_model_path(state_dir)
    activate = args.activate if args.activate is not None else args.out is None
    options = PersonalizeOptions(
        Path(args.model).expanduser(),
        data,
        out,
        detect_faces=args.detect_faces,
        check=Path(args.check).expanduser() if args.check else None,
        check_usage=args.check_usage,
        check_limit=args.check_limit,
        reference=Path(args.reference).expanduser() if args.reference else None,
        reference_usage=args.reference_usage,
        reference_limit=args.reference_limit,
        threads=args.threads,
    )
    report = personalize(options)
    print(report.summary())
    if args.json:
        path = Path(args.json).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"report: {path}")
    if not activate:
        print(f"Not activated. To use it: emojify model use {out}")
        return 0
    problems = []
    if report.heldout_after < report.heldout_before:
        problems.append("it is worse than the current model on your held-out captures")
    if (
        report.check_before is not None
        and report.check_after is not None
        and (report.check_before - report.check_after) * 100 > args.max_drop
    ):
        problems.append(f"it loses more than {args.max_drop:g} points on {report.check}")
    if problems:
        print(f"Not activated: {'; '.join(problems)}. To use it anyway: emojify model use {out}")
        return 1
    use_model(state_dir, out, validate=False)
    print(f"Active model: {out}  (undo: emojify model rollback; restart the kiosk to use it)")
    return 0


# -- model --------------------------------------------------------------------------------------


def _describe(info: dict[str, Any]) -> str:
    parts = []
    if "created" in info:
        parts.append(str(info["created"]))
    before, after = info.get("heldout_before"), info.get("heldout_after")
    if isinstance(before, int | float) and isinstance(after, int | float):
        parts.append(f"own faces {before * 100:.0f}% -> {after * 100:.0f}%")
    cb, ca = info.get("check_before"), info.get("check_after")
    if isinstance(cb, int | float) and isinstance(ca, int | float):
        parts.append(f"general {cb * 100:.1f}% -> {ca * 100:.1f}%")
    return ", ".join(parts)


def cmd_model(args: argparse.Namespace) -> int:
    """``model list``, ``model use PATH|shipped`` and ``model rollback``."""
    state_dir = _state_dir(args)
    shipped = DEFAULT_MODEL
    if args.action == "list":
        for entry in list_models(state_dir, shipped):
            mark = "*" if entry.active else " "
            tags = [t for t, on in (("active", entry.active), ("shipped", entry.shipped)) if on]
            if not entry.exists:
                tags.append("MISSING")
            note = _describe(entry.info)
            line = f"{mark} {entry.path}"
            if tags:
                line += f"  [{', '.join(tags)}]"
            if note:
                line += f"  {note}"
            print(line)
        return 0
    if args.action == "use":
        if not args.path:
            raise ConfigError("model use needs a model file, or 'shipped'")
        target = None if args.path == SHIPPED else Path(args.path).expanduser()
        if target is not None and target.resolve() == shipped.resolve():
            target = None
        state = use_model(state_dir, target)
        print(f"Active model: {state.active or f'{shipped} (shipped)'}  (restart the kiosk to use it)")
        return 0
    state = rollback(state_dir)
    print(f"Active model: {state.active or f'{shipped} (shipped)'}  (restart the kiosk to use it)")
    return 0


# -- registration -------------------------------------------------------------------------------


def register_commands(subparsers: Any) -> None:
    """Add ``capture``, ``personalize`` and ``model`` to the ``emojify`` sub-command parsers.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    _register_capture(subparsers)
    _register_personalize(subparsers)
    _register_model(subparsers)


def _register_capture(subparsers: Any) -> None:
    capture = subparsers.add_parser(
        "capture",
        help="teach it your face: take labelled photos of your expressions (or --delete them)",
        description="Guided capture of your face for each expression, stored on this device only.",
    )
    capture.add_argument("--config", type=Path, help="TOML config file (camera, face detector, display)")
    _add_state_dir(capture)
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


def _register_personalize(subparsers: Any) -> None:
    pers = subparsers.add_parser(
        "personalize",
        help="adapt the model to captured faces (seconds, on the Pi) and activate it",
        description="Refit the model's last layer to your captures with NumPy and write a new int8 model.",
    )
    _add_state_dir(pers)
    pers.add_argument("--data", help="captures (default <state>/dataset), or photos with --detect-faces")
    pers.add_argument("--person", help="use only this person's captures from <state>/dataset")
    pers.add_argument("--out", help="write the model here instead of <state>/models (then it is not activated)")
    pers.add_argument("--model", default=str(DEFAULT_MODEL), help="int8 model to start from (default: the shipped one)")
    pers.add_argument("--check", help="general data set to check before/after (e.g. the FER2013 CSV)")
    pers.add_argument("--check-usage", help="rows/split of --check (default PublicTest for a CSV)")
    pers.add_argument("--check-limit", type=positive_int, help="check on the first N images only")
    pers.add_argument("--detect-faces", action="store_true", help="--data holds uncropped photos: detect faces")
    pers.add_argument(
        "--reference",
        help="general faces (e.g. the FER2013 CSV) for the statistics that keep general accuracy, "
        "when the model does not carry them",
    )
    pers.add_argument("--reference-usage", help="rows/split of --reference (default Training for a CSV)")
    pers.add_argument(
        "--reference-limit", type=positive_int, default=REFERENCE_LIMIT, help="faces of --reference to use"
    )
    pers.add_argument(
        "--activate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="make it the active model (default: yes without --out, no with --out)",
    )
    pers.add_argument(
        "--max-drop",
        type=finite_float,
        default=DEFAULT_MAX_DROP,
        help="do not activate when --check accuracy drops by more points than this",
    )
    pers.add_argument("--json", help="write the report here")
    pers.add_argument("--threads", type=positive_int, default=1, help="interpreter threads")
    pers.set_defaults(func=cmd_personalize)


def _register_model(subparsers: Any) -> None:
    model = subparsers.add_parser(
        "model",
        help="list, choose or roll back the expression model",
        description="The active model is kept in <state>/active_model.json and used after a restart.",
    )
    _add_state_dir(model)
    model.add_argument("action", choices=("list", "use", "rollback"))
    model.add_argument("path", nargs="?", help="with use: a .tflite file, or 'shipped'")
    model.set_defaults(func=cmd_model)
