"""A tiny ``sd_notify`` client: readiness, status text and watchdog pings for systemd.

The protocol is one datagram of ``KEY=value`` lines sent to the ``AF_UNIX`` socket named in
``$NOTIFY_SOCKET`` (a leading ``@`` means the Linux abstract namespace). Without that variable,
for example when the app runs in a terminal or in tests, every method is a no-op.

Typical use in the pipeline::

    notifier = SystemdNotifier()
    ...  # open camera, model, display
    notifier.ready("running")
    while running:
        ...  # a frame was really processed
        notifier.watchdog()
        notifier.status("source picamera2 | delegate cpu | 28.5 fps | face: happy")
    notifier.stopping()

Nothing here ever raises on a failed send: a broken notify socket must not take the
appliance down. The first failure is logged at WARNING, later ones at DEBUG.
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

#: Least time between two ``STATUS=`` datagrams whose text differs (seconds).
DEFAULT_STATUS_INTERVAL = 1.0
#: Least time between two ``WATCHDOG=1`` datagrams (seconds); shortened for short watchdogs.
DEFAULT_WATCHDOG_GAP = 1.0


def _socket_address(value: str) -> str | bytes | None:
    """Turn a ``$NOTIFY_SOCKET`` value into an address for :meth:`socket.socket.sendto`.

    Args:
        value: The variable's value: a filesystem path, or ``@name`` for the abstract namespace.

    Returns:
        The address, or None when the value is not a usable ``AF_UNIX`` address (for example
        systemd's ``vsock:`` form, which this client does not speak).
    """
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    return None


class SystemdNotifier:
    """Send ``sd_notify`` messages to systemd; a no-op when ``$NOTIFY_SOCKET`` is unset.

    Safe to call from several threads. Status updates are rate limited: an unchanged text is
    never re-sent, and a changed one is sent at most once per ``status_interval`` seconds (the
    newest text is kept and goes out with the next call once the interval has passed, or on
    :meth:`flush`). Watchdog pings are likewise sent at most once per
    :attr:`watchdog_gap` seconds, so calling :meth:`watchdog` for every frame is fine.

    Args:
        environ: Where to read ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID``;
            defaults to :data:`os.environ`. Read once, here.
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
        self._socket_path = env.get("NOTIFY_SOCKET", "")
        self._address = _socket_address(self._socket_path) if self._socket_path else None
        if self._socket_path and self._address is None:
            log.warning(
                "NOTIFY_SOCKET=%r is not a unix socket address; systemd notifications are off", self._socket_path
            )
        self._watchdog_usec = env.get("WATCHDOG_USEC")
        self._watchdog_pid = env.get("WATCHDOG_PID")
        self._status_interval = max(0.0, status_interval)
        self._clock = clock
        self._lock = threading.RLock()
        self._sock: socket.socket | None = None
        self._warned = False
        self._last_status: str | None = None
        self._last_status_at: float | None = None
        self._pending_status: str | None = None
        self._last_watchdog_at: float | None = None
        interval = self.watchdog_interval()
        self.watchdog_gap: float = DEFAULT_WATCHDOG_GAP if interval is None else min(DEFAULT_WATCHDOG_GAP, interval / 4)
        """Least seconds between two ``WATCHDOG=1`` pings."""

    # ------------------------------------------------------------------ properties

    @property
    def enabled(self) -> bool:
        """True when ``$NOTIFY_SOCKET`` names a usable socket, i.e. we run under systemd."""
        return self._address is not None

    @property
    def socket_path(self) -> str:
        """The raw ``$NOTIFY_SOCKET`` value ('' when unset)."""
        return self._socket_path

    def watchdog_interval(self) -> float | None:
        """Return the service's watchdog timeout (``WatchdogSec=``) in seconds.

        Follows ``sd_watchdog_enabled()``: the value comes from ``$WATCHDOG_USEC`` and counts
        only when ``$WATCHDOG_PID`` is unset or equals this process's pid. systemd kills the
        service when no ``WATCHDOG=1`` arrives within this time; ping at least twice as often.

        Returns:
            The timeout in seconds, or None when no (valid) watchdog is configured for us.
        """
        if not self._watchdog_usec:
            return None
        if self._watchdog_pid:
            try:
                pid = int(self._watchdog_pid)
            except ValueError:
                return None
            if pid != os.getpid():
                return None
        try:
            usec = int(self._watchdog_usec)
        except ValueError:
            return None
        if usec <= 0:
            return None
        return usec / 1_000_000

    # ------------------------------------------------------------------ messages

    def ready(self, status: str | None = None) -> bool:
        """Tell systemd that start-up finished (``READY=1``); with ``Type=notify`` this ends "activating".

        Args:
            status: Optional status text sent in the same datagram.

        Returns:
            True when a datagram was sent.
        """
        return self._announce("READY=1", status)

    def status(self, text: str, *, force: bool = False) -> bool:
        """Set the one-line status shown by ``systemctl status`` (``STATUS=``), rate limited.

        Args:
            text: The status; newlines are replaced by spaces.
            force: Send now even if the text is unchanged or the interval has not passed.

        Returns:
            True when a datagram was sent now (False when skipped, deferred or disabled).
        """
        if not self.enabled:
            return False
        text = _one_line(text)
        with self._lock:
            now = self._clock()
            if not force:
                if text == self._last_status:
                    self._pending_status = None
                    return False
                if self._last_status_at is not None and now - self._last_status_at < self._status_interval:
                    self._pending_status = text
                    return False
            self._mark_status_sent(text, now)
            return self.notify(self._status_line(text))

    def flush(self) -> bool:
        """Send a status text that was held back by the rate limit, if any.

        Returns:
            True when a datagram was sent.
        """
        with self._lock:
            pending = self._pending_status
            if pending is None:
                return False
            return self.status(pending, force=True)

    def watchdog(self) -> bool:
        """Ping the watchdog (``WATCHDOG=1``); call it only after a frame was really processed.

        Pings closer together than :attr:`watchdog_gap` are dropped. A status text held back by
        the rate limit rides along when it is due.

        Returns:
            True when a datagram was sent.
        """
        if not self.enabled:
            return False
        with self._lock:
            now = self._clock()
            if self._last_watchdog_at is not None and now - self._last_watchdog_at < self.watchdog_gap:
                return False
            self._last_watchdog_at = now
            lines = ["WATCHDOG=1"]
            pending = self._pending_status
            if pending is not None and (
                self._last_status_at is None or now - self._last_status_at >= self._status_interval
            ):
                lines.append(self._status_line(pending))
                self._mark_status_sent(pending, now)
            return self.notify(*lines)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start-up or stop time (``EXTEND_TIMEOUT_USEC=``), e.g. while a camera warms up.

        Args:
            seconds: How long from now systemd should wait before timing out.

        Returns:
            True when a datagram was sent.
        """
        return self.notify(f"EXTEND_TIMEOUT_USEC={max(0, int(seconds * 1_000_000))}")

    def stopping(self, status: str | None = None) -> bool:
        """Tell systemd the service is shutting down (``STOPPING=1``).

        Args:
            status: Optional final status text sent in the same datagram.

        Returns:
            True when a datagram was sent.
        """
        return self._announce("STOPPING=1", status)

    def _announce(self, state: str, status: str | None) -> bool:
        """Send a state change (``READY=1``, ``STOPPING=1``) with an optional status text."""
        lines = [state]
        with self._lock:
            if status is not None:
                lines.append(self._status_line(status))
                self._mark_status_sent(status)
            return self.notify(*lines)

    def notify(self, *assignments: str) -> bool:
        """Send raw ``KEY=value`` assignments in one datagram.

        Args:
            *assignments: Lines such as ``"READY=1"``; none may contain a newline.

        Returns:
            True when the datagram was sent; False when disabled or the send failed (logged).
        """
        if self._address is None or not assignments:
            return False
        payload = "\n".join(assignments).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.sendto(payload, self._address)
            except OSError as exc:
                self._report_failure(exc)
                self._close_socket()
                return False
        return True

    def close(self) -> None:
        """Close the socket; a later message opens a new one."""
        with self._lock:
            self._close_socket()

    # ------------------------------------------------------------------ helpers

    def _status_line(self, text: str) -> str:
        return f"STATUS={_one_line(text)}"

    def _mark_status_sent(self, text: str, now: float | None = None) -> None:
        self._last_status = _one_line(text)
        self._last_status_at = self._clock() if now is None else now
        self._pending_status = None

    def _close_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _report_failure(self, exc: OSError) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "cannot notify systemd via %s: %s (further failures are logged at DEBUG)", self._socket_path, exc
            )
        else:
            log.debug("cannot notify systemd via %s: %s", self._socket_path, exc)

    def __repr__(self) -> str:
        return f"SystemdNotifier(socket={self._socket_path!r}, watchdog={self.watchdog_interval()!r})"


def _one_line(text: str) -> str:
    return " ".join(text.splitlines()).strip()
