"""Fuzz over config values: NaN, infinities, huge and negative numbers, nesting, wrong types, odd paths.

Whatever a config holds, loading it and checking it as ``run`` would either works or raises one
``ConfigError`` (or another one-line ``EmojifyError`` from the checks) — never a traceback.
"""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edge.config.loader import build_config, load_config
from edge.config.schema import SECTIONS, Config
from edge.core.errors import ConfigError, EmojifyError
from edge.pipeline.preflight import check_config


def _keys() -> dict[str, list[str]]:
    info = msgspec.inspect.type_info(Config)
    return {s.name: [k.name for k in s.type.fields] for s in info.fields if s.name in SECTIONS}  # type: ignore[attr-defined]


KEYS = _keys()
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just(10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), -1, 0, 2**63, -(2**63)]),
    st.text(max_size=20),
    st.sampled_from(["x" * 5000, "/tmp/" + "y" * 300, "a\x00b", "line\nbreak", "~nosuchuser/x", "/dev/zero", "-"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
section = st.sampled_from(list(SECTIONS))


@st.composite
def configs(draw: st.DrawFn) -> dict[str, object]:
    data: dict[str, object] = {}
    for name in draw(st.lists(section, max_size=4, unique=True)):
        keys = KEYS[name] + ["unknown_key"]
        data[name] = draw(st.dictionaries(st.sampled_from(keys), values, max_size=3))
    if draw(st.booleans()):
        data[draw(st.sampled_from(["other", "source_file", *SECTIONS]))] = draw(values)
    return data


def _one_line(exc: BaseException) -> None:
    text = str(exc)
    assert "\n" not in text and len(text) < 600, text[:200]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
@example({"camera": {"\n": None}})  # an unknown key that is a line break (found by this fuzz)
def test_config_values_fuzz_never_a_traceback_always_one_config_error_line(data):
    try:
        config = build_config(data, "fuzz.toml")
    except ConfigError as exc:
        _one_line(exc)
        return
    try:
        check_config(config)
    except EmojifyError as exc:
        _one_line(exc)


@pytest.mark.parametrize("depth", [300, 900, 5000])
@pytest.mark.parametrize("opening", ["[", "{a="])
def test_deeply_nested_toml_is_one_config_error_line(tmp_path, depth, opening):
    closing = "]" if opening == "[" else "}"
    path = tmp_path / "deep.toml"
    path.write_text("[camera]\nwidth = " + opening * depth + ("1" if opening != "[" else "") + closing * depth + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    _one_line(caught.value)
    assert "deep.toml" in str(caught.value)


odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "x" * 5000,
            "/tmp/" + "y" * 300 + "/z",
            "a\x00b",
            "line\nbreak\x1b[31m",
            "~nosuchuser/x",
            "/dev/zero",
            "/dev/null",
            "/proc/self/mem",
            "/",
            "-",
            "demo",
            "mqtt://",
            "mqtt://user:pw@host:99999",
            "http://host",
            "mqtts://h:0",
        ]
    ),
)
STRING_KEYS = [
    ("camera", "source"),
    ("model", "path"),
    ("log", "path"),
    ("display", "font"),
    ("mqtt", "url"),
    ("mqtt", "ca_file"),
    ("mqtt", "password_file"),
    ("mqtt", "device_id"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(STRING_KEYS), odd_text), min_size=1, max_size=4))
def test_config_paths_fuzz_checks_never_raise_anything_but_one_line_errors(pairs):
    data: dict[str, dict[str, str]] = {"camera": {"source": "demo"}}
    for (name, key), value in pairs:
        data.setdefault(name, {})[key] = value
    config = build_config(data, "fuzz.toml")
    try:
        check_config(config)
    except EmojifyError as exc:
        _one_line(exc)


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "folder"])
def test_config_file_that_is_a_fifo_or_dev_zero_is_refused_at_once(tmp_path, kind):
    import os
    import time

    path = tmp_path / "config.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    started = time.monotonic()
    with pytest.raises(ConfigError, match="cannot be"):
        load_config(path)
    assert time.monotonic() - started < 1.0
