"""Which expression model is active: the shipped one or a personalised one, kept across reboots.

State lives in ``<state>/active_model.json``::

    {"version": 1, "active": "/var/lib/emojify/models/emotion_personal_20250101-120000.tflite",
     "history": [null, "/var/lib/emojify/models/emotion_personal_20241224-090000.tflite"],
     "updated": "2025-01-01T12:00:00+00:00"}

``active`` is ``null`` for the shipped model; ``history`` lists the earlier active models, oldest
first (``null`` = the shipped one). Every change is written to a temporary file in the same
folder, flushed to disk (fsync) and renamed over the old file (``os.replace``), so after a crash
or power cut the file is either the old or the new version, never half of each.

The app asks :func:`active_model_path` once at start when its configured model is the default:
a missing state file means the shipped model; a broken state file or a missing model file also
means the shipped model, with one WARNING, so a bad personalisation can never stop the kiosk.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.core.errors import EmojifyError, ModelError
from edge.inference.classifier import ExpressionClassifier
from edge.model_format.metadata import PERSONALIZATION_KEY, read_metadata
from edge.system.files import NotAFileError, atomic_write, inspect_path, read_limited

log = logging.getLogger(__name__)

STATE_FILE = "active_model.json"
MODELS_DIR = "models"
#: Prefix of the models ``emojify personalize`` writes into ``<state>/models``.
PERSONAL_PREFIX = "emotion_personal_"
#: Word accepted by ``emojify model use`` for the shipped model.
SHIPPED = "shipped"
#: History entries kept (older ones are forgotten, the files stay).
MAX_HISTORY = 20
_VERSION = 1
#: The largest state file read (a real one is well under 4 kB; this refuses /dev/zero).
MAX_STATE_BYTES = 1 << 16


class RegistryError(EmojifyError):
    """The active-model state cannot be changed; the message says why and what to do."""


@dataclass(frozen=True)
class ActiveState:
    """The parsed state file.

    Attributes:
        active: The active personalised model, or ``None`` for the shipped model.
        history: Earlier active models, oldest first (``None`` = shipped).
    """

    active: Path | None = None
    history: tuple[Path | None, ...] = ()


def state_file(state_dir: Path) -> Path:
    """``<state>/active_model.json``."""
    return Path(state_dir) / STATE_FILE


def models_dir(state_dir: Path) -> Path:
    """``<state>/models``, where personalised models are written."""
    return Path(state_dir) / MODELS_DIR


def new_model_path(state_dir: Path, now: datetime | None = None) -> Path:
    """A fresh ``<state>/models/emotion_personal_<timestamp>.tflite`` that does not exist yet."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = models_dir(state_dir)
    path = folder / f"{PERSONAL_PREFIX}{stamp}.tflite"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{PERSONAL_PREFIX}{stamp}-{n}.tflite"
    return path


