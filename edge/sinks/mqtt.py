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

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edge import __version__
from edge.config.schema import MqttConfig
from edge.core.types import FrameReport, RunInfo
from edge.sinks.base import SinkSetup
from edge.sinks.json_text import to_json
from edge.sinks.summary import SummaryCounter, iso_now
from edge.telemetry.mqtt_client import (
    QOS,
    check_ca_file,
    check_device_id,
    configure_client,
    default_device_id,
    on_paho_log,
    paho_client,
    parse_url,
    probe,
    require_paho,
    topic,
)

log = logging.getLogger(__name__)

#: Messages handed to paho and not yet acknowledged by the broker (paho's own limit is 20).
WINDOW = 10
_MQTT_ERR_SUCCESS = 0
_MQTT_ERR_NO_CONN = 4  # paho keeps a QoS 1 message it could not send yet, and sends it on (re)connect


@dataclass
class _Message:
    topic: str
    payload: bytes
    retain: bool = False
    carried: int = 0  # drops reported by this summary; counted again if it is dropped itself


def _dumps(obj: Mapping[str, Any]) -> bytes:
    return to_json(obj).encode()


class MqttSink:
    """Publishes summaries, decision changes and an online/offline status to an MQTT broker.

    Args:
        config: The ``[mqtt]`` section.
        summary_interval: Seconds between summaries (``log.summary_interval``), when no shared ``summary``.
        clock: Monotonic clock for the summary interval.
        client_factory: Makes the MQTT client from a client id (default: paho); for tests.
        reconnect_delay: ``(first, longest)`` seconds between reconnection attempts (doubling).
        keepalive: Seconds between keep-alive pings; a silent broker is noticed after about twice this.
        close_timeout: Seconds :meth:`close` waits for the buffer to reach the broker.
        summary: The run's shared summary counter (see :mod:`edge.sinks.summary`).

    Raises:
        ConfigError: paho-mqtt is missing, or a bad ``mqtt.url``, ``mqtt.device_id`` or ``mqtt.ca_file``.
    """

    def __init__(
        self,
        config: MqttConfig,
        summary_interval: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        client_factory: Callable[[str], Any] | None = None,
        reconnect_delay: tuple[float, float] = (1.0, 30.0),
        keepalive: int = 30,
        close_timeout: float = 2.0,
        summary: SummaryCounter | None = None,
    ) -> None:
        self.config = config
        self.address = parse_url(config.url, config.ca_file)
        self.device_id = check_device_id(config.device_id) if config.device_id else default_device_id()
        check_ca_file(config)
        if client_factory is None:
            require_paho()
            client_factory = paho_client
        self._client_factory = client_factory
        self.info: dict[str, Any] = {}
        self.buffer = max(1, config.buffer)
        self.reconnect_delay = reconnect_delay
        self.keepalive = keepalive
        self.close_timeout = close_timeout
        self.topics = {kind: topic(self.device_id, kind) for kind in ("status", "summary", "decision")}
        self.summary = summary or SummaryCounter(summary_interval, clock)
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

    def open(self, info: RunInfo | None = None) -> None:
        """Start connecting in the background; an unreachable broker is only a warning.

        Args:
            info: What this run is made of; the "online" status names its model and source.

        Raises:
            ConfigError: The TLS settings cannot be used.
        """
        if self._client is not None:
            return
        if info is not None:
            self.info = {"model": info.model_on, "source": info.source}
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


def from_config(setup: SinkSetup) -> MqttSink | None:
    """Telemetry when ``mqtt.url`` is set (see :mod:`edge.sinks.registry`)."""
    if not setup.config.mqtt.url:
        return None
    return MqttSink(setup.config.mqtt, setup.config.log.summary_interval, summary=setup.summary)
