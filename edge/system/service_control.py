"""Stopping the Emojify service while another command needs the camera and screen, and starting it again.

``emojify capture`` needs the camera and the screen the kiosk (or the headless logger) holds. It
asks ``systemctl is-active`` which of the units run, stops them with ``systemctl stop`` (through
``sudo`` when it is not root) and starts the same ones again when it is done, also after an
error. When systemd cannot be asked (no ``systemctl``, a container) nothing is stopped.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence

from edge.system.service import UNITS

log = logging.getLogger(__name__)


class ServiceControlError(Exception):
    """A unit could not be stopped; the message says how to do it by hand."""


def _privileged(command: list[str]) -> list[str]:
    """``command`` as root: itself when we are root, else through ``sudo`` when there is one."""
    if os.geteuid() == 0:
        return command
    sudo = shutil.which("sudo")
    return [sudo, *command] if sudo else command


def running_units(units: Sequence[str] = UNITS, timeout: float = 5.0) -> list[str]:
    """The units that ``systemctl is-active`` calls active (none when systemd cannot be asked)."""
    exe = shutil.which("systemctl")
    if exe is None:
        return []
    active = []
    for unit in units:
        try:
            proc = subprocess.run(
                [exe, "is-active", unit], capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("systemctl is-active %s: %s", unit, exc)
            continue
        if proc.stdout.strip() in ("active", "activating", "reloading"):
            active.append(unit)
    return active


def stop_units(units: Sequence[str], timeout: float = 60.0) -> None:
    """``systemctl stop`` each unit (``sudo`` may ask for a password on the terminal).

    Raises:
        ServiceControlError: systemctl failed; the message names the command to run by hand.
    """
    exe = shutil.which("systemctl") or "systemctl"
    for unit in units:
        command = _privileged([exe, "stop", unit])
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ServiceControlError(f"cannot stop {unit} ({exc}); stop it with: sudo systemctl stop {unit}") from None
        if proc.returncode != 0:
            reason = (proc.stderr or proc.stdout).strip().splitlines()
            raise ServiceControlError(
                f"cannot stop {unit} ({reason[-1] if reason else f'exit {proc.returncode}'}); "
                f"stop it with: sudo systemctl stop {unit}"
            )
        log.info("stopped %s", unit)


def start_units(units: Sequence[str], timeout: float = 60.0) -> list[str]:
    """``systemctl start`` each unit; never raises.

    Returns:
        One line per unit that did not start, with the command to start it by hand.
    """
    return _each("start", units, timeout)


def reload_units(units: Sequence[str], timeout: float = 60.0) -> list[str]:
    """``systemctl reload`` each unit (the app rebuilds its pipeline: a new active model is picked up); never raises.

    Returns:
        One line per unit that did not reload, with the command to do it by hand.
    """
    return _each("reload", units, timeout)


def _each(action: str, units: Sequence[str], timeout: float) -> list[str]:
    exe = shutil.which("systemctl") or "systemctl"
    failed = []
    for unit in units:
        try:
            proc = subprocess.run(
                _privileged([exe, action, unit]), capture_output=True, text=True, timeout=timeout, check=False
            )
            ok = proc.returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            log.info("%s %s: done", action, unit)
        else:
            failed.append(f"{unit}: {action} failed; run: sudo systemctl {action} {unit}")
    return failed
