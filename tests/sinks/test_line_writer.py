"""The JSON log on a full disk, a named pipe and a closed standard output: never a torn line, never a hang."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.sinks.json_text import to_json
from edge.sinks.line_writer import AppendFile, LineWriter

ROOT = Path(__file__).resolve().parents[2]


class FillingFile:
    """A file on a disk with ``room`` bytes free: a write gets what fits (a short write), then ENOSPC."""

    def __init__(self, path: Path, disk: dict[str, int]) -> None:
        self.real = AppendFile(path)
        self.disk = disk
        disk.setdefault("short_writes", 0)

    def size(self) -> int:
        return self.real.size()

    def write(self, data: bytes) -> int:
        if self.disk["room"] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        part = data[: self.disk["room"]]
        self.disk["short_writes"] += len(part) < len(data)
        written = self.real.write(part)
        self.disk["room"] -= written
        return written

    def truncate(self, size: int) -> None:
        self.disk["room"] += self.real.size() - size
        self.real.truncate(size)

    def close(self) -> None:
        self.real.close()


def test_full_disk_never_tears_a_line(tmp_path):
    path = tmp_path / "log.jsonl"
    disk = {"room": 1013}  # not a line boundary: the line that fills the disk gets half-written
    clock = [0.0]
    writer = LineWriter(path, retry_seconds=1, clock=lambda: clock[0], opener=lambda p: FillingFile(p, disk))
    results = []
    for n in range(300):
        clock[0] += 0.1
        if n == 150:
            disk["room"] += 100_000  # the disk comes back (someone deleted a file)
        results.append(writer.write(to_json({"n": n, "pad": "x" * (n % 23)})))
    writer.close()
    assert disk["short_writes"] >= 1
    assert not all(results) and results[-1]  # some lines were dropped while full, later ones written
    lines = path.read_text().splitlines()
    kept = [json.loads(line)["n"] for line in lines]  # every line parses: nothing half-written, nothing glued
    assert kept == sorted(kept) and kept[-1] == 299 and len(kept) == sum(results)


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/proc/mounts").exists(), reason="mounting a tmpfs needs root")
def test_full_disk_on_a_real_tmpfs_never_tears_a_line(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        filler = mount / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as handle:  # fill the disk, leave ~12 kB
            handle.write(b"\0" * (52 * 1024))
        clock = [0.0]
        writer = LineWriter(mount / "log.jsonl", retry_seconds=1, clock=lambda: clock[0])
        results = []
        for n in range(400):
            clock[0] += 0.1
            if n == 250:
                filler.unlink()  # the disk comes back
            results.append(writer.write(to_json({"n": n, "pad": "y" * (17 + n % 41)})))
        writer.close()
        lines = (mount / "log.jsonl").read_text().splitlines()
        assert not all(results) and results[-1]
        assert [json.loads(line)["n"] for line in lines] == [n for n, ok in enumerate(results) if ok]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_fifo_log_path_never_blocks_start_up(tmp_path):
    fifo = tmp_path / "log.jsonl"
    os.mkfifo(fifo)  # nobody reads it: opening it for writing would block forever
    writer = LineWriter(fifo, retry_seconds=5)
    started = time.monotonic()
    assert writer.write('{"n":1}') is False
    assert time.monotonic() - started < 1.0 and writer.dropped == 1


def test_nan_in_a_record_is_written_as_null_never_as_nan():
    line = to_json({"confidence": float("nan"), "scores": [1.0, float("inf")], "nested": {"x": -float("inf")}})
    assert json.loads(line) == {"confidence": None, "scores": [1.0, None], "nested": {"x": None}}
    assert "NaN" not in line and "Infinity" not in line


def test_head_closing_stdout_stops_the_run_without_a_traceback(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("DISPLAY", None)
    command = [sys.executable, "-m", "edge", "run", "--source", "demo", "--display", "none", "--delegate", "cpu"]
    command += ["--duration", "30"]
    head = subprocess.run(
        " ".join(command) + " | head -1", shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert json.loads(head.stdout)["type"] == "start"  # the run's first line; the next one finds the pipe closed
    assert "Traceback" not in head.stderr and "BrokenPipe" not in head.stderr, head.stderr
    assert "standard output closed" in head.stderr
    for listing in (["check-config"], ["model", "list"]):
        result = subprocess.run(
            [*command[:3], *listing], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0
        piped = subprocess.run(
            " ".join([*command[:3], *listing]) + " | head -c1 >/dev/null",
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Traceback" not in piped.stderr, piped.stderr
