"""The flow on a Pi: a login user captures and personalises while the service user owns the state.

A real second user (a uid without an account, like a fresh service user) owns the state folder
as systemd's ``StateDirectory=`` leaves it (0700), and a fake ``systemctl`` on ``PATH`` plays the
running kiosk. The commands run as separate processes through ``python -m edge``, as typed.
Root is needed to own a folder as someone else; the user switch as root goes through ``setpriv``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.system import owner
from tests.conftest import astronaut_video
from tests.personalize.test_personalize import user_folder

ROOT = Path(__file__).resolve().parents[2]
SERVICE_UID = 54321
LOGIN_UID = 54322

FAKE_SYSTEMCTL = """#!/bin/sh
echo "$(id -u) $*" >> "{log}"
case "$1" in
  is-active) if [ -e "{units}/$2" ]; then echo active; else echo inactive; exit 3; fi ;;
  stop) rm -f "{units}/$2" ;;
  start) touch "{units}/$2" ;;
esac
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")


@pytest.fixture
def pi(tmp_path: Path) -> Iterator[Path]:
    """A world-readable workspace with a fake systemctl (kiosk running) and a state folder of the service user."""
    base = Path(tempfile.mkdtemp(prefix="emojify-pi-"))
    try:
        base.chmod(0o755)
        (base / "bin").mkdir()
        (base / "units").mkdir()
        (base / "units" / "emojify-kiosk.service").touch()
        (base / "systemctl.log").touch()
        (base / "systemctl.log").chmod(0o666)
        tool = base / "bin" / "systemctl"
        tool.write_text(FAKE_SYSTEMCTL.format(log=base / "systemctl.log", units=base / "units"))
        tool.chmod(0o755)
        state = base / "state"
        state.mkdir(mode=0o700)
        os.chown(state, SERVICE_UID, SERVICE_UID)
        probe = ["setpriv", f"--reuid={SERVICE_UID}", f"--regid={SERVICE_UID}", "--clear-groups"]
        if subprocess.run([*probe, sys.executable, "-c", "import edge"], cwd=ROOT, env=_env(base)).returncode:
            pytest.skip("the service user of this test cannot run this Python")
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _env(base: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{base / 'bin'}:/usr/bin:/bin:/usr/sbin:/sbin"
    env["PYTHONPATH"] = str(ROOT)
    env["EMOJIFY_CONFIG"] = str(base / "etc" / "config.toml")  # none: the built-in defaults
    return env


def _emojify(base: Path, *args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user is not None else []
    command = [*prefix, sys.executable, "-m", "edge", *args]
    return subprocess.run(
        command, cwd=ROOT, env=_env(base), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )


def test_capture_personalise_and_run_share_the_service_state(pi: Path):
    state = pi / "state"
    video = astronaut_video(pi / "clip.avi", frames=40)
    video.chmod(0o644)
    capture = _emojify(
        pi, "capture", "--state-dir", str(state), "--source", str(video), "--display", "none", "--yes",
        "--per-emotion", "3", "--interval", "0", "--countdown", "0", "--emotions", "happy,sad",
    )  # fmt: skip
    assert capture.returncode == 0, capture.stderr
    assert f"belongs to uid {SERVICE_UID}: running this as uid {SERVICE_UID}" in capture.stdout
    assert f"Next: emojify personalize --person me --state-dir {state}" in capture.stdout
    # The kiosk was stopped by the login user's command before the session and started again after it.
    calls = (pi / "systemctl.log").read_text().splitlines()
    assert calls[:2] == ["0 is-active emojify-kiosk.service", "0 is-active emojify-headless.service"]
    assert calls[2:] == ["0 stop emojify-kiosk.service", "0 start emojify-kiosk.service"]
    assert (pi / "units" / "emojify-kiosk.service").exists()
    # Every crop and folder belongs to the service user and to nobody else.
    crops = sorted((state / "dataset").rglob("*.png"))
    assert len(crops) == 6
    for path in [*crops, *(p for p in (state / "dataset").rglob("*") if p.is_dir())]:
        info = path.stat()
        assert info.st_uid == SERVICE_UID, path
        assert stat.S_IMODE(info.st_mode) == (0o600 if path.is_file() else 0o700), path

    photos = user_folder(pi / "photos")
    for folder in [pi / "photos", *(p for p in (pi / "photos").rglob("*") if p.is_dir())]:
        folder.chmod(0o755)
    pers = _emojify(pi, "personalize", "--data", str(photos), "--state-dir", str(state))
    assert pers.returncode == 0, pers.stdout + pers.stderr
    assert f"Undo: emojify model rollback --state-dir {state}" in pers.stdout
    # The login user's command (not the service user's) reloads the running kiosk onto the new model.
    assert (pi / "systemctl.log").read_text().splitlines()[-1] == "0 reload emojify-kiosk.service"
    assert "Reloaded emojify-kiosk.service: it uses the active model now." in pers.stdout
    active_file = state / "active_model.json"
    models = list((state / "models").glob("emotion_personal_*.tflite"))
    assert len(models) == 1 and models[0].stat().st_uid == SERVICE_UID and active_file.stat().st_uid == SERVICE_UID
    listing = _emojify(pi, "model", "list", "--state-dir", str(state))
    assert any(line.startswith("*") and str(models[0]) in line for line in listing.stdout.splitlines())

    run = _emojify(pi, "-v", "run", "--state-dir", str(state), "--source", str(video), "--display", "none",
                   "--max-frames", "3")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert f"using the personalised model {models[0]}" in run.stderr


def test_a_login_user_without_sudo_is_told_before_consent_and_the_kiosk_keeps_running(pi: Path):
    if shutil.which("sudo"):
        pytest.skip("this machine has sudo")
    state = pi / "state"
    result = _emojify(
        pi, "capture", "--state-dir", str(state), "--source", "demo", "--display", "none", "--yes", user=LOGIN_UID
    )
    assert result.returncode == 2
    assert f"the state folder belongs to uid {SERVICE_UID}" in result.stderr and "no sudo" in result.stderr
    assert "Teach it your face" not in result.stdout  # no consent screen for a capture that cannot be stored
    assert "stop" not in (pi / "systemctl.log").read_text()
    assert not (state / "dataset").exists() or not any((state / "dataset").iterdir())


def test_switching_as_a_login_user_goes_through_sudo(monkeypatch, tmp_path):
    fake_sudo = tmp_path / "sudo"
    fake_sudo.write_text("#!/bin/sh\n")
    fake_sudo.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    command = owner.switch_command(owner.Owner(998, 998, "emojify"), ["python", "-m", "edge", "capture"])
    assert command == [str(fake_sudo), "-u", "emojify", "--", "python", "-m", "edge", "capture"]
    assert owner.switch_command(owner.Owner(998, 998, None), ["x"])[:3] == [str(fake_sudo), "-u", "#998"]
