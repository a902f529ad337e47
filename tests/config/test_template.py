"""The annotated template that setup.sh installs: valid, and it explains every key of the sections it documents."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import msgspec
import pytest

from edge.config.loader import load_config
from edge.config.schema import Config

TEMPLATE = Path(__file__).resolve().parents[2] / "systemd" / "config.toml"


def test_the_template_is_a_valid_config():
    load_config(TEMPLATE)


@pytest.mark.parametrize("section", ["smoothing", "log"])
def test_the_template_sets_every_key_to_its_default_with_a_comment(section):
    text = TEMPLATE.read_text(encoding="utf-8")
    body = re.search(rf"^\[{section}\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert body is not None
    commented = {
        line.split("=")[0].strip()
        for line in body.group(1).splitlines()
        if "=" in line and "#" in line.split("=", 1)[1]
    }
    defaults = msgspec.structs.asdict(getattr(Config(), section))
    assert commented == set(defaults), "every key has a line with a comment saying what it does"
    assert tomllib.loads(text)[section] == defaults


def test_the_installed_config_takes_any_camera():
    """A Pi with a USB webcam and no Pi camera works with the config setup.sh installs."""
    assert tomllib.loads(TEMPLATE.read_text(encoding="utf-8"))["camera"]["source"] == "auto"
    assert load_config(TEMPLATE).camera.source == "auto"


def test_the_commented_mqtt_example_is_a_valid_section(tmp_path):
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    start = lines.index("#[mqtt]")
    example = [line[1:] for line in lines[start:] if line.startswith("#") and not line.startswith("# ")]
    assert any(line.startswith("password_file") for line in example), "the example shows password_file"
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines[:start] + example) + "\n", encoding="utf-8")
    mqtt = load_config(path).mqtt
    assert mqtt.url.startswith("mqtt://") and mqtt.password_file and not mqtt.password
