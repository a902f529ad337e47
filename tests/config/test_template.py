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
