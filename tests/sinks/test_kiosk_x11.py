"""A desktop that goes away mid-run (the X server ends): the documented fallback, not Xlib's "XIO" exit.

Runs ``emojify run`` in a window on a private Xvfb server, waits for the window, kills the server
and watches what the process does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("pygame")
XVFB = shutil.which("Xvfb")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(XVFB is None, reason="Xvfb is not installed (apt-get install xvfb)")]


class Lines:
    """Collects a pipe's lines in a thread, so the test can wait for one without blocking."""

    def __init__(self, pipe: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: object) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            self.lines.append(line)

    def wait_for(self, test: Callable[[list[str]], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if test(self.lines):
                return True
            time.sleep(0.05)
        return test(self.lines)

    @property
    def text(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def xvfb() -> Iterator[tuple[subprocess.Popen[str], str]]:
    assert XVFB is not None
    proc = subprocess.Popen(
        [XVFB, "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    number = proc.stdout.readline().strip()  # written once the server accepts clients
    assert number.isdigit(), "Xvfb did not start"
    yield proc, f":{number}"
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def start_window_run(cwd: Path, display: str, mode: str) -> tuple[subprocess.Popen[str], Lines, Lines]:
    env = {**os.environ, "HOME": str(cwd), "DISPLAY": display}
    for name in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY", "NOTIFY_SOCKET"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "edge", "run", "--source", "demo", "--display", mode, "--delegate", "cpu"]
    cmd += ["--log-lines", "frames"]  # a line per frame once headless, so the test can count them
    proc = subprocess.Popen(
        [*cmd, "--duration", "60"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, Lines(proc.stdout), Lines(proc.stderr)


def kill_server_once_the_window_is_up(xvfb: subprocess.Popen[str], err: Lines) -> None:
    assert err.wait_for(lambda lines: any("display open: window" in line for line in lines), 60), err.text
    time.sleep(1.0)  # a few frames drawn
    xvfb.send_signal(signal.SIGTERM)
    xvfb.wait(10)


def test_auto_display_continues_headless_when_the_x_server_goes_away(
    tmp_path: Path, xvfb: tuple[subprocess.Popen[str], str]
) -> None:
    server, display = xvfb
    proc, out, err = start_window_run(tmp_path, display, "auto")
    try:
        kill_server_once_the_window_is_up(server, err)
        assert out.wait_for(lambda lines: len(lines) >= 30, 30), err.text  # JSON lines on stdout now
        assert proc.poll() is None, err.text  # still running, headless
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, err.text
    finally:
        if proc.poll() is None:
            proc.kill()
    warnings = [line for line in err.lines if "WARNING" in line]
    assert len(warnings) == 1 and "X server went away" in warnings[0], err.text
    assert "XIO" not in err.text and "Traceback" not in err.text
    assert all(line.startswith("{") for line in out.lines)


def test_required_window_exits_with_a_clear_error_when_the_x_server_goes_away(
    tmp_path: Path, xvfb: tuple[subprocess.Popen[str], str]
) -> None:
    server, display = xvfb
    proc, _out, err = start_window_run(tmp_path, display, "window")
    try:
        kill_server_once_the_window_is_up(server, err)
        assert proc.wait(30) == 2, err.text
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "emojify: error: the display failed (the X server went away" in err.text
    assert "XIO" not in err.text and "Traceback" not in err.text
