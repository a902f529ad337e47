"""The systemd unit templates, setup.sh's syntax, and ``emojify service status``.

The unit checks run the real ``systemd-analyze`` (Debian package ``systemd``) on copies of the
templates with the placeholders filled in, the way setup.sh installs them. Where
``systemd-analyze`` is missing they are skipped with the reason.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from edge.system.service import UnitStatus, format_service_status, service_status

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = ROOT / "systemd"
SETUP_SH = ROOT / "setup.sh"
KINDS = ("kiosk", "headless")
MAX_EXPOSURE = 2.5

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze not installed (Debian: apt-get install systemd); unit files not verified",
)


def template(kind: str) -> str:
    return (SYSTEMD_DIR / f"emojify-{kind}.service").read_text()


def render(kind: str, tmp_path: Path, *, with_exec: bool = True) -> Path:
    """Fill the placeholders like setup.sh does; put a fake ``emojify`` where ExecStart points."""
    install_dir = tmp_path / "emojify-edge"
    exe = install_dir / ".venv" / "bin" / "emojify"
    if with_exec:
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    text = template(kind).replace("@INSTALL_DIR@", str(install_dir)).replace("@USER@", "emojify")
    unit_dir = tmp_path / "units"
    unit_dir.mkdir(exist_ok=True)
    unit = unit_dir / f"emojify-{kind}.service"
    unit.write_text(text)
    return unit


def settings(text: str) -> dict[str, list[str]]:
    """Key -> values (in order) of a unit file, comments and section headers dropped."""
    out: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def section_of(text: str, key: str) -> str:
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif line.startswith(f"{key}="):
            return section
    raise KeyError(key)


# ---------------------------------------------------------------------- static content


@pytest.mark.parametrize("kind", KINDS)
def test_template_has_only_known_placeholders(kind: str) -> None:
    text = template(kind)
    assert "@INSTALL_DIR@" in text and "@USER@" in text
    assert set(re.findall(r"@[A-Z_]+@", text)) == {"@INSTALL_DIR@", "@USER@"}


@pytest.mark.parametrize("kind", KINDS)
def test_template_core_settings(kind: str) -> None:
    text = template(kind)
    s = settings(text)
    assert s["Type"] == ["notify"]
    assert s["NotifyAccess"] == ["main"]
    assert s["WatchdogSec"] == ["15s"]
    assert s["Restart"] == ["on-failure"]
    assert s["RestartSec"] == ["3s"]
    assert s["KillSignal"] == ["SIGTERM"]
    assert s["TimeoutStopSec"] == ["5"]
    assert s["User"] == ["@USER@"]
    assert s["StateDirectory"] == ["emojify"]
    assert s["LogsDirectory"] == ["emojify"]
    assert s["StandardOutput"] == ["journal"]
    for key in ("StartLimitIntervalSec", "StartLimitBurst"):
        assert section_of(text, key) == "Unit", f"{key} belongs in [Unit]"
    for forbidden in ("PrivateDevices", "MemoryDenyWriteExecute", "PrivateUsers"):
        assert forbidden not in s, f"{forbidden}= would break the camera/GPU/Coral"
    for key in (
        "NoNewPrivileges",
        "ProtectSystem",
        "ProtectHome",
        "PrivateTmp",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
        "ProtectProc",
        "RestrictNamespaces",
        "LockPersonality",
        "SystemCallArchitectures",
        "CapabilityBoundingSet",
        "DevicePolicy",
    ):
        assert key in s, key
    assert s["CapabilityBoundingSet"] == [""]
    assert s["DevicePolicy"] == ["closed"]
    allowed = " ".join(s["DeviceAllow"])
    for dev in ("char-video4linux", "char-media", "char-dma_heap", "char-usb_device"):
        assert dev in allowed


def test_kiosk_takes_tty1_and_drm() -> None:
    text = template("kiosk")
    s = settings(text)
    assert s["ExecStart"] == ["@INSTALL_DIR@/.venv/bin/emojify run --config /etc/emojify/config.toml --display kiosk"]
    assert "getty@tty1.service" in " ".join(s["Conflicts"])
    assert "getty@tty1.service" in " ".join(s["After"])
    assert s["TTYPath"] == ["/dev/tty1"]
    assert s["StandardInput"] == ["tty-fail"]
    env = " ".join(s["Environment"])
    for var in ("SDL_VIDEODRIVER=kmsdrm", "SDL_AUDIODRIVER=dummy", "PYTHONUNBUFFERED=1"):
        assert var in env
    assert s["SupplementaryGroups"] == ["video render input plugdev"]
    allowed = " ".join(s["DeviceAllow"])
    assert "char-drm" in allowed and "char-input" in allowed and "/dev/tty1" in allowed


def test_headless_has_no_tty_and_no_drm() -> None:
    s = settings(template("headless"))
    assert s["ExecStart"] == [
        "@INSTALL_DIR@/.venv/bin/emojify run --config /etc/emojify/config.toml --display none "
        "--log /var/log/emojify/expressions.jsonl"
    ]
    assert "TTYPath" not in s
    assert not s["StandardInput"][0].startswith("tty")
    allowed = " ".join(s["DeviceAllow"])
    assert "drm" not in allowed and "tty" not in allowed and "input" not in allowed
    assert "getty" not in " ".join(s.get("Conflicts", []))
    assert "kmsdrm" not in " ".join(s.get("Environment", []))


# ---------------------------------------------------------------------- systemd-analyze


def run_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL
    )


@needs_analyze
@pytest.mark.parametrize("kind", KINDS)
def test_systemd_analyze_verify(kind: str, tmp_path: Path) -> None:
    unit = render(kind, tmp_path)
    proc = run_analyze("verify", "--man=no", str(unit))
    assert proc.returncode == 0, proc.stderr
    # Unknown keys or bad values are only warnings (exit 0): none may mention our unit.
    complaints = [line for line in proc.stderr.splitlines() if unit.name in line]
    assert not complaints, "\n".join(complaints)


@needs_analyze
def test_verify_catches_a_missing_executable(tmp_path: Path) -> None:
    # Guards the test above: verify really looks at ExecStart.
    unit = render("kiosk", tmp_path, with_exec=False)
    proc = run_analyze("verify", "--man=no", str(unit))
    assert proc.returncode != 0
    assert "emojify" in proc.stderr


@needs_analyze
@pytest.mark.parametrize("kind", KINDS)
def test_security_exposure(kind: str, tmp_path: Path) -> None:
    unit = render(kind, tmp_path)
    proc = run_analyze("security", "--offline=true", "--no-pager", str(unit))
    if proc.returncode != 0 and "offline" in proc.stderr.lower():
        pytest.skip(f"this systemd-analyze has no --offline: {proc.stderr.strip()}")
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout)
    assert match, proc.stdout[-2000:] + proc.stderr
    exposure = float(match.group(1))
    assert exposure <= MAX_EXPOSURE, f"{kind}: exposure {exposure} > {MAX_EXPOSURE}\n{proc.stdout}"


# ---------------------------------------------------------------------- setup.sh


def test_setup_sh_is_executable_bash() -> None:
    assert SETUP_SH.exists()
    assert SETUP_SH.stat().st_mode & stat.S_IXUSR, "setup.sh must be executable (git update-index --chmod=+x)"
    assert SETUP_SH.read_text().startswith("#!/usr/bin/env bash")
    proc = subprocess.run(["bash", "-n", str(SETUP_SH)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (apt-get install shellcheck)")
def test_setup_sh_shellcheck() -> None:
    proc = subprocess.run(
        ["shellcheck", "--shell=bash", "--severity=style", str(SETUP_SH)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_setup_sh_help_and_bad_option() -> None:
    ok = subprocess.run(["bash", str(SETUP_SH), "--help"], capture_output=True, text=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    for option in ("--service", "--dev", "--mqtt", "--coral", "--uninstall-service"):
        assert option in ok.stdout
    bad = subprocess.run(["bash", str(SETUP_SH), "--bogus"], capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode != 0
    assert "[emojify]" in bad.stderr and "--bogus" in bad.stderr
    kind = subprocess.run(
        ["bash", str(SETUP_SH), "--service", "desktop"], capture_output=True, text=True, timeout=30, check=False
    )
    assert kind.returncode != 0 and "kiosk" in kind.stderr


# ---------------------------------------------------------------------- service_status


def fake_systemctl(tmp_path: Path, script: str) -> str:
    exe = tmp_path / "systemctl"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)
    return str(exe)


def test_service_status_parses_systemctl(tmp_path: Path) -> None:
    exe = fake_systemctl(
        tmp_path,
        """case "$1 $2" in
  "is-enabled emojify-kiosk.service") echo enabled; exit 0;;
  "is-active emojify-kiosk.service") echo active; exit 0;;
  "is-enabled emojify-headless.service")
      echo "Failed to get unit file state for $2: No such file or directory" >&2; exit 1;;
  "is-active emojify-headless.service") echo inactive; exit 3;;
