"""``emojify doctor`` (every part the product needs, each "ok" or what to do) and ``emojify service status``.

Checks never raise: a failure becomes a line with the fix.
"""

from __future__ import annotations

import argparse
import ctypes.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.config.loader import load_config
from edge.config.schema import Config
from edge.core.errors import EmojifyError
from edge.display.probe import display_available
from edge.display.theme import find_emoji_font
from edge.faces.registry import make_detector
from edge.inference.classifier import ExpressionClassifier
from edge.inference.runtime import EDGETPU_LIBRARY, edgetpu_model_path, get_runtime
from edge.model_format.labels_file import read_labels
from edge.paths import LABELS_FILE
from edge.paths import resolve as resolve_path
from edge.sources.auto import list_video_devices, probe_picamera2
from edge.system.service import format_service_status, service_status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Attributes:
        name: What was checked.
        ok: Whether it is usable.
        detail: What was found, or what to do.
        required: A failing required check makes ``doctor`` exit non-zero.
    """

    name: str
    ok: bool
    detail: str
    required: bool = True


def _guard(name: str, required: bool, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except EmojifyError as exc:
        return Check(name, False, str(exc), required)
    except Exception as exc:
        return Check(name, False, f"unexpected error: {exc!r}", required)


def run_checks(config_path: Path | None) -> list[Check]:
    """Run every check, in the order a person would fix things."""
    checks: list[Check] = []
    config = Config()
    try:
        config = load_config(config_path)
        checks.append(Check("config", True, config.source_file))
    except EmojifyError as exc:
        checks.append(Check("config", False, str(exc)))
    model = resolve_path(config.model.path)
    checks.append(_guard("runtime", True, _runtime))
    checks.append(_guard("model", True, lambda: _model(model)))
    checks.append(_guard("labels", True, lambda: _labels(model)))
    checks.append(_guard("edge tpu", False, lambda: _edgetpu(model, config.model.delegate)))
    checks.append(_guard("face detector", True, lambda: _detector(config.faces.detector)))
    checks.append(_guard("camera", False, _camera))
    checks.append(_guard("display", False, _display))
    checks.append(_guard("emoji font", False, lambda: _font(config.display.font or None)))
    checks.append(_guard("service", False, _service))
    return checks


def _runtime() -> Check:

    rt = get_runtime()
    return Check("runtime", True, f"{rt.package} {rt.version}")


def _model(model: Path) -> Check:

    clf = ExpressionClassifier(model, num_threads=1, delegate="cpu")
    size = model.stat().st_size / 1e6
    extra = ", with features output (personalise works)" if clf.has_features else ""
    return Check("model", True, f"{model} ({size:.2f} MB, {clf.info.input_dtype} input{extra})")


def _labels(model: Path) -> Check:

    path = model.parent / "labels.txt"
    if not path.exists():
        path = LABELS_FILE
    labels = read_labels(path)
    return Check("labels", True, f"{path}: {', '.join(labels)}")


def _edgetpu(model: Path, delegate: str) -> Check:

    required = delegate == "edgetpu"
    compiled = edgetpu_model_path(model)
    library = ctypes.util.find_library("edgetpu")
    if library is None:
        return Check(
            "edge tpu",
            delegate == "cpu",
            f"{EDGETPU_LIBRARY} not installed; CPU is used (sudo ./setup.sh --coral to add a Coral)",
            required,
        )
    if not compiled.exists():
        return Check(
            "edge tpu", False, f"runtime found but no {compiled.name}; compile it (models/README.md)", required
        )

    clf = ExpressionClassifier(model, num_threads=1, delegate="edgetpu")
    return Check("edge tpu", True, f"{clf.info.path.name} on the Edge TPU", required)


def _detector(name: str) -> Check:

    detector = make_detector(name)
    ok = detector.name == name
    detail = detector.name if ok else f"{name} failed to load; using {detector.name} (see the warning above)"
    return Check("face detector", True, detail)


def _camera() -> Check:

    reason = probe_picamera2()
    if reason is None:
        return Check("camera", True, "Pi camera found (picamera2)", False)
    devices = list_video_devices()
    if devices:
        return Check("camera", True, f"{reason}; V4L2 camera(s): {', '.join(devices)}", False)
    return Check(
        "camera",
        False,
        f"no camera: {reason}, no /dev/video* camera; check the ribbon cable or USB, run 'rpicam-hello --list-cameras' "
        "(the demo source runs without one)",
        False,
    )


def _display() -> Check:

    results = {mode: display_available(mode) for mode in ("kiosk", "window")}
    usable = [mode for mode, (ok, _) in results.items() if ok]
    if usable:
        return Check("display", True, f"{' and '.join(usable)} available", False)
    reasons = "; ".join(f"{mode}: {reason}" for mode, (_, reason) in results.items())
    return Check("display", False, f"no display ({reasons}); headless logging still works", False)


def _font(override: str | None) -> Check:

    path = find_emoji_font(override)
    if path is None:
        return Check(
            "emoji font",
            False,
            "Noto Color Emoji not found: sudo apt install fonts-noto-color-emoji (drawn faces are used meanwhile)",
            False,
        )
    return Check("emoji font", True, str(path), False)


def _service() -> Check:

    units = service_status()
    installed = [u for u in units if u.installed]
    if not installed:
        return Check("service", True, "no unit installed (sudo ./setup.sh --service kiosk|headless)", False)
    return Check("service", True, "; ".join(f"{u.unit}: {u.enabled}, {u.active}" for u in installed), False)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check camera, runtime, delegate, display, font, model and labels."""
    checks = run_checks(args.config)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "ok  " if check.ok else "FAIL" if check.required else "warn"
        print(f"{mark}  {check.name:<{width}}  {check.detail}")
    return 0 if all(c.ok or not c.required for c in checks) else 1


def cmd_service(args: argparse.Namespace) -> int:
    """Show which systemd unit is installed and enabled."""
    print(format_service_status(service_status()))
    return 0


def register(subparsers: Any, add_config: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``doctor`` and ``service``."""
    doctor = subparsers.add_parser("doctor", help="check camera, runtime, Edge TPU, display, font and model")
    add_config(doctor)
    doctor.set_defaults(func=cmd_doctor)

    service = subparsers.add_parser("service", help="systemd service information")
    service.add_argument("action", choices=("status",))
    service.set_defaults(func=cmd_service)
