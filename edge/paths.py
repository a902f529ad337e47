"""The one place that knows where things are: the install folder, ``models/``, config and state.

Nothing else in the package computes a path from ``__file__`` or names ``/etc/emojify`` or
``/var/lib/emojify``. ``models/`` lies next to the ``edge`` package in the install folder (it is
not package data, so :mod:`importlib.resources` does not reach it: an editable install and the
git checkout are the same tree, which is how the Pi runs the product).

Two environment variables move the machine-wide defaults, for tests and for running a second
copy beside the service:

* ``EMOJIFY_CONFIG``: the config file used when ``--config`` is not given (default
  ``/etc/emojify/config.toml``, used only when it exists).
* ``EMOJIFY_STATE_DIR``: the state folder when neither ``--state-dir`` nor ``[state] dir`` names
  one (default ``$STATE_DIRECTORY`` as systemd sets it, else
  ``/var/lib/emojify``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The install folder: the checkout that holds ``edge/`` and ``models/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The shipped models, labels and face detector.
MODELS_DIR = PROJECT_ROOT / "models"
#: The shipped int8 expression model.
DEFAULT_MODEL = MODELS_DIR / "emotion_int8.tflite"
#: The shipped label order file.
LABELS_FILE = MODELS_DIR / "labels.txt"
#: The BlazeFace short-range face detector.
FACE_DETECTOR_MODEL = MODELS_DIR / "face_detection_short_range.tflite"
#: The float checkpoint shipped with the int8 model (training starts from it).
FLOAT_CHECKPOINT = MODELS_DIR / "emotion_float.pt"

#: Where ``setup.sh`` installs the config file.
SYSTEM_CONFIG = Path("/etc/emojify/config.toml")
#: The service's state folder when systemd does not name one.
SYSTEM_STATE_DIR = Path("/var/lib/emojify")

CONFIG_ENV = "EMOJIFY_CONFIG"
STATE_ENV = "EMOJIFY_STATE_DIR"


def default_config() -> Path:
    """The config file read when none is given (``$EMOJIFY_CONFIG``, else ``/etc/emojify/config.toml``)."""
    return Path(os.environ.get(CONFIG_ENV) or SYSTEM_CONFIG)


def default_state_dir() -> Path:
    """The state folder: ``$EMOJIFY_STATE_DIR``, else ``$STATE_DIRECTORY`` (systemd), else ``/var/lib/emojify``."""
    return Path(os.environ.get(STATE_ENV) or os.environ.get("STATE_DIRECTORY") or SYSTEM_STATE_DIR)


def state_dir(configured: str | Path = "") -> Path:
    """The state folder: ``configured`` (``--state-dir`` or ``[state] dir``) when given, else :func:`default_state_dir`."""
    return Path(configured).expanduser() if str(configured) else default_state_dir()


def resolve(value: str | Path) -> Path:
    """A path from the config or the command line: absolute, relative to the working folder, or to the install folder."""
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # ~name of a user that does not exist: the path as written
        path = Path(value)
    if path.is_absolute():
        return path
    try:
        here = path.exists()
    except (OSError, ValueError):  # a name too long or unreachable here: try the install folder
        here = False
    return path if here else PROJECT_ROOT / path
