"""Config validation: unknown keys and bad values are named with file, line and reason."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config import Config, build_config, load_config, to_toml
from edge.core.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_file(monkeypatch, tmp_path):
    monkeypatch.setenv("EMOJIFY_CONFIG", str(tmp_path / "absent.toml"))
    config = load_config(None)
    assert config == Config(source_file="<defaults>")


def test_template_round_trips(tmp_path):
    path = write(tmp_path, to_toml(Config()))
    assert load_config(path).smoothing == Config().smoothing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[camera]\nsource = 'demo'\nfps = 3\n",
            r"config.toml:3: unknown key 'fps' in \[camera\]; valid keys: height, loop, source, width",
        ),
        ("[kamera]\nsource = 'demo'\n", r"config.toml:1: unknown section \[kamera\]"),
        (
            "[model]\ndelegate = 'tpu'\n",
            r"config.toml:2: \[model\] delegate must be one of auto, cpu, edgetpu, got 'tpu'",
        ),
        ("[model]\nthreads = 'two'\n", r"\[model\] threads must be a whole number, got 'two'"),
        ("[model]\nthreads = 0\n", r"\[model\] threads must be in 1..64, got 0"),
        ("[smoothing]\nunsure_threshold = 1.5\n", r"unsure_threshold must be in 0.0..1.0"),
        ("[display]\ndebug = 'yes'\n", r"debug must be true or false"),
        ("[camera\nsource=1\n", r"not valid TOML"),
        ("camera = 3\n", r"'camera' must be a \[camera\] table"),
    ],
)
def test_bad_config_is_rejected_with_location(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_overrides_are_validated_and_win(tmp_path):
    path = write(tmp_path, "[camera]\nsource = 'demo'\n[model]\nthreads = 3\n")
    config = load_config(path, {"camera": {"source": "opencv:0"}, "model": {"threads": None}})
    assert config.camera.source == "opencv:0" and config.model.threads == 3
    with pytest.raises(ConfigError, match="delegate must be one of"):
        load_config(path, {"model": {"delegate": "gpu"}})


def test_int_accepted_for_float_but_not_bool():
    assert build_config({"smoothing": {"switch_after": 1}}).smoothing.switch_after == 1.0
    with pytest.raises(ConfigError):
        build_config({"smoothing": {"switch_after": True}})


toml_values = st.one_of(
    st.integers(-10, 10_000),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["camera", "model", "faces", "smoothing", "display", "log", "mqtt", "other"]),
        st.dictionaries(st.text(min_size=1, max_size=12), toml_values, max_size=3),
        max_size=3,
    )
)
def test_parser_only_raises_config_error(data):
    with contextlib.suppress(ConfigError):
        build_config(data, "fuzz.toml")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_config_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_bytes(raw)
    with contextlib.suppress(ConfigError):
        load_config(path)
