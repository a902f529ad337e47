"""Everything ``emojify run`` would refuse about a configuration, checked in one place.

``emojify check-config``, the start of ``emojify run`` and every reload (SIGHUP) call
:func:`check_config`, so a configuration that passes ``check-config`` never stops the service
and each problem has one message wherever it is found. It looks at files without opening
cameras or connecting to a broker, and never raises anything but
:class:`~edge.core.errors.EmojifyError`, whatever a path holds: a name too long for the file
system, a folder this user may not enter, a named pipe, a NUL byte.

Hardware that may or may not be there when the service starts (the camera, the screen, the
Coral) is not a configuration problem: ``emojify doctor`` looks at it.
"""

from __future__ import annotations

import logging
import os

from edge import paths
from edge.config.schema import Config
from edge.core.errors import ConfigError, EmojifyError
from edge.core.text import one_line, quote, shorten
from edge.inference.classifier import ExpressionClassifier
from edge.inference.runtime import check_model_file
from edge.pipeline.assembly import build_detector, personal_model, resolve_log_path
from edge.sources.registry import spec_form
from edge.system.files import inspect_path
from edge.telemetry.mqtt_client import check_mqtt

log = logging.getLogger(__name__)


def check_log_path(value: str) -> str | None:
    """Refuse a ``log.path`` that can never be written; a note when it cannot be written now.

    A folder that does not exist yet is fine (it is created). A folder this user cannot write is
    only a note: the log writer warns and retries, as when a disk is full.

    Raises:
        ConfigError: The path is a folder, a named pipe or a socket, lies inside a file, or cannot
            be looked at (a name too long, a folder this user may not enter).
    """
    path = resolve_log_path(value)
    if path is None:
        return None
    name = quote(value)
    info = inspect_path(path)
    if info.kind in ("file", "device"):
        return None if os.access(path, os.W_OK) else f"log.path {name}: not writable by this user now"
    if info.kind != "missing":
        what = f"cannot be used ({info.reason})" if info.kind == "unreachable" else f"is {info.describe()}"
        raise ConfigError(f"log.path {name} {what}; give a file name, or '-' for standard output")
    for parent in path.parents:
        above = inspect_path(parent)
        if above.kind == "missing":
            continue
        if above.kind != "folder":
            raise ConfigError(f"log.path {name}: {shorten(str(parent))} is {above.describe()}, not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"log.path {name}: {shorten(str(parent))} is not writable by this user now"
        return None
    return None


def _check_models(config: Config, load: bool) -> list[str]:
    """The config's model (loaded when ``load``, as the run does); a broken personalised one is a note."""
    model = paths.resolve(config.model.path)
    check_model_file(model)
    notes = []
    if load:
        ExpressionClassifier(model, 1, config.model.delegate)
        build_detector(config)
        personal = personal_model(config)
        if personal is not None:
            try:
                ExpressionClassifier(personal, 1, config.model.delegate)
            except (EmojifyError, ValueError, RuntimeError) as exc:
                notes.append(
                    f"the personalised model {shorten(str(personal))} cannot be used ({one_line(str(exc))}); "
                    "the shipped model runs instead"
                )
    return notes


def _font_note(font: str) -> str | None:
    if not font:
        return None
    info = inspect_path(os.path.expanduser(font))
    return None if info.usable_file else f"[display] font {quote(font)} is {info.describe()}; the usual fonts are used"


def check_config(config: Config, *, load_models: bool = False) -> list[str]:
    """Raise what would stop ``emojify run`` with this configuration; return what it would only warn about.

    Args:
        config: A configuration that passed the schema (:func:`edge.config.loader.load_config`).
        load_models: Also load the expression model and the face detector as the run does
            (``check-config``); start-up and reload load them while building anyway.

    Returns:
        Notes: things the run works around (a log folder not writable now, a missing font, a
        broken personalised model).

    Raises:
        EmojifyError: A camera source, log path, model, face detector or ``[mqtt]`` setting that
            the run would refuse, with the same message.
    """
    spec_form(config.camera.source)
    notes = [note for note in (check_log_path(config.log.path), _font_note(config.display.font)) if note]
    notes += _check_models(config, load_models)
    if config.mqtt.url:
        check_mqtt(config.mqtt)
    return notes
