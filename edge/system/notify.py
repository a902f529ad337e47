"""A tiny ``sd_notify`` client: readiness, status text and watchdog pings for systemd.

The protocol is one datagram of ``KEY=value`` lines sent to the ``AF_UNIX`` socket named in
``$NOTIFY_SOCKET`` (a leading ``@`` means the Linux abstract namespace). Without that variable
(a terminal, the tests) every method is a no-op. A failed send never raises: the first failure
is logged at WARNING, later ones at DEBUG.

This is the one rate limit for systemd: the loop may call :meth:`SystemdNotifier.status` and
:meth:`SystemdNotifier.watchdog` on every frame. An unchanged status is never re-sent, a changed
one at most once per ``status_interval`` (the newest text waits and rides on the next call or
ping); pings are at least :attr:`SystemdNotifier.watchdog_gap` apart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

#: Least time between two different ``STATUS=`` texts, and between two ``WATCHDOG=1`` pings (seconds).
DEFAULT_STATUS_INTERVAL = 1.0
DEFAULT_WATCHDOG_GAP = 1.0


def _one_line(text: str) -> str:
    return " ".join(text.splitlines()).strip()


def watchdog_seconds(env: Mapping[str, str]) -> float | None:
    """The watchdog timeout (``WatchdogSec=``) meant for this process, as ``sd_watchdog_enabled()`` reads it."""
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    try:
        if not usec or int(usec) <= 0 or (pid and int(pid) != os.getpid()):
            return None
        return int(usec) / 1_000_000
    except ValueError:
        return None


class SystemdNotifier:
    """Send ``sd_notify`` messages to systemd; a no-op when ``$NOTIFY_SOCKET`` is unset. Thread-safe.

    Args:
        environ: Where to read ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID`` (default
            :data:`os.environ`), once, here.
        status_interval: Least seconds between two different ``STATUS=`` texts.
        clock: Monotonic clock in seconds (replaceable in tests).
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        status_interval: float = DEFAULT_STATUS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        env = os.environ if environ is None else environ
        self.socket_path = env.get("NOTIFY_SOCKET", "")
        value = self.socket_path
        self._address = (
            (b"\0" + value[1:].encode()) if value.startswith("@") else value if value.startswith("/") else None
        )
        if value and self._address is None:
            log.warning("NOTIFY_SOCKET=%r is not a unix socket address; systemd notifications are off", value)
        self._watchdog = watchdog_seconds(env)
        self._status_interval = max(0.0, status_interval)
        self._clock = clock
        self._lock = threading.RLock()
        self._sock: socket.socket | None = None
        self._warned = False
        self._sent: str | None = None  # the last status text sent
        self._sent_at: float | None = None
        self._pending: str | None = None  # a newer text held back by the interval
        self._pinged_at: float | None = None
        self.watchdog_gap = (
            DEFAULT_WATCHDOG_GAP if self._watchdog is None else min(DEFAULT_WATCHDOG_GAP, self._watchdog / 4)
        )

    @property
    def enabled(self) -> bool:
        """True when ``$NOTIFY_SOCKET`` names a usable socket, i.e. we run under systemd."""
        return self._address is not None

    def watchdog_interval(self) -> float | None:
        """The service's watchdog timeout in seconds, or ``None`` when none is set for this process."""
        return self._watchdog

    def ready(self, status: str | None = None) -> bool:
        """``READY=1`` (with ``Type=notify`` this ends "activating"), with an optional status text."""
        return self._state("READY=1", status)

    def stopping(self, status: str | None = None) -> bool:
        """``STOPPING=1``, with an optional final status text."""
        return self._state("STOPPING=1", status)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start-up or stop time (``EXTEND_TIMEOUT_USEC=``)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={max(0, int(seconds * 1_000_000))}")

    def status(self, text: str, *, force: bool = False) -> bool:
        """Set the line ``systemctl status`` shows (``STATUS=``), rate limited unless ``force``; True when sent now."""
        if not self.enabled:
            return False
        text = _one_line(text)
        with self._lock:
            now = self._clock()
            if not force and text == self._sent:
                self._pending = None
                return False
            if not force and not self._status_due(now):
                self._pending = text
                return False
            return self.notify(self._mark_sent(text, now))

    def flush(self) -> bool:
        """Send a status text held back by the rate limit, if any."""
        with self._lock:
            return self._pending is not None and self.status(self._pending, force=True)

    def watchdog(self) -> bool:
        """``WATCHDOG=1`` (call it only after real progress); a held-back status that is due rides along."""
        if not self.enabled:
            return False
        with self._lock:
            now = self._clock()
            if self._pinged_at is not None and now - self._pinged_at < self.watchdog_gap:
                return False
            self._pinged_at = now
            lines = ["WATCHDOG=1"]
            if self._pending is not None and self._status_due(now):
                lines.append(self._mark_sent(self._pending, now))
            return self.notify(*lines)

    def notify(self, *assignments: str) -> bool:
        """Send raw ``KEY=value`` lines in one datagram; False when disabled or the send failed (logged)."""
        if self._address is None or not assignments:
            return False
        payload = "\n".join(assignments).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.sendto(payload, self._address)
            except OSError as exc:
                (log.debug if self._warned else log.warning)(
                    "cannot notify systemd via %s: %s%s",
                    self.socket_path,
                    exc,
                    "" if self._warned else " (further failures are logged at DEBUG)",
                )
                self._warned = True
                self.close()
                return False
        return True

    def close(self) -> None:
        """Close the socket; a later message opens a new one."""
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.close()
                self._sock = None

    def _status_due(self, now: float) -> bool:
        return self._sent_at is None or now - self._sent_at >= self._status_interval

    def _mark_sent(self, text: str, now: float | None = None) -> str:
        self._sent = _one_line(text)
        self._sent_at = self._clock() if now is None else now
        self._pending = None
        return f"STATUS={self._sent}"

    def _state(self, state: str, status: str | None) -> bool:
        with self._lock:
            return self.notify(state, *([] if status is None else [self._mark_sent(status)]))
