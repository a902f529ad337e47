"""SystemdNotifier against real AF_UNIX datagram sockets (filesystem and abstract namespace)."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.system.notify import SystemdNotifier
from tests.fakes import FakeClock


@pytest.fixture
def short_tmp(tmp_path: Path) -> Iterator[Path]:
    # sun_path holds at most 107 bytes: use tmp_path unless it is too long (deep TMPDIR).
    if len(str(tmp_path / "notify.sock")) < 100:
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="sdn") as d:
        yield Path(d)


@pytest.fixture
def receiver(short_tmp: Path) -> Iterator[tuple[str, socket.socket]]:
    path = short_tmp / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    try:
        yield str(path), sock
    finally:
        sock.close()


def recv(sock: socket.socket) -> dict[str, str]:
    data = sock.recv(4096).decode()
    return dict(line.split("=", 1) for line in data.split("\n"))


def assert_nothing(sock: socket.socket) -> None:
    sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        sock.recv(4096)
    sock.settimeout(2.0)


def test_ready_status_watchdog_stopping_arrive(receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    n = SystemdNotifier({"NOTIFY_SOCKET": path})
    assert n.enabled
    assert n.ready() is True
    assert recv(sock) == {"READY": "1"}
    assert n.status("source picamera2 | delegate cpu | 28.5 fps | face: happy")
    assert recv(sock) == {"STATUS": "source picamera2 | delegate cpu | 28.5 fps | face: happy"}
    assert n.watchdog()
    assert recv(sock) == {"WATCHDOG": "1"}
    assert n.stopping()
    assert recv(sock) == {"STOPPING": "1"}
    n.close()


def test_ready_and_stopping_carry_status(receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    n = SystemdNotifier({"NOTIFY_SOCKET": path})
    n.ready("running")
    assert recv(sock) == {"READY": "1", "STATUS": "running"}
    n.stopping("stopping:\nSIGTERM")
    assert recv(sock) == {"STOPPING": "1", "STATUS": "stopping: SIGTERM"}


def test_abstract_namespace_socket() -> None:
    name = f"emojify-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(2.0)
    try:
        n = SystemdNotifier({"NOTIFY_SOCKET": "@" + name})
        assert n.enabled
        assert n.ready()
        assert sock.recv(4096) == b"READY=1"
    finally:
        sock.close()


def test_status_is_rate_limited_and_flushed(receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    clock = FakeClock()
    n = SystemdNotifier({"NOTIFY_SOCKET": path}, clock=clock)
    assert n.status("a | 10.0 fps")
    assert recv(sock) == {"STATUS": "a | 10.0 fps"}
    # Same text: never re-sent. Changed text within 1 s: held back.
    assert not n.status("a | 10.0 fps")
    assert not n.status("a | 11.0 fps")
    assert not n.status("a | 12.0 fps")
    assert_nothing(sock)
    # After the interval the newest text goes out with the next call.
    clock.advance(1.0)
    assert n.status("a | 13.0 fps")
    assert recv(sock) == {"STATUS": "a | 13.0 fps"}
    # A held-back text goes out on flush().
    assert not n.status("a | 14.0 fps")
    assert n.flush()
    assert recv(sock) == {"STATUS": "a | 14.0 fps"}
    assert not n.flush()
    # force bypasses the limit.
    assert n.status("a | 14.0 fps", force=True)
    assert recv(sock) == {"STATUS": "a | 14.0 fps"}


def test_pending_status_rides_on_watchdog(receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    clock = FakeClock()
    n = SystemdNotifier({"NOTIFY_SOCKET": path}, clock=clock)
    n.status("one")
    recv(sock)
    n.status("two")  # held back
    clock.advance(1.5)
    assert n.watchdog()
    assert recv(sock) == {"WATCHDOG": "1", "STATUS": "two"}


def test_watchdog_pings_are_spaced(receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    clock = FakeClock()
    n = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "15000000"}, clock=clock)
    assert n.watchdog_gap == 1.0
    assert n.watchdog()
    recv(sock)
    for _ in range(40):  # 1.33 s of frames at 30 fps: exactly one more ping
        clock.advance(1 / 30)
        n.watchdog()
    assert recv(sock) == {"WATCHDOG": "1"}
    assert_nothing(sock)
    # A short watchdog shortens the gap.
    short = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
    assert short.watchdog_gap == pytest.approx(0.5)


def test_extend_timeout_payload(receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    SystemdNotifier({"NOTIFY_SOCKET": path}).extend_timeout(20)
    assert recv(sock) == {"EXTEND_TIMEOUT_USEC": "20000000"}


def test_noop_without_notify_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = SystemdNotifier()
    assert not n.enabled
    assert n.ready() is False
    assert n.status("x") is False
    assert n.watchdog() is False
    assert n.stopping() is False
    assert n.flush() is False
    assert n.extend_timeout(5) is False
    assert n._sock is None  # no socket was even created


def test_reads_os_environ(monkeypatch: pytest.MonkeyPatch, receiver: tuple[str, socket.socket]) -> None:
    path, sock = receiver
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    n = SystemdNotifier()
    assert n.enabled and n.socket_path == path
    n.ready()
    assert recv(sock) == {"READY": "1"}


def test_send_errors_never_raise_and_warn_once(short_tmp: Path, caplog: pytest.LogCaptureFixture) -> None:
    n = SystemdNotifier({"NOTIFY_SOCKET": str(short_tmp / "missing.sock")})
    assert n.enabled
    with caplog.at_level(logging.DEBUG, logger="edge.system.notify"):
        assert n.ready() is False
        assert n.watchdog() is False
        assert n.stopping() is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "missing.sock" in warnings[0].getMessage()


def test_unusable_socket_value_disables(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="edge.system.notify"):
        n = SystemdNotifier({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert not n.enabled
    assert n.ready() is False
    assert "vsock" in caplog.text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "15000000"}, 15.0),
        ({"WATCHDOG_USEC": "2500000", "WATCHDOG_PID": str(os.getpid())}, 2.5),
        ({"WATCHDOG_USEC": "15000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "15000000", "WATCHDOG_PID": "not-a-pid"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "-5"}, None),
        ({"WATCHDOG_USEC": "fifteen"}, None),
        ({"WATCHDOG_USEC": ""}, None),
    ],
)
def test_watchdog_interval_parsing(env: dict[str, str], expected: float | None) -> None:
    n = SystemdNotifier(env)
    assert n.watchdog_interval() == expected
    assert not n.enabled  # no NOTIFY_SOCKET in these environments
