"""``emojify fleet``: the live table of the kiosks publishing to an MQTT broker."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from edge.cli.numbers import positive_float
from edge.config.loader import load_config
from edge.core.errors import EmojifyError
from edge.telemetry.fleet import FleetMonitor
from edge.telemetry.mqtt_client import PASSWORD_ENV


def _heading(monitor: FleetMonitor) -> str:
    rows = monitor.view.rows()
    online = sum(1 for row in rows if row.online)
    state = "connected" if monitor.connected.is_set() else monitor.error or "connecting"
    return (
        f"emojify fleet  {monitor.address}  {state}  {len(rows)} devices, {online} online  {time.strftime('%H:%M:%S')}"
    )


def cmd_fleet(args: argparse.Namespace) -> int:
    """Show the fleet table: live (every ``--interval`` s), or once after ``--duration`` s."""
    overrides = {
        "mqtt": {
            "url": args.mqtt,
            "username": args.username,
            "password_file": args.password_file,
            "ca_file": args.ca_file,
        }
    }
    config = load_config(args.config, overrides).mqtt
    if not config.url:
        raise EmojifyError("no broker given: use --mqtt mqtt://HOST:PORT or set mqtt.url in the config file")
    monitor = FleetMonitor(config)
    monitor.start()
    once = args.once or args.duration is not None
    try:
        if once:
            deadline = time.monotonic() + (args.duration if args.duration is not None else 3.0)
            while time.monotonic() < deadline:
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            if not monitor.connected.is_set() and not monitor.view.rows():
                raise EmojifyError(
                    f"{monitor.error or f'no connection to {monitor.address}'}; check --mqtt, --ca-file, the user "
                    "name and password, and that the broker runs (systemctl status mosquitto)"
                )
            print(_heading(monitor))
            print(monitor.view.render())
            return 0
        clear = sys.stdout.isatty()
        while True:
            text = _heading(monitor) + "\n" + monitor.view.render()
            print(("\x1b[H\x1b[2J" + text) if clear else text + "\n", flush=True)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        monitor.stop()


def register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``fleet`` sub-command to the ``emojify`` parser's sub-parsers."""
    fleet = subparsers.add_parser("fleet", help="live table of the kiosks publishing to an MQTT broker")
    fleet.add_argument("--config", type=Path, help="TOML config file for mqtt.url and credentials")
    fleet.add_argument("--mqtt", help="broker: mqtt://HOST:PORT or mqtts://HOST:PORT (default: mqtt.url)")
    fleet.add_argument("--username", help="broker user name (default: mqtt.username)")
    fleet.add_argument(
        "--password-file", help=f"file holding the broker password (or set {PASSWORD_ENV}; never on the command line)"
    )
    fleet.add_argument("--ca-file", help="CA certificate for TLS (default: mqtt.ca_file)")
    fleet.add_argument("--interval", type=positive_float, default=2.0, help="seconds between refreshes (default 2)")
    fleet.add_argument("--once", action="store_true", help="print the table once (after 3 s, or --duration) and exit")
    fleet.add_argument("--duration", type=positive_float, help="collect for S seconds, print the table once and exit")
    fleet.set_defaults(func=cmd_fleet)
