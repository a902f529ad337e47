"""The fleet view: a live table of the kiosks that publish to an MQTT broker (``emojify fleet``).

Subscribes to ``emojify/+/status`` and ``emojify/+/summary`` (both retained, so the table fills
as soon as the subscription is made) and prints one row per device: online or offline, when it
was last heard of, its frame rate and the emotion counts of its last summary.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edge.config.schema import MqttConfig
from edge.core.labels import LABELS
from edge.core.text import one_line, shorten
from edge.telemetry.mqtt_client import (
    TOPIC_ROOT,
    configure_client,
    on_paho_log,
    paho_client,
    parse_url,
    probe,
    require_paho,
)

log = logging.getLogger(__name__)

_ABBREV = {
    "angry": "ang",
    "disgust": "dis",
    "fear": "fea",
    "happy": "hap",
    "sad": "sad",
    "surprise": "sur",
    "neutral": "neu",
}


#: Anything a broker client publishes is cut to these sizes before it is kept or shown.
MAX_PAYLOAD = 64 * 1024
MAX_TEXT = 40
MAX_DEVICES = 1000
MAX_COUNT = 10**12
MAX_FPS = 1000.0
#: How far ahead of this machine's clock a device's time stamp may be (clock skew) before it is not believed.
MAX_CLOCK_AHEAD = 300.0


def clean_text(value: object, limit: int = MAX_TEXT) -> str:
    """A published string made safe for a terminal: no escape sequences, newlines or invisible marks, bounded."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch for ch in one_line(value) if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))
    return shorten(text, limit)


