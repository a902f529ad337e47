"""Fleet telemetry over MQTT: per-minute summaries, decision changes and an online/offline status.

Optional (``pip install 'emojify-edge[mqtt]'``, paho-mqtt >= 2). Expressions only: no image,
face crop or box ever leaves the device. Topics, all QoS 1::

    emojify/<device-id>/status    retained  {"state": "online", "version": ..., "model": ...}
                                            {"state": "offline", ...} (also the Last Will)
    emojify/<device-id>/summary   retained  the JSON log's summary plus "device" and "dropped"
    emojify/<device-id>/decision            {"state": "face", "label": "happy", ...} on each change

The frame loop never waits for the network. :meth:`MqttSink.handle` puts messages in a bounded
buffer (the oldest message is dropped first when it is full; the next summary counts the drops
in ``"dropped"``). A sender thread hands them to paho, at most :data:`WINDOW` unacknowledged at
a time, so that what paho holds when the connection drops (and resends first on reconnect) stays
small and the order of messages is kept. paho's own network thread (``loop_start``) reconnects
with exponential backoff (``reconnect_delay_set``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from edge import __version__
from edge.config.schema import MqttConfig
from edge.core.errors import ConfigError
from edge.core.types import FrameReport
from edge.paths import resolve as resolve_path
from edge.sinks.jsonlog import SummaryCounter, iso_now

log = logging.getLogger(__name__)

TOPIC_ROOT = "emojify"
QOS = 1
#: Messages handed to paho and not yet acknowledged by the broker (paho's own limit is 20).
WINDOW = 10
MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
URL_FORMS = "mqtt://HOST[:PORT] (default port 1883) or mqtts://HOST[:PORT] (TLS, default port 8883)"
PAHO_MISSING = "MQTT needs paho-mqtt: pip install 'emojify-edge[mqtt]'"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MQTT_ERR_SUCCESS = 0
_MQTT_ERR_NO_CONN = 4  # paho keeps a QoS 1 message it could not send yet, and sends it on (re)connect


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is, parsed from ``mqtt.url``.

    Attributes:
        host: Host name or IP address.
        port: TCP port.
        tls: Whether to connect with TLS (``mqtts://`` or a ``ca_file``).
        username: User name from the URL (``mqtt://user:pass@host``), else empty.
        password: Password from the URL, else empty.
    """

    host: str
    port: int
    tls: bool
    username: str = ""
    password: str = ""

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_url(url: str, ca_file: str = "") -> BrokerAddress:
    """Parse a broker URL.

    Args:
        url: ``mqtt://HOST[:PORT]`` or ``mqtts://HOST[:PORT]``.
        ca_file: A CA bundle; when set, ``mqtt://`` also uses TLS (and port 8883 by default).

    Raises:
        ConfigError: Naming ``mqtt.url`` and the expected forms.
    """

    def bad(reason: str) -> ConfigError:
        return ConfigError(f"mqtt.url {url!r}: {reason}; expected {URL_FORMS}")

    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts"):
        raise bad(f"unsupported scheme '{parts.scheme}'" if parts.scheme else "no scheme")
    if not parts.hostname:
        raise bad("no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad("a path, query or fragment is not allowed")
    try:
        port = parts.port
    except ValueError:
        raise bad("the port must be a number from 1 to 65535") from None
    if port == 0:
        raise bad("the port must be a number from 1 to 65535")
    tls = parts.scheme == "mqtts" or bool(ca_file)
    return BrokerAddress(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def default_device_id(machine_id_files: tuple[Path, ...] = MACHINE_ID_FILES, hostname: str | None = None) -> str:
    """A stable, short device id: a hash of the machine id, else the host name.

    The machine id is hashed (not published) because systemd asks for it to be kept private.

    Args:
        machine_id_files: Where to look for the machine id.
        hostname: The host name to fall back on (default: this machine's).
    """
    for path in machine_id_files:
        try:
            machine_id = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if machine_id:
            return hashlib.sha256(f"emojify:{machine_id}".encode()).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", hostname if hostname is not None else socket.gethostname()).strip("-.")
    return name[:64] or "emojify"


def check_device_id(device_id: str) -> str:
    """Return ``device_id`` when it is usable in a topic.

    Raises:
        ConfigError: Naming ``mqtt.device_id``.
    """
    if not _DEVICE_ID.match(device_id):
        raise ConfigError(
            f"mqtt.device_id {device_id!r}: use 1 to 64 letters, digits, '.', '_' or '-' "
            "(it becomes part of the MQTT topic; no '/', '+', '#' or spaces)"
        )
    return device_id


def topic(device_id: str, kind: str) -> str:
    """``emojify/<device-id>/<kind>``."""
    return f"{TOPIC_ROOT}/{device_id}/{kind}"


def require_paho() -> Any:
    """Import ``paho.mqtt.client`` (2.x) lazily.

    Raises:
        ConfigError: paho-mqtt is missing or is the old 1.x API (Debian's python3-paho-mqtt).
    """
    try:
        import paho.mqtt.client as mqtt
    except ImportError:
        raise ConfigError(PAHO_MISSING) from None
    if not hasattr(mqtt, "CallbackAPIVersion"):
        raise ConfigError(f"{PAHO_MISSING} (found paho-mqtt 1.x; version 2 or newer is needed)")
    return mqtt


def paho_client(client_id: str) -> Any:
    """A paho 2.x client (callback API version 2, MQTT 3.1.1, clean session)."""
    mqtt = require_paho()
    return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)


def configure_client(client: Any, address: BrokerAddress, config: MqttConfig) -> None:
    """Apply credentials and TLS to a paho client (shared with ``emojify fleet``).

    Raises:
        ConfigError: The CA file is missing or not a certificate bundle.
    """
    username = config.username or address.username
    password = config.password or address.password
    if username:
        client.username_pw_set(username, password or None)
    if password and not address.tls and address.host not in ("localhost", "127.0.0.1", "::1"):
        log.warning("the MQTT password goes to %s in clear text: use mqtts:// or mqtt.ca_file", address)
    if address.tls:
        ca_file = str(resolve_path(config.ca_file)) if config.ca_file else None
        if ca_file and not Path(ca_file).is_file():
            raise ConfigError(
                f"mqtt.ca_file {config.ca_file!r}: file not found; give the broker's CA certificate (PEM)"
            )
        try:
            client.tls_set(ca_certs=ca_file)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"mqtt.ca_file {config.ca_file!r}: cannot be used for TLS ({exc})") from None


