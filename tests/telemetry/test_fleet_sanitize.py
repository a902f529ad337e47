"""emojify fleet shows what broker clients publish: anything hostile is made harmless before it is shown."""

from __future__ import annotations

import json

from edge.telemetry.fleet import MAX_DEVICES, FleetView
from tests.cli.test_run_e2e import run_cli

NOW = 1_800_000_000.0


def render(*messages: tuple[str, dict | bytes], now: float = NOW) -> str:
    view = FleetView()
    for topic, payload in messages:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        view.update(topic, raw, received=now)
    return view.render(now=now)


def test_fleet_sanitises_terminal_escapes_and_newlines_from_broker_clients():
    text = render(
        ("emojify/evil\x1b[2J/status", {"state": "online", "hostname": "pi\x1b]0;owned\x07\nFORGED  online  0s ago"}),
        ("emojify/b/status", {"state": "online", "hostname": "a\u202eevil", "version": "\x9b31m"}),
    )
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\x9b" not in text
    assert len(text.splitlines()) == 3  # header + two devices: a newline in a host name forges no row
    assert not any(line.startswith("FORGED") for line in text.splitlines())


def test_fleet_truncates_huge_strings_and_payloads():
    huge = "h" * 2_000_000
    text = render(
        ("emojify/a/status", {"state": "online", "hostname": huge}), ("emojify/" + "d" * 5000 + "/status", {})
    )
    assert len(text) < 2000
    assert render(("emojify/b/status", b'{"state":"online","x":"' + b"y" * 100_000 + b'"}')).endswith(
        "(no devices yet)"
    )


def test_fleet_year_9999_timestamp_is_not_believed():
    text = render(("emojify/a/status", {"state": "online", "ts": "9999-12-31T23:59:59+00:00"}))
    view = FleetView()
    view.update("emojify/a/status", b'{"state":"online","ts":"9999-12-31T23:59:59+00:00"}', received=NOW)
    assert view.rows()[0].last_seen == NOW  # the time it arrived, not year 9999
    assert "0s ago" in text
    later = view.render(now=NOW + 600)
    assert "10m ago" in later  # it ages like any other message


def test_fleet_nan_and_negative_counts_are_not_shown_as_data():
    summary = b'{"fps": NaN, "dropped": -5, "counts": {"happy": -3, "sad": 1e300, "angry": true, "neutral": 7}}'
    view = FleetView()
    view.update("emojify/a/summary", summary, received=NOW)
    row = view.rows()[0]
    assert row.fps is None and row.dropped == 0 and row.counts == {"neutral": 7}
    view.update("emojify/a/summary", b'{"fps": -1, "counts": []}', received=NOW)
    assert view.rows()[0].fps is None and "nan" not in view.render(now=NOW).lower()


def test_fleet_keeps_a_bounded_number_of_devices():
    view = FleetView()
    for n in range(MAX_DEVICES + 50):
        view.update(f"emojify/d{n}/status", b'{"state":"online"}', received=NOW)
    assert len(view.rows()) == MAX_DEVICES


def test_fleet_interval_zero_or_negative_is_refused(tmp_path):
    for value in ("0", "-1", "nan"):
        result = run_cli(["fleet", "--mqtt", "mqtt://127.0.0.1:1", "--interval", value], tmp_path, timeout=30)
        assert result.returncode == 2 and "--interval" in result.stderr and "Traceback" not in result.stderr


def test_paho_wakeup_pipe_never_listens_on_tcp():
    import socket

    from edge.telemetry.mqtt_client import paho_client, require_paho

    mqtt = require_paho()
    read, write = mqtt._socketpair_compat()
    try:
        assert read.family == socket.AF_UNIX and write.family == socket.AF_UNIX
    finally:
        read.close()
        write.close()
    client = paho_client("test-wakeup")
    client.loop_start()  # builds the pipe the way a running sink does
    try:
        assert client._sockpairR.family == socket.AF_UNIX
    finally:
        client.loop_stop()
