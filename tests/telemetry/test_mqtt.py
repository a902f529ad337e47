"""MQTT sink and ``emojify fleet``: against a real Mosquitto broker on 127.0.0.1, and a fake client.

The broker tests start their own ``mosquitto`` on a free loopback port with a temporary config
file, and skip (with the reason) when the binary is not installed: ``apt-get install mosquitto``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pwd
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.cli.fleet import register_commands
from edge.config.schema import MqttConfig
from edge.core.errors import ConfigError
from edge.core.types import Decision, Frame, FrameReport, RunInfo
from edge.sinks.mqtt import MqttSink
from edge.telemetry.fleet import FleetView
from edge.telemetry.mqtt_client import check_device_id, default_device_id, parse_url
from tests.fakes import FakeClient, FakeClock, FakeReason

ROOT = Path(__file__).resolve().parents[2]
FAST = (0.1, 0.5)  # reconnect delays for the tests (the product uses 1..30 s)


# -- helpers ---------------------------------------------------------------------------------


def report(index: int, state: str = "face", label: str | None = "happy", confidence: float = 0.9) -> FrameReport:
    frame = Frame(gray=np.zeros((4, 4), np.uint8), index=index, timestamp=float(index))
    return FrameReport(frame, [], Decision(state, label, confidence, np.zeros(7, np.float32)))  # type: ignore[arg-type]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None
    )


class Broker:
    """A mosquitto process on 127.0.0.1:``port``, restartable on the same port."""

    def __init__(self, exe: str, workdir: Path, security: str = "allow_anonymous true\n") -> None:
        self.exe = exe
        self.workdir = workdir
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n{security}"
            f"persistence true\npersistence_location {workdir}/\n"
            # as root mosquitto would switch to the 'mosquitto' user, who cannot use the temp folder
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.workdir / "mosquitto.log").open("ab")
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def listening() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return True
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_until(listening, 5.0)
        if self.proc.poll() is not None or not listening():
            raise RuntimeError(f"mosquitto did not start:\n{(self.workdir / 'mosquitto.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@pytest.fixture
def paho() -> Any:
    return pytest.importorskip(
        "paho.mqtt.client", reason="paho-mqtt is not installed (pip install 'emojify-edge[mqtt]')"
    )


@pytest.fixture
def mosquitto_exe(paho: Any) -> str:
    exe = mosquitto_binary()
    if exe is None:
        pytest.skip("the mosquitto broker is not installed (apt-get install mosquitto)")
    return exe


@pytest.fixture
def broker(mosquitto_exe: str, tmp_path: Path) -> Iterator[Broker]:
    b = Broker(mosquitto_exe, tmp_path)
    b.start()
    yield b
    b.stop()


class Subscriber:
    """A paho client collecting messages; ``persistent`` keeps its session over a broker restart."""

    def __init__(
        self, port: int, topics: list[str], persistent: bool = False, tls: dict[str, Any] | None = None
    ) -> None:
        import paho.mqtt.client as mqtt

        self.messages: queue.Queue[tuple[str, Any, bool]] = queue.Queue()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-{uuid.uuid4().hex[:8]}",
            clean_session=not persistent,
            protocol=mqtt.MQTTv311,
        )
        if tls:
            self.client.tls_set(ca_certs=tls["ca"])
            self.client.username_pw_set(tls["user"], tls["password"])
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)  # type: ignore[arg-type]

        def on_connect(client: Any, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
            if not flags.session_present:  # a restored session still has its subscriptions
                client.subscribe([(t, 1) for t in topics])

        def on_subscribe(*_args: Any) -> None:
            self.subscribed.set()

        def on_message(_c: Any, _u: Any, msg: Any) -> None:
            payload = json.loads(msg.payload) if msg.payload else None
            self.messages.put((msg.topic, payload, bool(msg.retain)))

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect_async("127.0.0.1", port, 10)
        self.client.loop_start()
        assert self.subscribed.wait(5), "test subscriber could not subscribe"

    def take(self, count: int, accept: Callable[[str, Any, bool], bool], timeout: float = 5.0) -> list[tuple[str, Any]]:
        """The next ``count`` accepted messages (fails after ``timeout`` s)."""
        got: list[tuple[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                topic, payload, retained = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if accept(topic, payload, retained):
                got.append((topic, payload))
        assert len(got) == count, f"got {len(got)} of {count} messages: {got}"
        return got

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def make_sink(url: str, clock: FakeClock, **kwargs: Any) -> MqttSink:
    fields = {"device_id": "kiosk-1", "publish_decisions": True, "buffer": 100}
    config = MqttConfig(url=url, **{**fields, **{k: v for k, v in kwargs.items() if k in MqttConfig.__struct_fields__}})
    extra = {k: v for k, v in kwargs.items() if k not in MqttConfig.__struct_fields__}
    return MqttSink(config, 10.0, clock=clock, reconnect_delay=FAST, **extra)


def is_live(kind: str) -> Callable[[str, Any, bool], bool]:
    return lambda topic, _payload, retained: topic.endswith("/" + kind) and not retained


# -- against a real broker -------------------------------------------------------------------


def test_topics_and_payloads(broker: Broker) -> None:
    sub = Subscriber(broker.port, ["emojify/kiosk-1/#"])
    clock = FakeClock()
    sink = make_sink(broker.url, clock)
    try:
        sink.open(RunInfo(source="demo", model="emotion_int8.tflite", delegate="cpu"))
        [(_, status)] = sub.take(1, lambda t, p, r: t == "emojify/kiosk-1/status")
        assert status["state"] == "online" and status["device"] == "kiosk-1"
        assert status["model"] == "emotion_int8.tflite (cpu)" and status["source"] == "demo" and status["version"]

        decisions = [("face", "happy")] * 3 + [("face", "sad")] * 2 + [("no_face", None)]
        for i, (state, label) in enumerate(decisions):
            sink.handle(report(i, state, label))
        clock.t += 10.0
        sink.handle(report(6, "no_face", None))

        got = sub.take(3, is_live("decision"))
        assert [(p["state"], p["label"], p["frame"]) for _, p in got] == [
            ("face", "happy", 0),
            ("face", "sad", 3),
            ("no_face", None, 5),
        ]
        [(topic, summary)] = sub.take(1, is_live("summary"))
        assert topic == "emojify/kiosk-1/summary"
        assert summary["type"] == "summary" and summary["device"] == "kiosk-1" and summary["dropped"] == 0
        assert summary["frames"] == 7 and summary["counts"]["happy"] == 3 and summary["counts"]["sad"] == 2
        assert summary["states"] == {"face": 5, "no_face": 2}
        assert "faces" not in summary and "box" not in json.dumps(summary)  # expressions only
    finally:
        sink.close()
    [(_, bye)] = sub.take(1, lambda t, p, r: t.endswith("/status"))
    assert bye == {"state": "offline", "device": "kiosk-1", "hostname": socket.gethostname(), "reason": "stopped"}
    sub.close()


PUBLISHER = """
import sys, time
from edge.config.schema import MqttConfig
from edge.sinks.mqtt import MqttSink
sink = MqttSink(MqttConfig(url=sys.argv[1], device_id="kiosk-kill"), 60.0, reconnect_delay=(0.1, 0.5))
sink.open()
deadline = time.monotonic() + 5
while not sink.connected and time.monotonic() < deadline:
    time.sleep(0.02)
