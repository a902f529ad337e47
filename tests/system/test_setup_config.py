"""setup.sh on an existing install: an old config keeps every choice of its owner.

An older setup.sh copied a template whose log rotation defaults (10 MB, 3 files) were too small
for a month of changes; the next run updates exactly those values when they are still the old
defaults, and leaves everything else (comments, other sections, the owner's own values) as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from edge.config.loader import load_config
from edge.config.schema import FacesConfig, LogConfig

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "systemd" / "config.toml"

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("awk") is None, reason="needs bash and awk"
)

OLD_CONFIG = """\
[camera]
source = "opencv:0"   # my USB webcam
max_bytes = 10000000

[log]
path = "/srv/log/expressions.jsonl"
max_bytes = 10_000_000
backups = 3
"""


def migrate(config: Path, *options: str) -> str:
    """Runs setup.sh's migrate_config on CONFIG (setup.sh sourced: only that function runs)."""
    code = f'source "$1"; {" ".join(options)} migrate_config "$2" "$3"'
    done = subprocess.run(
        ["bash", "-c", code, "bash", str(ROOT / "setup.sh"), str(config), str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_old_defaults_become_todays_and_the_rest_stays(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(OLD_CONFIG, encoding="utf-8")
    config.chmod(0o640)
    out = migrate(config)
    assert "[log] max_bytes = 10000000 was the old default" in out
    assert "[log] backups = 3 was the old default" in out
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    shipped = tomllib.loads(TEMPLATE.read_text(encoding="utf-8"))["log"]
    assert data["log"] == {
        "path": "/srv/log/expressions.jsonl",
        "max_bytes": shipped["max_bytes"],
        "backups": shipped["backups"],
    }
    assert data["camera"] == {"source": "opencv:0", "max_bytes": 10000000}, "only [log] is touched"
    assert "# my USB webcam" in config.read_text(encoding="utf-8")
    assert config.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["config.toml"], "no temporary file left"
    before = config.read_text(encoding="utf-8")
    assert migrate(config) == "", "a second run has nothing to do"
    assert config.read_text(encoding="utf-8") == before


def test_values_the_owner_chose_are_never_changed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = "[log]\nmax_bytes = 5000000  # a small card\nbackups = 3\n"
    config.write_text(text, encoding="utf-8")
    migrate(config)
    data = tomllib.loads(config.read_text(encoding="utf-8"))["log"]
    assert data["max_bytes"] == 5_000_000 and data["backups"] == LogConfig().backups
    assert "# a small card" in config.read_text(encoding="utf-8")


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(OLD_CONFIG, encoding="utf-8")
    out = migrate(config, "DRY_RUN=1")
    assert "would update" in out
    assert config.read_text(encoding="utf-8") == OLD_CONFIG


def test_the_migrated_config_is_valid(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[camera]\nsource = "auto"\n\n[log]\nmax_bytes = 10000000\nbackups = 3\n', encoding="utf-8")
    migrate(config)
    loaded = load_config(config)
    assert (loaded.log.max_bytes, loaded.log.backups) == (LogConfig().max_bytes, LogConfig().backups)


def test_the_old_smallest_face_becomes_todays_unless_chosen(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[faces]\ndetector = "blazeface"\nmin_size = 40            # smallest face side\n', encoding="utf-8"
    )
    out = migrate(config)
    assert "[faces] min_size = 40 was the old default" in out
    assert load_config(config).faces.min_size == FacesConfig().min_size == 32
    chosen = tmp_path / "chosen.toml"
    chosen.write_text("[faces]\nmin_size = 48\n", encoding="utf-8")
    assert migrate(chosen) == ""
    assert load_config(chosen).faces.min_size == 48