esac
exit 4
""",
    )
    kiosk, headless = service_status(systemctl=exe, unit_dirs=[tmp_path / "none"])
    assert kiosk == UnitStatus("emojify-kiosk.service", True, "enabled", "active")
    assert headless == UnitStatus("emojify-headless.service", False, "not-found", "inactive")
    text = format_service_status([kiosk, headless])
    assert text.splitlines()[0].split() == ["unit", "installed", "enabled", "active"]
    assert "emojify-kiosk.service" in text and "journalctl" in text


def test_service_status_without_running_systemd(tmp_path: Path) -> None:
    exe = fake_systemctl(
        tmp_path,
        'echo "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2\nexit 1\n',
    )
    unit_dir = tmp_path / "system"
    unit_dir.mkdir()
    (unit_dir / "emojify-headless.service").write_text("[Service]\n")
    kiosk, headless = service_status(systemctl=exe, unit_dirs=[unit_dir])
    assert kiosk == UnitStatus("emojify-kiosk.service", False, "unknown", "unknown")
    assert headless == UnitStatus("emojify-headless.service", True, "unknown", "unknown")
    assert "could not be asked" in format_service_status([kiosk, headless])


def test_service_status_without_systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    statuses = service_status(unit_dirs=[tmp_path])
    assert [s.unit for s in statuses] == ["emojify-kiosk.service", "emojify-headless.service"]
    assert all(s == UnitStatus(s.unit, False, "unknown", "unknown") for s in statuses)
    text = format_service_status(statuses)
    assert "No Emojify service is installed" in text and "setup.sh --service" in text


def test_service_status_timeout_is_unknown(tmp_path: Path) -> None:
    exe = fake_systemctl(tmp_path, "exec sleep 5\n")
    (status,) = service_status(["emojify-kiosk.service"], systemctl=exe, timeout=0.2, unit_dirs=[])
    assert status.enabled == "unknown" and status.active == "unknown"


def test_format_warns_when_both_enabled() -> None:
    text = format_service_status(
        [
            UnitStatus("emojify-kiosk.service", True, "enabled", "failed"),
            UnitStatus("emojify-headless.service", True, "enabled", "active"),
        ]
    )
    assert "More than one unit is enabled" in text
    assert "emojify-kiosk.service failed" in text