def _count(value: object) -> int | None:
    """A count as published, or ``None`` when it is not a whole number from 0 to :data:`MAX_COUNT`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return None
    return value


def _fps(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and 0.0 <= value <= MAX_FPS else None


@dataclass
class DeviceRow:
    """What the fleet view knows about one device."""

    device: str
    online: bool | None = None
    last_seen: float | None = None  # epoch seconds
    hostname: str = ""
    version: str = ""
    model: str = ""
    fps: float | None = None
    dropped: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _epoch(ts: Any) -> float | None:
    """Epoch seconds of an ISO-8601 time stamp, or None."""
    if not isinstance(ts, str) or len(ts) > 64:
        return None
    try:
        return datetime.fromisoformat(ts).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m ago"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h ago"
    return f"{seconds / 86400:.1f}d ago"


class FleetView:
    """Devices seen on ``emojify/+/status`` and ``emojify/+/summary`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, DeviceRow] = {}

    def update(self, topic: str, payload: bytes, retained: bool = False, received: float | None = None) -> None:
        """Take one message into the table.

        Args:
            topic: ``emojify/<device>/status`` or ``emojify/<device>/summary``; others are ignored.
            payload: The JSON payload; an empty one (a cleared retained message) forgets the device.
            retained: The broker replayed a stored message: its time is the payload's ``ts``, not now.
            received: Arrival time (epoch seconds; default now).
        """
        parts = topic.split("/")
        if len(parts) != 3 or parts[2] not in ("status", "summary") or len(payload) > MAX_PAYLOAD:
            return
        device, kind = clean_text(parts[1], 64), parts[2]
        received = time.time() if received is None else received
        with self._lock:
            if not payload:
                self._devices.pop(device, None)
                return
            try:
                data = json.loads(payload)
            except (ValueError, UnicodeDecodeError, RecursionError):
                log.debug("not JSON on %s", clean_text(topic, 80))
                return
            if not isinstance(data, dict) or not device:
                return
            if device not in self._devices and len(self._devices) >= MAX_DEVICES:
                return
            row = self._devices.setdefault(device, DeviceRow(device))
            self._take(row, kind, data, retained, received)

    @staticmethod
    def _take(row: DeviceRow, kind: str, data: dict[str, Any], retained: bool, received: float) -> None:
        """Copy what a message says into ``row``, keeping only values that make sense."""
        stamp = _epoch(data.get("ts"))
        if stamp is not None and stamp > received + MAX_CLOCK_AHEAD:
            stamp = None  # a device clock far ahead (year 9999) would read "0s ago" for ever
        seen = stamp if stamp is not None else (None if retained else received)
        if seen is not None:
            row.last_seen = max(row.last_seen or 0.0, min(seen, received))
        if kind == "status":
            row.online = data.get("state") == "online"
            for name in ("hostname", "version", "model"):
                if isinstance(data.get(name), str):
                    setattr(row, name, clean_text(data[name]))
            return
        row.fps = _fps(data.get("fps"))
        counts = data.get("counts")
        row.counts = {}
        if isinstance(counts, dict):
            for label in LABELS:
                value = _count(counts.get(label))
                if value is not None:
                    row.counts[label] = value
        row.dropped = _count(data.get("dropped")) or 0

    def rows(self) -> list[DeviceRow]:
        """A copy of the rows, sorted by device id."""
        with self._lock:
            return [DeviceRow(**vars(row)) for _, row in sorted(self._devices.items())]

    def render(self, now: float | None = None) -> str:
        """The table as text (one header line, one line per device)."""
        now = time.time() if now is None else now
        header = ["DEVICE", "HOST", "STATUS", "LAST SEEN", "FPS", "DROP", *(_ABBREV.get(x, x[:3]) for x in LABELS)]
        lines = [header]
        for row in self.rows():
            status = "online" if row.online else "offline" if row.online is False else "?"
            lines.append(
                [
                    row.device,
                    row.hostname or "-",
                    status,
                    _age(now - row.last_seen) if row.last_seen else "-",
                    f"{row.fps:.1f}" if row.fps is not None else "-",
                    str(row.dropped),
                    *(str(row.counts.get(label, 0)) if row.counts else "-" for label in LABELS),
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        text = [
            "  ".join(
                cell.ljust(w) if i < 4 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            for line in lines
        ]
        if len(lines) == 1:
            text.append("(no devices yet)")
        return "\n".join(text)


class FleetMonitor:
    """An MQTT subscriber that feeds a :class:`FleetView`.

    Args:
        config: The ``[mqtt]`` settings (url, username, password, ca_file).
        client_factory: Makes the MQTT client from a client id (default: paho); for tests.

    Raises:
        ConfigError: paho-mqtt is missing, or a bad ``mqtt.url`` or ``mqtt.ca_file``.
    """

    def __init__(self, config: MqttConfig, client_factory: Callable[[str], Any] | None = None) -> None:
        self.address = parse_url(config.url, config.ca_file)
        if client_factory is None:
            require_paho()
            client_factory = paho_client
        self.view = FleetView()
        self._ca_file = config.ca_file
        self.connected = threading.Event()
        self.error = ""
        self._topics = [(f"{TOPIC_ROOT}/+/status", 1), (f"{TOPIC_ROOT}/+/summary", 1)]
        self._client = client_factory(f"emojify-fleet-{uuid.uuid4().hex[:8]}")
        configure_client(self._client, self.address, config)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.suppress_exceptions = True
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_log = on_paho_log

    def start(self) -> None:
        """Connect and subscribe in paho's network thread."""
        self._client.connect_async(self.address.host, self.address.port, 30)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            self.error = f"{self.address} refused the connection: {reason_code}"
            return
        self.error = ""
        client.subscribe(self._topics)
        self.connected.set()

    def _on_connect_fail(self, _client: Any, _userdata: Any) -> None:
        if not self.error.startswith("cannot reach"):
            why = probe(self.address, self._ca_file)
            self.error = f"cannot reach {self.address}" + (f" ({why})" if why else "")

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any) -> None:
        self.connected.clear()
        if not self.error:  # keep a refusal's reason
            self.error = f"disconnected from {self.address} ({reason_code})"

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        self.view.update(message.topic, message.payload, bool(message.retain))
