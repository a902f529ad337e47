"""The ``personalize`` and ``model`` sub-commands of ``emojify`` (and the registration of ``capture``).

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

from edge.cli import capture
from edge.cli.numbers import finite_float, non_negative_int, positive_float, positive_int
from edge.cli.state import add_state_options, config_and_state, hint, run_as_owner, switch_needed
from edge.core.errors import ConfigError
from edge.paths import DEFAULT_MODEL
from edge.personalize.fit import GENERAL_BUDGET
from edge.personalize.registry import (
    KEEP_MODELS,
    SHIPPED,
    list_models,
    new_model_path,
    prune_models,
    rollback,
    use_model,
)
from edge.personalize.report import PersonalizeReport
from edge.personalize.runner import REFERENCE_LIMIT, PersonalizeOptions, personalize
from edge.personalize.store import CaptureStore, check_person
from edge.system.service_control import reload_units, running_units

log = logging.getLogger(__name__)

#: Largest drop (percentage points) on ``--check`` data that still activates a new model.
DEFAULT_MAX_DROP = 1.5


# -- personalize --------------------------------------------------------------------------------


def cmd_personalize(args: argparse.Namespace) -> int:
    """Fit the final layer to the captures, write a new model and activate it when it has earned it."""
    _, state_dir = config_and_state(args)
    activate = args.activate if args.activate is not None else args.out is None
    if args.out is None or activate:
        again = switch_needed(args, state_dir)
        if again:
            rc = run_as_owner(again)
            if rc == 0 and activate:
                _reload_service(args)
            return rc
    if args.data:
        data = Path(args.data).expanduser()
    else:
        store = CaptureStore(state_dir)
        data = store.person_dir(check_person(args.person)) if args.person else store.root
    if not data.exists():
        raise ConfigError(f"{data}: no captures found; run '{hint(args, 'capture')}' first or give --data DIR")
    out = Path(args.out).expanduser() if args.out else new_model_path(state_dir)
    report = personalize(_options(args, data, out))
    print(report.summary())
    if args.json:
        path = Path(args.json).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"report: {path}")
    try:
        return _activate(args, state_dir, report, out, activate)
    finally:
        if args.out is None:
            prune_models(state_dir, args.keep)


def _options(args: argparse.Namespace, data: Path, out: Path) -> PersonalizeOptions:
    return PersonalizeOptions(
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
        budget=args.budget,
    )


def _activate(args: argparse.Namespace, state_dir: Path, report: PersonalizeReport, out: Path, activate: bool) -> int:
    """The activation gate: only a model that reads the person's captures better (cross-validated) goes live."""
    advice = report.advice()
    if not activate:
        print(f"Not activated. To use it: {hint(args, 'model', 'use', str(out))}")
        return 0
    problems = report.refusals(args.max_drop)
    if problems:
        print(f"Not activated: {'; '.join(problems)}.")
        if advice:
            print(f"To do better: {advice}.")
        print(f"The model stays in {out.parent}; to use it anyway: {hint(args, 'model', 'use', str(out))}")
        return 1
    use_model(state_dir, out, validate=False)
    print(f"Active model: {out}")
    if advice:
        print(f"To do better: {advice}.")
    print(f"Undo: {hint(args, 'model', 'rollback')}")
    _reload_service(args)
    return 0


def _reload_service(args: argparse.Namespace) -> None:
    """A running kiosk or logger rebuilds its pipeline (``systemctl reload``) and so picks up the active model.

    A command running as the state folder's owner leaves this to the login user's command that started it.
    """
    if args.as_owner:
        return
    units = running_units()
    if not units:
        print("The kiosk uses it from its next start.")
        return
    failed = reload_units(units)
    for line in failed:
        print(line, file=sys.stderr)
    if not failed:
        print(f"Reloaded {', '.join(units)}: it uses the active model now.")


# -- model --------------------------------------------------------------------------------------


def _describe(info: dict[str, Any]) -> str:
    parts = []
    if "created" in info:
        parts.append(str(info["created"]))
    before, after = info.get("cv_before"), info.get("cv_after")
    if isinstance(before, int | float) and isinstance(after, int | float):
        parts.append(f"own faces {before * 100:.0f}% -> {after * 100:.0f}% (cross-validated)")
    cb, ca = info.get("check_before"), info.get("check_after")
    if isinstance(cb, int | float) and isinstance(ca, int | float):
        parts.append(f"general {cb * 100:.1f}% -> {ca * 100:.1f}%")
    return ", ".join(parts)


def cmd_model(args: argparse.Namespace) -> int:
    """``model list``, ``model use PATH|shipped`` and ``model rollback``."""
    _, state_dir = config_and_state(args)
    again = switch_needed(args, state_dir)
    if again:
        rc = run_as_owner(again)
        if rc == 0 and args.action != "list":
            _reload_service(args)
        return rc
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
    else:
        state = rollback(state_dir)
    print(f"Active model: {state.active or f'{shipped} (shipped)'}")
    _reload_service(args)
    return 0


# -- registration -------------------------------------------------------------------------------


def register_commands(subparsers: Any) -> None:
    """Add ``capture``, ``personalize`` and ``model`` to the ``emojify`` sub-command parsers.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    capture.register(subparsers)
    _register_personalize(subparsers)
    _register_model(subparsers)


def _register_personalize(subparsers: Any) -> None:
    pers = subparsers.add_parser(
        "personalize",
        help="adapt the model to captured faces (seconds, on the Pi) and activate it when it reads them better",
        description="Refit the model's last layer to your captures with NumPy and write a new int8 model.",
    )
    add_state_options(pers)
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
        help="make it the active model when it passes the checks (default: yes without --out, no with --out)",
    )
    pers.add_argument(
        "--max-drop",
        type=finite_float,
        default=DEFAULT_MAX_DROP,
        help="do not activate when --check accuracy drops by more points than this",
    )
    pers.add_argument(
        "--budget",
        type=positive_float,
        default=GENERAL_BUDGET,
        help="general-face safeguard: largest mean squared logit change on general faces (smaller: safer, moves less)",
    )
    pers.add_argument(
        "--keep", type=non_negative_int, default=KEEP_MODELS, help="unused personalised models kept in <state>/models"
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
    add_state_options(model)
    model.add_argument("action", choices=("list", "use", "rollback"))
    model.add_argument("path", nargs="?", help="with use: a .tflite file, or 'shipped'")
    model.set_defaults(func=cmd_model)
