"""MQTT client wiring shared by the telemetry sink and ``emojify fleet``: broker URLs, device ids, paho.

paho-mqtt (>= 2) is optional (``pip install 'emojify-edge[mqtt]'``) and imported on first use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from edge.config.schema import MqttConfig
from edge.core.errors import ConfigError
from edge.core.text import quote, redact_url
from edge.paths import resolve as resolve_path
from edge.system.files import NotAFileError, inspect_path, os_reason, read_limited

log = logging.getLogger(__name__)

TOPIC_ROOT = "emojify"
QOS = 1
MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
URL_FORMS = "mqtt://HOST[:PORT] (default port 1883) or mqtts://HOST[:PORT] (TLS, default port 8883)"
PAHO_MISSING = "MQTT needs paho-mqtt: pip install 'emojify-edge[mqtt]'"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: The environment variable that holds the broker password (the way to give it without writing it down).
PASSWORD_ENV = "MQTT_PASSWORD"


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
        return ConfigError(f"mqtt.url {quote(redact_url(url))}: {reason}; expected {URL_FORMS}")

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
            f"mqtt.device_id {quote(device_id, 40)}: use 1 to 64 letters, digits, '.', '_' or '-' "
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
    _local_wakeup_pipe(mqtt)
    return mqtt


def _unix_socketpair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def _local_wakeup_pipe(mqtt: Any) -> None:
    """Make paho's wake-up pipe a Unix socket pair instead of a TCP one.

    paho 2.x builds the pipe that wakes its network thread by listening on a random TCP port of
    127.0.0.1 and connecting to itself (a trick for Windows). For that moment any local process
    could connect, and the product promises no listening socket at all; a Unix socket pair does
    the same job without one. Left alone when paho no longer has the helper.
    """
    if hasattr(mqtt, "_socketpair_compat") and hasattr(socket, "AF_UNIX"):
        mqtt._socketpair_compat = _unix_socketpair


def paho_client(client_id: str) -> Any:
    """A paho 2.x client (callback API version 2, MQTT 3.1.1, clean session)."""
    mqtt = require_paho()
    return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)


def broker_password(config: MqttConfig, address: BrokerAddress, environ: dict[str, str] | None = None) -> str:
    """The broker password: ``mqtt.password_file``, else ``$MQTT_PASSWORD``, else ``mqtt.password``, else the URL's.

    Raises:
        ConfigError: ``mqtt.password_file`` cannot be read (its contents are never shown).
    """
    if config.password_file:
        where = f"mqtt.password_file {quote(config.password_file)}"
        try:
            raw = read_limited(resolve_path(config.password_file), 4096)
        except (NotAFileError, OSError) as exc:
            raise ConfigError(f"{where}: cannot be read ({os_reason(exc)}); give a file holding the password") from None
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise ConfigError(f"{where}: not UTF-8 text; the file must hold the password on its first line") from None
        return lines[0].strip() if lines else ""
    env = os.environ if environ is None else environ
    return env.get(PASSWORD_ENV) or config.password or address.password


def check_ca_file(config: MqttConfig) -> str | None:
    """The CA file to use, or ``None`` for the system's.

    Raises:
        ConfigError: ``mqtt.ca_file`` is not a file.
    """
    if not config.ca_file:
        return None
    path = resolve_path(config.ca_file)
    info = inspect_path(path)
    if not info.usable_file:
        raise ConfigError(
            f"mqtt.ca_file {quote(config.ca_file)}: {'file not found' if info.kind == 'missing' else info.describe()}; "
            "give the broker's CA certificate (PEM)"
        )
    return str(path)


def check_mqtt(config: MqttConfig) -> BrokerAddress:
    """Everything the telemetry sink and ``emojify fleet`` would refuse about ``[mqtt]``, checked without connecting.

    Raises:
        ConfigError: A bad URL, device id, CA file or password file, or paho-mqtt missing.
    """
    address = parse_url(config.url, config.ca_file)
    if config.device_id:
        check_device_id(config.device_id)
    check_ca_file(config)
    broker_password(config, address)
    require_paho()
    return address


def configure_client(client: Any, address: BrokerAddress, config: MqttConfig) -> None:
    """Apply credentials and TLS to a paho client (shared with ``emojify fleet``).

    Raises:
        ConfigError: The CA file or the password file cannot be used.
    """
    username = config.username or address.username
    password = broker_password(config, address)
    if username:
        client.username_pw_set(username, password or None)
    if password and not address.tls and address.host not in ("localhost", "127.0.0.1", "::1"):
        log.warning("the MQTT password goes to %s in clear text: use mqtts:// or mqtt.ca_file", address)
    if address.tls:
        ca_file = check_ca_file(config)
        try:
            client.tls_set(ca_certs=ca_file)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"mqtt.ca_file {quote(config.ca_file)}: cannot be used for TLS ({exc})") from None


def probe(address: BrokerAddress, ca_file: str = "", timeout: float = 2.0) -> str:
    """Why a connection to the broker fails, in a few words (paho does not say).

    Opens a TCP (and TLS) connection like paho would and returns the error, or ``""`` when the
    broker answers (then the MQTT login itself failed, or the broker went away meanwhile).
    """
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout) as sock:
            if address.tls:
                context = ssl.create_default_context(cafile=str(resolve_path(ca_file)) if ca_file else None)
                with context.wrap_socket(sock, server_hostname=address.host):
                    pass
    except (OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return ""


def on_paho_log(_client: Any, _userdata: Any, _level: int, message: str) -> None:
    """Route paho's log messages (set as ``client.on_log``).

    An exception in one of our callbacks is an error; the rest (socket errors while the broker is
    away, which the sink reports once in plain words) is debug.
    """
    if message.startswith("Caught exception"):
        log.error("MQTT client: %s", message)
    else:
        log.debug("paho: %s", message)
