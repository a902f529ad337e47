"""One module knows where things are; tests never see this machine's /etc/emojify or /var/lib/emojify."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from edge import paths

ROOT = Path(__file__).resolve().parent.parent


def test_tests_are_hermetic(hermetic_machine_paths: Path) -> None:
    assert paths.default_config().is_relative_to(hermetic_machine_paths)
    assert paths.default_state_dir().is_relative_to(hermetic_machine_paths)


def test_defaults_and_their_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("EMOJIFY_CONFIG", "EMOJIFY_STATE_DIR", "STATE_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    assert paths.default_config() == Path("/etc/emojify/config.toml")
    assert paths.default_state_dir() == Path("/var/lib/emojify")
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "systemd"))
    assert paths.default_state_dir() == tmp_path / "systemd"
    monkeypatch.setenv("EMOJIFY_STATE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("EMOJIFY_CONFIG", str(tmp_path / "c.toml"))
    assert paths.default_state_dir() == tmp_path / "mine"
    assert paths.default_config() == tmp_path / "c.toml"


def test_shipped_files_are_found_and_relative_paths_resolve_to_the_install_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert paths.DEFAULT_MODEL.is_file() and paths.LABELS_FILE.is_file() and paths.FACE_DETECTOR_MODEL.is_file()
    monkeypatch.chdir(tmp_path)
    assert paths.resolve("models/emotion_int8.tflite") == paths.DEFAULT_MODEL
    assert paths.resolve("/abs/file") == Path("/abs/file")


def test_no_other_module_computes_the_project_root_or_names_the_machine_folders() -> None:
    offenders = []
    for file in sorted((ROOT / "edge").rglob("*.py")) + sorted((ROOT / "scripts").rglob("*.py")):
        if file == ROOT / "edge" / "paths.py":
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        text = file.read_text(encoding="utf-8")
        if "sys.path.insert" in text or ".parent.parent" in text:
            offenders.append(f"{file.relative_to(ROOT)}: computes a path from __file__ or edits sys.path")
        for node in ast.walk(tree):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and node.value.startswith(("/etc/emojify", "/var/lib/emojify")):
                offenders.append(f"{file.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []
