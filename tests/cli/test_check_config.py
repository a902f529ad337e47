"""check-config refuses what run refuses, with the same line; paths never raise; secrets never shown."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.cli.test_run_e2e import run_cli

ROOT = Path(__file__).resolve().parents[2]


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def both(tmp_path: Path, config_text: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """The error line of check-config and of run for the same config file."""
    config = tmp_path / "config.toml"
    config.write_text(config_text)
    check = run_cli(["check-config", "--config", str(config)], tmp_path, env)
    run = run_cli(["run", "--config", str(config), "--max-frames", "1"], tmp_path, env)
    assert check.returncode == 2 and run.returncode == 2, (check.stderr, run.stderr)
    for result in (check, run):
        assert "Traceback" not in result.stderr
        assert last_line(result.stderr).startswith("emojify: error:")
    return last_line(check.stderr), last_line(run.stderr)


BASE = '[camera]\nsource = "demo"\n[display]\nmode = "none"\n[model]\ndelegate = "cpu"\n'


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[mqtt]\nurl = "http://broker.lan"\n', "unsupported scheme 'http'"),
        ('[mqtt]\nurl = "mqtt://broker.lan"\nca_file = "/nonexistent/ca.pem"\n', "mqtt.ca_file"),
        ('[mqtt]\nurl = "mqtt://broker.lan"\ndevice_id = "a/b"\n', "mqtt.device_id"),
    ],
)
def test_check_config_refuses_what_run_refuses_with_the_same_line(tmp_path, extra, expected):
    check, run = both(tmp_path, BASE + extra)
    assert check == run and expected in check


def test_missing_model_is_refused_by_check_config_as_by_run_and_names_the_key(tmp_path):
    check, run = both(tmp_path, BASE.replace('delegate = "cpu"', 'delegate = "cpu"\npath = "missing.tflite"'))
    assert check == run and "missing.tflite not found" in check and "[model] path" in check


def test_long_source_path_is_a_config_error(tmp_path):
    check, run = both(tmp_path, BASE.replace('"demo"', '"/tmp/' + "x" * 5000 + '.mp4"'))
    assert check == run and "file name too long" in check and len(check) < 400


def test_long_model_path_is_a_config_error(tmp_path):
    long = "/tmp/" + "m" * 5000 + ".tflite"
    check, run = both(tmp_path, BASE.replace('delegate = "cpu"', f'delegate = "cpu"\npath = "{long}"'))
    assert check == run and "file name too long" in check and "[model] path" in check
    result = run_cli(["run", "--source", "demo", "--display", "none", "--model", long, "--max-frames", "1"], tmp_path)
    assert result.returncode == 2 and last_line(result.stderr) == check


@pytest.mark.parametrize("kind", ["fifo", "folder", "inside_a_file"])
def test_unusable_log_path_is_a_config_error(tmp_path, kind):
    target = tmp_path / "log.jsonl"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "log.jsonl"
    check, run = both(tmp_path, BASE + f'[log]\npath = "{target}"\n')
    assert check == run and "log.path" in check


def _without_access() -> tuple[list[str], dict[str, object], int]:
    """How to run a command that may not enter a private folder: (command prefix, subprocess kwargs, folder mode).

    Not root: this user, the folder mode 000. Root: the user nobody and a 0700 folder when nobody may
    run this interpreter, else root without the capabilities that ignore file permissions.
    """
    if os.geteuid() != 0:
        return [], {}, 0o000

    def drop() -> None:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)

    try:
        subprocess.run([sys.executable, "-c", "pass"], preexec_fn=drop, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pass  # the interpreter itself lies in a folder nobody may enter
    else:
        return [], {"preexec_fn": drop}, 0o700
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root, and neither nobody nor setpriv can run without access")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"], {}, 0o000


def test_path_under_a_0700_folder_is_refused_as_non_root_without_a_traceback(tmp_path):
    prefix, kwargs, mode = _without_access()
    world = Path(tempfile.mkdtemp(prefix="emojify-perm-"))
    try:
        world.chmod(0o755)
        private = world / "private"
        private.mkdir()
        (private / "model.tflite").write_bytes((ROOT / "models" / "emotion_int8.tflite").read_bytes())
        (private / "clip").mkdir()
        private.chmod(mode)
        cases = {
            "model": BASE.replace('delegate = "cpu"', f'delegate = "cpu"\npath = "{private}/model.tflite"'),
            "source": BASE.replace('"demo"', f'"{private}/clip"'),
            "log": BASE + f'[log]\npath = "{private}/log/x.jsonl"\n',
        }
        for what, text in cases.items():
            config = world / f"{what}.toml"
            config.write_text(text)
            config.chmod(0o644)
            lines = []
            for command in (["check-config"], ["run", "--max-frames", "1"]):
                env = {
                    **os.environ,
                    "HOME": str(world),
                    "EMOJIFY_STATE_DIR": str(world / "state"),
                    "PYTHONPATH": str(ROOT),
                }
                env.pop("NOTIFY_SOCKET", None)
                result = subprocess.run(
                    [*prefix, sys.executable, "-m", "edge", *command, "--config", str(config)],
                    cwd=world,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    **kwargs,  # type: ignore[arg-type]
                )
                assert result.returncode == 2, (what, command, result.stderr)
                assert "Traceback" not in result.stderr
                lines.append(last_line(result.stderr))
            assert lines[0] == lines[1] and "permission denied" in lines[0], (what, lines)
    finally:
        for folder in (world / "private",):
            if folder.exists():
                folder.chmod(stat.S_IRWXU)
        subprocess.run(["rm", "-rf", str(world)], check=False)


def test_check_config_redacts_secrets_in_every_output(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        BASE + '[mqtt]\nurl = "mqtt://fleet:urlsecret@localhost:1883"\nusername = "fleet"\npassword = "keysecret"\n'
    )
    result = run_cli(["check-config", "--config", str(config)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "urlsecret" not in result.stdout + result.stderr and "keysecret" not in result.stdout + result.stderr
    assert 'password = "***"' in result.stdout and "mqtt://fleet:***@localhost:1883" in result.stdout
    config.write_text(BASE + '[mqtt]\nurl = "http://fleet:urlsecret@host"\npassword = 12345\n')
    result = run_cli(["check-config", "--config", str(config)], tmp_path)
    assert result.returncode == 2 and "12345" not in result.stderr and "***" in result.stderr
    config.write_text(BASE + '[mqtt]\nurl = "http://fleet:urlsecret@host"\n')
    for command in (["check-config"], ["run", "--max-frames", "1"]):
        result = run_cli([*command, "--config", str(config)], tmp_path)
        assert result.returncode == 2 and "urlsecret" not in result.stderr and "fleet:***@host" in result.stderr


def test_nan_for_every_cli_number_is_refused():
    """Every number option of every command refuses nan and inf with argparse's one line (exit 2)."""
    import argparse

    from edge.cli import numbers
    from edge.cli.main import build_parser

    checked = []
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            if action.type in (int, float):
                raise AssertionError(f"emojify {name} {action.option_strings}: use a type from edge.cli.numbers")
            if getattr(action.type, "__module__", "") != numbers.__name__:
                continue
            for bad in ("nan", "inf", "-inf", "NaN"):
                with pytest.raises(argparse.ArgumentTypeError):
                    action.type(bad)  # type: ignore[misc]
            checked.append(f"{name} {action.option_strings[0]}")
    assert {"run --duration", "run --max-frames", "fleet --interval", "capture --interval"} <= set(checked)