def probe(address: BrokerAddress, ca_file: str = "", timeout: float = 2.0) -> str:
    """Why a connection to the broker fails, in a few words (paho does not say).

    Opens a TCP (and TLS) connection like paho would and returns the error, or ``""`` when the
    broker answers (then the MQTT login itself failed, or the broker went away meanwhile).
    """
    import ssl

    try:
        with socket.create_connection((address.host, address.port), timeout=timeout) as sock:
            if address.tls:
                context = ssl.create_default_context(cafile=str(resolve_path(ca_file)) if ca_file else None)
                with context.wrap_socket(sock, server_hostname=address.host):
                    pass
    except (OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return ""


@dataclass
class _Message:
    topic: str
    payload: bytes
    retain: bool = False
    carried: int = 0  # drops reported by this summary; counted again if it is dropped itself


def on_paho_log(_client: Any, _userdata: Any, _level: int, message: str) -> None:
    """Route paho's log messages (set as ``client.on_log``).

    An exception in one of our callbacks is an error; the rest (socket errors while the broker is
    away, which the sink reports once in plain words) is debug.
    """
    if message.startswith("Caught exception"):
        log.error("MQTT client: %s", message)
    else:
        log.debug("paho: %s", message)


def _dumps(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class MqttSink:
    """Publishes summaries, decision changes and an online/offline status to an MQTT broker.

    Args:
        config: The ``[mqtt]`` section.
        summary_interval: Seconds between summaries (``log.summary_interval``).
        info: Extra fields for the "online" status, e.g. ``{"model": ..., "source": ...}``.
        clock: Monotonic clock for the summary interval.
        client_factory: Makes the MQTT client from a client id (default: paho); for tests.
        reconnect_delay: ``(first, longest)`` seconds between reconnection attempts (doubling).
        keepalive: Seconds between keep-alive pings; a silent broker is noticed after about twice this.
        close_timeout: Seconds :meth:`close` waits for the buffer to reach the broker.

    Raises:
        ConfigError: paho-mqtt is missing, or a bad ``mqtt.url``, ``mqtt.device_id`` or ``mqtt.ca_file``.
    """

    def __init__(
        self,
        config: MqttConfig,
        summary_interval: float = 60.0,
        *,
        info: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        client_factory: Callable[[str], Any] | None = None,
        reconnect_delay: tuple[float, float] = (1.0, 30.0),
        keepalive: int = 30,
        close_timeout: float = 2.0,
    ) -> None:
        self.config = config
        self.address = parse_url(config.url, config.ca_file)
        self.device_id = check_device_id(config.device_id) if config.device_id else default_device_id()
        if config.ca_file and not resolve_path(config.ca_file).is_file():
            raise ConfigError(
                f"mqtt.ca_file {config.ca_file!r}: file not found; give the broker's CA certificate (PEM)"
            )
        if client_factory is None:
            require_paho()
            client_factory = paho_client
        self._client_factory = client_factory
        self.info = dict(info or {})
        self.buffer = max(1, config.buffer)
        self.reconnect_delay = reconnect_delay
        self.keepalive = keepalive
        self.close_timeout = close_timeout
        self.topics = {kind: topic(self.device_id, kind) for kind in ("status", "summary", "decision")}
        self.summary = SummaryCounter(summary_interval, clock)
        self.dropped_total = 0
        self._client: Any = None
        self._cond = threading.Condition()
        self._queue: deque[_Message] = deque()
        self._inflight = 0
        self._connected = False
        self._resync = False
        self._stop = False
        self._closed = False
        self._dropped_unreported = 0
        self._warned_full = False
        self._warned_down = False
        self._warned_refused = False
        self._ever_connected = False
        self._down_since: float | None = None
        self._last_decision: tuple[str, str | None] | None = None
        self._seen = 0
        self._sender: threading.Thread | None = None

    # -- Sink protocol ------------------------------------------------------------------------

    def open(self) -> None:
        """Start connecting in the background; an unreachable broker is only a warning.

        Raises:
            ConfigError: The TLS settings cannot be used.
        """
        if self._client is not None:
            return
        client = self._client_factory(f"emojify-{self.device_id}")
        configure_client(client, self.address, self.config)
        client.will_set(self.topics["status"], self._status_payload("offline", reason="connection lost"), QOS, True)
        low, high = self.reconnect_delay
        # paho annotates the delays as int but sleeps on any number: fractions work (tests use them).
        client.reconnect_delay_set(min_delay=low, max_delay=high)
        client.suppress_exceptions = True  # a bug in a callback must not stop the network thread
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_log = on_paho_log
        self._client = client
        self._down_since = time.monotonic()
        log.info("MQTT: device %s, connecting to %s", self.device_id, self.address)
        client.connect_async(self.address.host, self.address.port, self.keepalive)
        client.loop_start()
        self._sender = threading.Thread(target=self._send_loop, name="mqtt-sender", daemon=True)
        self._sender.start()

    def handle(self, report: FrameReport) -> None:
        """Count the frame; queue a decision change and, when due, the summary. Never blocks."""
        self._seen += 1
        decision = report.decision
        if self.config.publish_decisions:
            key = (decision.state, decision.label)
            if key != self._last_decision:
                self._last_decision = key
                payload = {
                    "type": "decision",
                    "ts": iso_now(),
                    "device": self.device_id,
                    "state": decision.state,
                    "label": decision.label,
                    "confidence": round(float(decision.confidence), 4),
                    "frame": report.frame.index,
                }
                self._enqueue(_Message(self.topics["decision"], _dumps(payload)))
        summary = self.summary.add(report)
        if summary is not None:
            self._enqueue_summary(summary)

    def poll_quit(self) -> bool:
        """Telemetry never asks to quit."""
        return False

    def close(self) -> None:
        """Publish the partial summary and "offline", wait up to ``close_timeout`` s, disconnect."""
        if self._closed:
            return
        self._closed = True
        if self._seen:
            last = self.summary.flush()
            if last["frames"]:
                self._enqueue_summary(last)
        client = self._client
        if client is None:
            return
        if self.connected:
            self.flush(self.close_timeout)
        with self._cond:
            left = len(self._queue) + self._inflight
            self._stop = True
            self._cond.notify_all()
        if left:
            log.warning("MQTT: %d telemetry messages were not delivered to %s", left, self.address)
        if self._sender is not None:
            self._sender.join(timeout=1.0)
        if self.connected:
            try:
                info = client.publish(
                    self.topics["status"], self._status_payload("offline", reason="stopped"), QOS, True
                )
                info.wait_for_publish(timeout=1.0)
            except (RuntimeError, ValueError, OSError) as exc:
                log.debug("MQTT: offline status not sent: %s", exc)
        client.disconnect()
        client.loop_stop()

    # -- state for callers and tests ----------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the broker accepted the connection (and it has not dropped since)."""
        with self._cond:
            return self._connected

    @property
    def pending(self) -> int:
        """Messages not yet acknowledged by the broker (buffered plus in flight)."""
        with self._cond:
            return len(self._queue) + self._inflight

    def flush(self, timeout: float) -> bool:
        """Wait until the broker has acknowledged everything queued; False after ``timeout`` s."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and self._inflight == 0, timeout)

    # -- buffer ------------------------------------------------------------------------------

    def _make_room(self) -> None:
        """Drop the oldest buffered message when the buffer is full (caller holds the lock)."""
        if len(self._queue) < self.buffer:
            return
        old = self._queue.popleft()
        self.dropped_total += 1
        self._dropped_unreported += 1 + old.carried
        if not self._warned_full:
            self._warned_full = True
            log.warning(
                "MQTT: buffer full (%d messages): dropping the oldest until %s is back", self.buffer, self.address
            )

    def _enqueue(self, message: _Message) -> None:
        with self._cond:
            self._make_room()
            self._queue.append(message)
            self._cond.notify_all()

    def _enqueue_summary(self, summary: dict[str, Any]) -> None:
        with self._cond:
            self._make_room()
            dropped, self._dropped_unreported = self._dropped_unreported, 0
            payload = {**summary, "device": self.device_id, "dropped": dropped}
            self._queue.append(_Message(self.topics["summary"], _dumps(payload), retain=True, carried=dropped))
            self._cond.notify_all()

    def _can_send(self) -> bool:
        return self._connected and not self._resync and self._inflight < WINDOW and bool(self._queue)

    def _send_loop(self) -> None:
        """The only thread that hands buffered messages to paho, in order."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stop or self._can_send())
                if self._stop:
                    return
                message = self._queue.popleft()
                self._inflight += 1
            # Never call paho while holding our lock: paho calls on_publish holding its own.
            try:
                rc = int(self._client.publish(message.topic, message.payload, QOS, message.retain).rc)
            except (ValueError, TypeError, OSError) as exc:
                log.error("MQTT: cannot publish to %s: %s", message.topic, exc)
                rc = -1
            if rc not in (_MQTT_ERR_SUCCESS, _MQTT_ERR_NO_CONN):
                with self._cond:
                    self._inflight -= 1
                    self.dropped_total += 1
                    self._dropped_unreported += 1 + message.carried
                    self._cond.notify_all()
                log.warning("MQTT: message to %s not accepted by the client (rc %s)", message.topic, rc)

    # -- paho callbacks (network thread) -------------------------------------------------------

    def _status_payload(self, state: str, **extra: Any) -> bytes:
        payload: dict[str, Any] = {"state": state, "device": self.device_id, "hostname": socket.gethostname()}
        if state == "online":
            payload.update(
                ts=iso_now(),
                version=__version__,
                summary_interval=self.summary.interval,
                publish_decisions=self.config.publish_decisions,
            )
            payload.update(self.info)
        payload.update(extra)
        return _dumps(payload)

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            with self._cond:
                first, self._warned_refused = not self._warned_refused, True
            (log.error if first else log.debug)(
                "MQTT: %s refused the connection: %s (check mqtt.username, mqtt.password and the broker's ACL)",
                self.address,
                reason_code,
            )
            return
        with self._cond:
            self._connected = True
            # paho resends what it still holds after this callback returns; wait for those (and
            # the status below) to be acknowledged before sending newer messages, to keep the order.
            self._resync = True
            self._inflight += 1
            waiting = len(self._queue) + self._inflight - 1
            self._warned_full = False
            self._warned_down = False
            self._warned_refused = False
            down = time.monotonic() - self._down_since if self._down_since is not None else 0.0
            self._down_since = None
            self._cond.notify_all()
        if self._ever_connected:
            log.info("MQTT: reconnected to %s after %.1f s; sending %d buffered messages", self.address, down, waiting)
        else:
            log.info("MQTT: connected to %s as %s", self.address, self.topics["status"].rsplit("/", 1)[0])
        self._ever_connected = True
        rc = int(client.publish(self.topics["status"], self._status_payload("online"), QOS, True).rc)
        if rc not in (_MQTT_ERR_SUCCESS, _MQTT_ERR_NO_CONN):
            with self._cond:
                self._inflight -= 1
                self._resync = self._inflight > 0
                self._cond.notify_all()

    def _on_connect_fail(self, _client: Any, _userdata: Any) -> None:
        with self._cond:
            first = not self._warned_down
            self._warned_down = True
            waiting = len(self._queue)
        if first:
            why = probe(self.address, self.config.ca_file)  # in paho's thread, once per outage
            log.warning(
                "MQTT: cannot reach %s%s; running on, buffering up to %d messages (%d now) and retrying every %g-%g s",
                self.address,
                f" ({why})" if why else "",
                self.buffer,
                waiting,
                *self.reconnect_delay,
            )
        else:
            log.debug("MQTT: %s still unreachable", self.address)

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any) -> None:
        with self._cond:
            was = self._connected
            self._connected = False
            if was:
                self._down_since = time.monotonic()
            self._cond.notify_all()
        if was and not self._stop:
            reason = "closed by the broker or the network" if str(reason_code) == "Unspecified error" else reason_code
            log.warning("MQTT: lost the connection to %s (%s); buffering and reconnecting", self.address, reason)

    def _on_publish(self, _client: Any, _userdata: Any, _mid: int, _reason_code: Any, _properties: Any) -> None:
        with self._cond:
            self._inflight = max(0, self._inflight - 1)
            if self._inflight == 0:
                self._resync = False
            self._cond.notify_all()