def _parse_entry(value: Any, where: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: model entries must be paths or null, got {value!r}")
    return Path(value)


def read_state(state_dir: Path) -> ActiveState:
    """Read ``<state>/active_model.json``; a missing file is the shipped model with no history.

    Raises:
        ValueError: The file exists but is not a valid state file (truncated, hand-edited...).
        OSError: The file exists but cannot be read.
    """
    path = state_file(state_dir)
    try:
        text = read_limited(path, MAX_STATE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return ActiveState()
    except NotAFileError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "active" not in data:
        raise ValueError(f"{path}: not an active-model file (no 'active' entry)")
    history = data.get("history", [])
    if not isinstance(history, list):
        raise ValueError(f"{path}: 'history' must be a list")
    return ActiveState(_parse_entry(data["active"], path), tuple(_parse_entry(v, path) for v in history))


def write_state(state_dir: Path, state: ActiveState) -> None:
    """Write the state file atomically (see :func:`edge.system.files.atomic_write`)."""
    data = {
        "version": _VERSION,
        "active": str(state.active) if state.active is not None else None,
        "history": [str(p) if p is not None else None for p in state.history[-MAX_HISTORY:]],
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write(state_file(state_dir), (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def active_model_path(state_dir: Path) -> Path | None:
    """The personalised model the app should use, or ``None`` for the shipped model.

    Never raises: a broken or unreadable state file, or an active model file that is gone, logs
    one WARNING and returns ``None`` so the app starts with the shipped model.

    Args:
        state_dir: The state folder (:func:`edge.paths.default_state_dir` in the app).
    """
    try:
        state = read_state(state_dir)
    except (ValueError, OSError) as exc:
        log.warning("ignoring the active-model setting, using the shipped model: %s", exc)
        return None
    if state.active is None:
        return None
    if not inspect_path(state.active).usable_file:
        log.warning(
            "the active personalised model %s is missing; using the shipped model (emojify model rollback)",
            state.active,
        )
        return None
    return state.active


def _check_model(path: Path) -> None:
    """Refuse a file the app could not load, before it becomes the active model."""
    if not inspect_path(path).usable_file:
        raise RegistryError(f"{path}: no such model file; see 'emojify model list'")
    try:
        ExpressionClassifier(path, num_threads=1, delegate="cpu")
    except EmojifyError as exc:
        raise RegistryError(f"{path}: not a usable expression model ({exc}); it was not activated") from None
    except (RuntimeError, ValueError) as exc:
        raise RegistryError(f"{path}: the runtime cannot load this model ({exc}); it was not activated") from None


def _read_for_change(state_dir: Path) -> ActiveState:
    try:
        return read_state(state_dir)
    except ValueError as exc:
        log.warning("%s; starting a new one (history lost)", exc)
        return ActiveState()
    except OSError as exc:
        raise RegistryError(f"cannot read {state_file(state_dir)} ({exc})") from None


def _write_for_change(state_dir: Path, state: ActiveState) -> None:
    try:
        write_state(state_dir, state)
    except OSError as exc:
        raise RegistryError(
            f"cannot write {state_file(state_dir)} ({exc}); run as the kiosk user or give --state-dir"
        ) from None


def use_model(state_dir: Path, model: Path | None, validate: bool = True) -> ActiveState:
    """Make ``model`` the active model (``None``: the shipped one); the previous one goes to history.

    Args:
        state_dir: The state folder.
        model: A ``.tflite`` file, or ``None`` for the shipped model.
        validate: Load the model once first and refuse it when the app could not use it.

    Returns:
        The new state.

    Raises:
        RegistryError: The model is not usable or the state cannot be written.
    """
    target = Path(model).expanduser().resolve() if model is not None else None
    if target is not None and validate:
        _check_model(target)
    state = _read_for_change(state_dir)
    if state.active == target:
        log.info("%s is already the active model", target or SHIPPED)
        return state
    new = ActiveState(target, (*state.history, state.active))
    _write_for_change(state_dir, new)
    log.info("active model: %s (was %s)", target or SHIPPED, state.active or SHIPPED)
    return new


def rollback(state_dir: Path) -> ActiveState:
    """Go back to the previous active model; to the shipped model when there is no history.

    History entries whose file has gone are skipped with a warning.

    Returns:
        The new state.

    Raises:
        RegistryError: The state cannot be written.
    """
    state = _read_for_change(state_dir)
    history = list(state.history)
    target: Path | None = None
    while history:
        candidate = history.pop()
        if candidate is None or inspect_path(candidate).usable_file:
            target = candidate
            break
        log.warning("skipping %s in the model history: the file is gone", candidate)
    new = ActiveState(target, tuple(history))
    _write_for_change(state_dir, new)
    log.info("rolled back to %s (was %s)", target or SHIPPED, state.active or SHIPPED)
    return new


@dataclass(frozen=True)
class ModelEntry:
    """One model ``emojify model list`` shows.

    Attributes:
        path: The file.
        active: It is the model the app uses.
        shipped: It is the shipped model.
        exists: The file is there.
        info: The ``personalization`` metadata (empty for the shipped model or unreadable files).
    """

    path: Path
    active: bool
    shipped: bool
    exists: bool
    info: dict[str, Any]


def _personal_info(path: Path) -> dict[str, Any]:

    try:
        raw = read_metadata(path.read_bytes()).get(PERSONALIZATION_KEY)
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (OSError, ModelError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def list_models(state_dir: Path, shipped: Path) -> list[ModelEntry]:
    """The shipped model, the personalised models in ``<state>/models`` and any other active one.

    Args:
        state_dir: The state folder.
        shipped: The shipped model file.
    """
    active = active_model_path(state_dir)
    shipped = Path(shipped).resolve()
    paths: list[Path] = [shipped]
    folder = models_dir(state_dir)
    if folder.is_dir():
        paths += sorted(p.resolve() for p in folder.glob("*.tflite") if p.is_file())
    if active is not None and active.resolve() not in paths:
        paths.append(active.resolve())
    resolved_active = active.resolve() if active is not None else shipped
    return [
        ModelEntry(
            path=p,
            active=p == resolved_active,
            shipped=p == shipped,
            exists=inspect_path(p).usable_file,
            info={} if p == shipped else _personal_info(p),
        )
        for p in paths
    ]


#: Personalised models kept in ``<state>/models`` besides the active one and those in the history.
KEEP_MODELS = 3


def prune_models(state_dir: Path, keep: int = KEEP_MODELS) -> list[Path]:
    """Delete old personalised models nobody uses: all but the ``keep`` newest of those neither active nor in the history.

    Only ``<state>/models/emotion_personal_*.tflite`` files are considered; a broken state file
    deletes nothing (what it referred to cannot be known).

    Returns:
        The files deleted.
    """
    try:
        state = read_state(state_dir)
    except (ValueError, OSError) as exc:
        log.warning("not pruning old models: %s", exc)
        return []
    used = {p.resolve() for p in (state.active, *state.history) if p is not None}
    folder = models_dir(state_dir)
    if not folder.is_dir():
        return []
    spare = sorted(
        (p for p in folder.glob(f"{PERSONAL_PREFIX}*.tflite") if p.is_file() and p.resolve() not in used),
        key=lambda p: (p.stat().st_mtime, p.name),
        reverse=True,
    )
    deleted = []
    for path in spare[max(keep, 0) :]:
        try:
            path.unlink()
            deleted.append(path)
        except OSError as exc:
            log.warning("could not delete the old model %s: %s", path, exc)
    if deleted:
        log.info("deleted %d old personalised model(s) no longer in use", len(deleted))
    return deleted