print("connected" if sink.connected else "not connected", flush=True)
time.sleep(60)
"""


def test_last_will_when_the_process_is_killed(broker: Broker) -> None:
    sub = Subscriber(broker.port, ["emojify/kiosk-kill/status"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, broker.url], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        [(_, online)] = sub.take(1, lambda t, p, r: True, timeout=10)
        assert online["state"] == "online"
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        [(_, offline)] = sub.take(1, lambda t, p, r: True, timeout=5)
        assert offline == {
            "state": "offline",
            "device": "kiosk-kill",
            "hostname": socket.gethostname(),
            "reason": "connection lost",
        }
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if proc.stdout:
            proc.stdout.close()
        sub.close()
    # the Last Will is retained: a late subscriber sees the kiosk offline
    late = Subscriber(broker.port, ["emojify/kiosk-kill/status"])
    [(_, seen)] = late.take(1, lambda t, p, r: r)
    assert seen["state"] == "offline"
    late.close()


def _stop_broker(broker: Broker, sink: MqttSink) -> None:
    broker.stop()
    assert wait_until(lambda: not sink.connected, 5), "the sink did not notice the broker going away"


def test_broker_restart_loses_nothing_that_fits_in_the_buffer(broker: Broker) -> None:
    sub = Subscriber(broker.port, ["emojify/kiosk-1/summary", "emojify/kiosk-1/decision"], persistent=True)
    clock = FakeClock()
    sink = make_sink(broker.url, clock, buffer=50)
    try:
        sink.open()
        assert wait_until(lambda: sink.connected)
        _stop_broker(broker, sink)
        expected = []
        for i in range(10):  # 10 decision changes and 10 summaries = 20 messages while down
            label = ("happy", "sad")[i % 2]
            sink.handle(report(2 * i, "face", label))
            expected.append(("decision", 2 * i))
            clock.t += 10.0
            sink.handle(report(2 * i + 1, "face", label))
            expected.append(("summary", 2))
        assert sink.pending == 20 and sink.dropped_total == 0
        t0 = time.monotonic()
        broker.start()
        assert wait_until(lambda: sink.connected, 5)
        reconnect_s = time.monotonic() - t0
        got = sub.take(20, lambda t, p, r: not r, timeout=5)
        assert [(t.rsplit("/", 1)[1], p["frame"] if "frame" in p else p["frames"]) for t, p in got] == expected
        assert all(p["dropped"] == 0 for t, p in got if t.endswith("summary"))
        assert sink.flush(2) and sink.pending == 0
        assert reconnect_s < 2.0
    finally:
        sink.close()
        sub.close()


def test_buffer_stays_bounded_while_the_broker_is_down(broker: Broker) -> None:
    sub = Subscriber(broker.port, ["emojify/kiosk-1/summary"], persistent=True)
    clock = FakeClock()
    sink = make_sink(broker.url, clock, buffer=5, publish_decisions=False)
    try:
        sink.open()
        assert wait_until(lambda: sink.connected)
        _stop_broker(broker, sink)
        frame = 0
        for n in range(1, 13):  # summary n counts n frames
            for _ in range(n - 1):
                sink.handle(report(frame))
                frame += 1
            clock.t += 10.0
            sink.handle(report(frame))
            frame += 1
            assert sink.pending <= 5
        assert sink.pending == 5 and sink.dropped_total == 7
        broker.start()
        got = [p for _, p in sub.take(5, lambda t, p, r: not r, timeout=5)]
        assert [p["frames"] for p in got] == [8, 9, 10, 11, 12]  # the oldest 7 were dropped
        assert sum(p["dropped"] for p in got) == 7  # and every drop is counted exactly once
        time.sleep(0.3)
        rest = [sub.messages.get_nowait() for _ in range(sub.messages.qsize())]
        assert not [m for m in rest if not m[2]], rest  # nothing else arrived
    finally:
        sink.close()
        sub.close()


def test_unreachable_broker_at_start_is_a_warning(paho: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="edge.sinks.mqtt")
    clock = FakeClock()
    sink = make_sink(f"mqtt://127.0.0.1:{free_port()}", clock, buffer=3)
    sink.open()
    try:
        assert wait_until(lambda: "cannot reach mqtt://127.0.0.1" in caplog.text, 3), caplog.text
        assert "refused" in caplog.text  # the reason, e.g. "[Errno 111] Connection refused"
        for i in range(10):
            clock.t += 10.0
            sink.handle(report(i, "face", ("happy", "sad")[i % 2]))
        assert sink.pending == 3 and not sink.connected
    finally:
        t0 = time.monotonic()
        sink.close()
        assert time.monotonic() - t0 < 3.0
    assert "not delivered" in caplog.text


def test_fleet_table(broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    sink = make_sink(broker.url, clock)
    sink.open(RunInfo(model="m.tflite"))
    try:
        for i in range(4):
            sink.handle(report(i, "face", "happy"))
        clock.t += 10.0
        sink.handle(report(4, "face", "sad"))
        assert sink.flush(3)
        parser = argparse.ArgumentParser()
        register_commands(parser.add_subparsers())
        args = parser.parse_args(["fleet", "--mqtt", broker.url, "--duration", "0.7"])
        assert args.func(args) == 0
    finally:
        sink.close()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "1 devices" in lines[0]
    row = next(line for line in lines if line.startswith("kiosk-1"))
    cells = row.split()
    # device, host, status, last seen (2 cells), fps, dropped, then the 7 counts in label order
    assert cells[2] == "online" and cells[7:] == ["0", "0", "0", "4", "1", "0", "0"]


def _tls_files(workdir: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost, made with openssl."""
    if not shutil.which("openssl") or not shutil.which("mosquitto_passwd"):
        pytest.skip("openssl or mosquitto_passwd is not installed")
    ca_key, ca, key, csr, cert, ext = (workdir / n for n in ("ca.key", "ca.crt", "s.key", "s.csr", "s.crt", "ext.cnf"))
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, timeout=20)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    run(
        "openssl",
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-days", "2", "-extfile", str(ext), "-out", str(cert))  # fmt: skip
    passwd = workdir / "passwd"
    passwd.touch()
    run("mosquitto_passwd", "-b", str(passwd), "kiosk", "s3cret")
    return {"ca": ca, "cert": cert, "key": key, "passwd": passwd}


def test_tls_and_password(mosquitto_exe: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = _tls_files(tmp_path)
    security = (
        f"allow_anonymous false\npassword_file {files['passwd']}\n"
        f"cafile {files['ca']}\ncertfile {files['cert']}\nkeyfile {files['key']}\n"
    )
    b = Broker(mosquitto_exe, tmp_path, security)
    port = b.port
    b.start()
    sub = Subscriber(port, ["emojify/+/status"], tls={"ca": str(files["ca"]), "user": "kiosk", "password": "s3cret"})
    good = make_sink(
        f"mqtts://127.0.0.1:{port}", FakeClock(), ca_file=str(files["ca"]), username="kiosk", password="s3cret"
    )
    bad = make_sink(
        f"mqtts://127.0.0.1:{port}",
        FakeClock(),
        device_id="kiosk-2",
        ca_file=str(files["ca"]),
        username="kiosk",
        password="no",
    )
    no_ca = make_sink(
        f"mqtts://127.0.0.1:{port}", FakeClock(), device_id="kiosk-3", username="kiosk", password="s3cret"
    )
    try:
        good.open()
        [(_, status)] = sub.take(1, lambda t, p, r: t == "emojify/kiosk-1/status")
        assert status["state"] == "online"
        bad.open()
        assert wait_until(lambda: "refused the connection: Not authorized" in caplog.text, 3), caplog.text
        assert not bad.connected
        no_ca.open()  # the private CA is not among the system's: the warning says why
        assert wait_until(lambda: "CERTIFICATE_VERIFY_FAILED" in caplog.text, 3), caplog.text
    finally:
        no_ca.close()
        bad.close()
        good.close()
        sub.close()
        b.stop()


# -- unit tests with a fake client -----------------------------------------------------------


def fake_sink(
    publish_decisions: bool = True, online: bool = True, buffer: int = 100
) -> tuple[MqttSink, FakeClient, FakeClock]:
    clients: list[FakeClient] = []

    def factory(client_id: str) -> FakeClient:
        clients.append(FakeClient(client_id, online))
        return clients[-1]

    clock = FakeClock()
    config = MqttConfig(url="mqtt://127.0.0.1:1", device_id="fake", publish_decisions=publish_decisions, buffer=buffer)
    sink = MqttSink(config, 10.0, clock=clock, client_factory=factory)
    sink.open()
    return sink, clients[0], clock


def test_only_decision_changes_are_published() -> None:
    sink, client, clock = fake_sink()
    sequence = [
        ("starting", None),
        ("face", "happy"),
        ("face", "happy"),
        ("face", "happy"),
        ("unsure", "happy"),
        ("face", "happy"),
        ("face", "surprise"),
        ("face", "surprise"),
        ("no_face", None),
        ("no_face", None),
        ("camera_lost", None),
    ]
    for i, (state, label) in enumerate(sequence):
        sink.handle(report(i, state, label, confidence=0.5 + i / 100))
    assert sink.flush(2)
    decisions = [p for t, p, _ in client.published if t == "emojify/fake/decision"]
    assert [(p["state"], p["label"], p["frame"]) for p in decisions] == [
        ("starting", None, 0),
        ("face", "happy", 1),
        ("unsure", "happy", 4),
        ("face", "happy", 5),
        ("face", "surprise", 6),
        ("no_face", None, 8),
        ("camera_lost", None, 10),
    ]
    assert decisions[1]["confidence"] == 0.51 and decisions[1]["device"] == "fake"
    assert client.client_id == "emojify-fake"
    will = {"state": "offline", "device": "fake", "hostname": socket.gethostname(), "reason": "connection lost"}
    assert client.will == ("emojify/fake/status", will)
    assert all(retain for t, _, retain in client.published if t.endswith("/status") or t.endswith("/summary"))
    assert not any(retain for t, _, retain in client.published if t.endswith("/decision"))
    clock.t += 1.0
    sink.close()
    summary = [p for t, p, _ in client.published if t.endswith("/summary")]
    assert [s["frames"] for s in summary] == [11]  # the partial interval, at close
    assert client.published[-1][0] == "emojify/fake/status" and client.published[-1][1]["state"] == "offline"
    sink.close()  # twice is fine


def test_no_decisions_unless_asked() -> None:
    sink, client, clock = fake_sink(publish_decisions=False)
    sink.handle(report(0, "face", "happy"))
    clock.t += 10.0
    sink.handle(report(1, "face", "sad"))
    assert sink.flush(2)
    assert [t.rsplit("/", 1)[1] for t, _, _ in client.published] == ["status", "summary"]
    sink.close()


def test_drops_are_counted_in_the_next_summaries_while_offline() -> None:
    sink, client, clock = fake_sink(publish_decisions=True, online=False, buffer=4)
    for i in range(6):  # 6 decision changes: the first 2 are dropped
        sink.handle(report(i, "face", ("happy", "sad")[i % 2]))
    assert sink.pending == 4 and sink.dropped_total == 2
    clock.t += 10.0
    sink.handle(report(6, "face", "happy"))  # a change (dropped: 1 more) and a summary (1 more)
    assert sink.pending == 4 and sink.dropped_total == 4
    client.on_connect(client, None, None, FakeReason(), None)
    assert sink.flush(2)
    kinds = [(t.rsplit("/", 1)[1], p.get("frame", p.get("dropped"))) for t, p, _ in client.published]
    assert kinds == [("status", None), ("decision", 4), ("decision", 5), ("decision", 6), ("summary", 4)]
    sink.close()


@pytest.mark.parametrize(
    "url", ["http://broker:1883", "localhost:1883", "mqtt://", "mqtt://host:99999", "mqtt://host:x", "mqtt://host/a/b"]
)
def test_bad_url_names_the_key_and_the_forms(url: str) -> None:
    with pytest.raises(ConfigError, match=r"mqtt\.url .*expected mqtt://HOST\[:PORT\].*mqtts://HOST\[:PORT\]"):
        MqttSink(MqttConfig(url=url), 60.0, client_factory=FakeClient)


def test_url_forms() -> None:
    assert parse_url("mqtt://10.0.0.5") == parse_url("mqtt://10.0.0.5:1883")
    assert parse_url("mqtts://broker.example").port == 8883 and parse_url("mqtts://broker.example").tls
    assert parse_url("mqtt://broker:1884", ca_file="/etc/ca.pem").tls
    address = parse_url("mqtt://user:p%40ss@[::1]:1999/")
    assert (address.host, address.port, address.username, address.password) == ("::1", 1999, "user", "p@ss")


def test_missing_paho_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("paho", "paho.mqtt", "paho.mqtt.client"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ConfigError, match=r"^MQTT needs paho-mqtt: pip install 'emojify-edge\[mqtt\]'$"):
        MqttSink(MqttConfig(url="mqtt://127.0.0.1"), 60.0)


def test_device_id(tmp_path: Path) -> None:
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    first = default_device_id((machine_id,))
    assert len(first) == 12 and first == default_device_id((machine_id,)) and "0123" not in first
    assert default_device_id((tmp_path / "missing",), hostname="Kiosk 7/lobby") == "Kiosk-7-lobby"
    assert check_device_id("lobby-1.a_b") == "lobby-1.a_b"
    for bad in ("a/b", "a+b", "#", "", "x" * 65, "with space"):
        with pytest.raises(ConfigError, match=r"mqtt\.device_id"):
            check_device_id(bad)
    sink = MqttSink(MqttConfig(url="mqtt://127.0.0.1"), 60.0, client_factory=FakeClient)
    assert sink.topics["summary"] == f"emojify/{sink.device_id}/summary"


def test_missing_ca_file_is_a_config_error(tmp_path: Path) -> None:
    config = MqttConfig(url="mqtts://127.0.0.1", ca_file=str(tmp_path / "none.pem"))
    with pytest.raises(ConfigError, match=r"mqtt\.ca_file .*not found"):
        MqttSink(config, 60.0, client_factory=FakeClient)


def test_fleet_view_render() -> None:
    view = FleetView()
    now = 1_800_000_000.0
    view.update("emojify/b/status", b'{"state":"offline","device":"b"}', retained=True, received=now)
    view.update(
        "emojify/a/status", b'{"state":"online","hostname":"pi-a","ts":"2027-01-15T08:00:00+00:00"}', received=now
    )
    summary = {"fps": 14.96, "dropped": 3, "counts": {"happy": 10, "sad": 2}, "ts": "2027-01-15T08:00:00+00:00"}
    view.update("emojify/a/summary", json.dumps(summary).encode(), received=now)
    view.update("emojify/a/decision", b"{}", received=now)  # not subscribed: ignored
    view.update("emojify/c/summary", b"not json", received=now)
    text = view.render(now=view.rows()[0].last_seen + 75)  # type: ignore[operator]
    lines = text.splitlines()
    assert lines[0].split()[:6] == ["DEVICE", "HOST", "STATUS", "LAST", "SEEN", "FPS"]
    assert lines[1].split() == ["a", "pi-a", "online", "1m", "ago", "15.0", "3", "0", "0", "0", "10", "2", "0", "0"]
    assert lines[2].split()[:4] == ["b", "-", "offline", "-"]
    view.update("emojify/b/status", b"", received=now)  # cleared retained status: forgotten
    assert [r.device for r in view.rows()] == ["a"]
    assert FleetView().render().endswith("(no devices yet)")
