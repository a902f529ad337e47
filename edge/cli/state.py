"""The state folder for ``capture``, ``personalize`` and ``model``: where it is, who writes it, what to type next.

All three commands (and ``run``) take ``--config`` and ``--state-dir`` and read the folder the same
way: ``--state-dir``, else ``[state] dir``, else ``$EMOJIFY_STATE_DIR``, ``$STATE_DIRECTORY`` or
``/var/lib/emojify``. A command that writes there when the folder belongs to someone else (the
service user) runs itself again as that user (:mod:`edge.system.owner`), before anything is
shown or taken; the hidden ``--as-owner`` marks the second run. Hints name commands that work as
printed: they keep the ``--config`` and ``--state-dir`` that were given.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import subprocess
import sys
from pathlib import Path

from edge import paths
from edge.config.loader import load_config
from edge.config.schema import Config
from edge.core.errors import ConfigError
from edge.system.owner import OwnerError, owner_switch, switch_command

log = logging.getLogger(__name__)


def add_state_options(p: argparse.ArgumentParser) -> None:
    """``--config``, ``--state-dir`` and the hidden ``--as-owner``."""
    p.add_argument("--config", type=Path, help="TOML config file (camera, face detector, display, [state] dir)")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where captures, personalised models and the active-model setting live "
        "(default: [state] dir of the config, else /var/lib/emojify)",
    )
    p.add_argument("--as-owner", action="store_true", help=argparse.SUPPRESS)


def config_and_state(args: argparse.Namespace) -> tuple[Config, Path]:
    """The configuration (with ``--state-dir`` as an override of ``[state] dir``) and the state folder."""
    state = str(Path(args.state_dir).expanduser()) if args.state_dir else None
    config = load_config(args.config, {"state": {"dir": state}})
    return config, paths.state_dir(config.state.dir)


def hint(args: argparse.Namespace, *words: str) -> str:
    """``emojify WORDS`` plus the ``--config`` and ``--state-dir`` this command was given, quoted for a shell."""
    carried: list[str] = []
    if getattr(args, "config", None):
        carried += ["--config", str(Path(args.config).expanduser().resolve())]
    if getattr(args, "state_dir", None):
        carried += ["--state-dir", str(Path(args.state_dir).expanduser().resolve())]
    return shlex.join(["emojify", *words, *carried])


def switch_needed(args: argparse.Namespace, state_dir: Path) -> list[str] | None:
    """The command line that runs this command again as the state folder's owner, or ``None`` to go on here.

    Raises:
        ConfigError: The folder can neither be used here nor by switching users.
    """
    if getattr(args, "as_owner", False):
        return None
    try:
        owner = owner_switch(state_dir)
        if owner is None:
            return None
        argv = list(getattr(args, "argv", None) or [])
        if not argv:
            raise OwnerError(f"{state_dir} belongs to {owner.label}; run this command as {owner.label}")
        again = [sys.executable, "-m", "edge", *argv, "--as-owner", "--state-dir", str(state_dir.resolve())]
        config = Path(args.config).expanduser() if args.config else paths.default_config()
        if args.config or config.is_file():  # sudo drops $EMOJIFY_CONFIG: name the file
            again += ["--config", str(config.resolve())]
        command = switch_command(owner, again)
    except OwnerError as exc:
        raise ConfigError(str(exc)) from None
    print(f"{state_dir} belongs to {owner.label}: running this as {owner.label}.", flush=True)
    log.info("running as the state folder's owner: %s", shlex.join(command))
    return command


def run_as_owner(command: list[str]) -> int:
    """Run the command line from :func:`switch_needed` and return its exit status."""
    try:
        return subprocess.call(command)
    except OSError as exc:
        raise ConfigError(f"cannot run {command[0]} ({exc})") from None
