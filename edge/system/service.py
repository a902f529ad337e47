"""State of the Emojify systemd units, for ``emojify service status``.

Asks ``systemctl is-enabled`` and ``systemctl is-active`` for each unit. Works everywhere: with
no ``systemctl`` (macOS, containers) or no running systemd the answers are ``"unknown"`` and
``installed`` falls back to looking for the unit file on disk.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

KIOSK_UNIT = "emojify-kiosk.service"
HEADLESS_UNIT = "emojify-headless.service"
UNITS: tuple[str, ...] = (KIOSK_UNIT, HEADLESS_UNIT)

#: Where unit files may lie (admin first, then packages).
UNIT_DIRS: tuple[Path, ...] = (
    Path("/etc/systemd/system"),
    Path("/run/systemd/system"),
    Path("/usr/local/lib/systemd/system"),
    Path("/usr/lib/systemd/system"),
    Path("/lib/systemd/system"),
)

UNKNOWN = "unknown"

# States `systemctl is-enabled` prints for a unit file that exists (systemctl(1)).
_INSTALLED_STATES = frozenset(
    {
        "enabled",
        "enabled-runtime",
        "linked",
        "linked-runtime",
        "alias",
        "masked",
        "masked-runtime",
        "static",
        "indirect",
        "disabled",
        "generated",
        "transient",
    }
)


@dataclass(frozen=True)
class UnitStatus:
    """What systemd says about one unit.

    Attributes:
        unit: Unit name, e.g. ``emojify-kiosk.service``.
        installed: Whether the unit file exists.
        enabled: ``systemctl is-enabled`` answer (``enabled``, ``disabled``, ``masked``,
            ``not-found``, ``unknown`` …).
        active: ``systemctl is-active`` answer (``active``, ``inactive``, ``failed``,
            ``activating`` …, or ``unknown`` when systemd cannot be asked).
    """

    unit: str
    installed: bool
    enabled: str
    active: str


def _systemctl(systemctl: str, args: Sequence[str], timeout: float) -> tuple[str, str]:
    """Run ``systemctl ARGS``; return (first stdout line, stderr), never raising.

    Returns:
        ``("", reason)`` when systemctl could not be run or timed out.
    """
    try:
        proc = subprocess.run(
            [systemctl, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("systemctl %s failed: %s", " ".join(args), exc)
        return "", str(exc)
    lines = proc.stdout.strip().splitlines()
    return (lines[0].strip() if lines else ""), proc.stderr.strip()


def _unit_file_exists(unit: str, unit_dirs: Iterable[Path]) -> bool:
    return any((d / unit).exists() for d in unit_dirs)


def service_status(
    units: Sequence[str] = UNITS,
    *,
    systemctl: str | None = None,
    timeout: float = 5.0,
    unit_dirs: Iterable[Path] = UNIT_DIRS,
) -> list[UnitStatus]:
    """Ask systemd about the Emojify units.

    Args:
        units: Unit names to ask about.
        systemctl: Path of ``systemctl``; found on ``$PATH`` when None.
        timeout: Seconds allowed for each ``systemctl`` call.
        unit_dirs: Directories searched for the unit file when systemctl cannot tell.

    Returns:
        One :class:`UnitStatus` per unit, in the order given. Answers that could not be had
        are ``"unknown"``.
    """
    exe = systemctl or shutil.which("systemctl")
    dirs = tuple(unit_dirs)
    result: list[UnitStatus] = []
    for unit in units:
        on_disk = _unit_file_exists(unit, dirs)
        if exe is None:
            result.append(UnitStatus(unit, on_disk, UNKNOWN, UNKNOWN))
            continue
        enabled, err = _systemctl(exe, ["is-enabled", unit], timeout)
        if enabled in _INSTALLED_STATES:
            installed = True
        elif enabled == "not-found" or "No such file" in err or "not found" in err.lower():
            enabled, installed = "not-found", on_disk
        else:
            enabled, installed = (enabled or UNKNOWN), on_disk
        active, _ = _systemctl(exe, ["is-active", unit], timeout)
        result.append(UnitStatus(unit, installed, enabled, active or UNKNOWN))
    return result


def format_service_status(statuses: Sequence[UnitStatus]) -> str:
    """Format unit states as a small table plus hints, for ``emojify service status``.

    Args:
        statuses: What :func:`service_status` returned.

    Returns:
        Text without a trailing newline.
    """
    header = ("unit", "installed", "enabled", "active")
    rows = [(s.unit, "yes" if s.installed else "no", s.enabled, s.active) for s in statuses]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]

    hints: list[str] = []
    if statuses and not any(s.installed for s in statuses):
        hints.append("No Emojify service is installed. On the Pi: sudo ./setup.sh --service kiosk (or headless).")
    if all(s.enabled == UNKNOWN and s.active == UNKNOWN for s in statuses):
        hints.append("systemd could not be asked (no systemctl, or systemd is not running here).")
    enabled = [s.unit for s in statuses if s.enabled in ("enabled", "enabled-runtime")]
    if len(enabled) > 1:
        hints.append(f"More than one unit is enabled ({', '.join(enabled)}): they share the camera; disable one.")
    for s in statuses:
        if s.active == "failed":
            hints.append(f"{s.unit} failed: see journalctl -u {s.unit} -b --no-pager | tail -n 50")
    if any(s.installed for s in statuses):
        hints.append("Logs: journalctl -u 'emojify-*' -f")
    return "\n".join(lines + (["", *hints] if hints else []))
