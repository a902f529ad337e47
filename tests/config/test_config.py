"""Config validation: unknown keys and bad values are named with file, line and reason."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config.loader import build_config, load_config, to_toml
from edge.config.schema import Config
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


def float_keys() -> list[tuple[str, str]]:
    import msgspec

    info = msgspec.inspect.type_info(Config)
    return [
        (section.name, key.name)
        for section in info.fields  # type: ignore[attr-defined]
        if isinstance(section.type, msgspec.inspect.StructType)
        for key in section.type.fields
        if isinstance(key.type, msgspec.inspect.FloatType | msgspec.inspect.IntType)
    ]


def test_every_number_has_both_bounds_so_nan_and_inf_never_pass() -> None:
    import msgspec

    info = msgspec.inspect.type_info(Config)
    sections = [s for s in info.fields if isinstance(s.type, msgspec.inspect.StructType)]  # type: ignore[attr-defined]
    assert len(sections) == 8
    for section in sections:
        for key in section.type.fields:
            if isinstance(key.type, msgspec.inspect.FloatType):
                assert key.type.ge is not None and key.type.le is not None, f"[{section.name}] {key.name}"


@pytest.mark.parametrize(("section", "key"), float_keys())
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_infinity_are_rejected_with_file_and_line(tmp_path, section, key, value):
    path = write(tmp_path, f"# comment\n[{section}]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=rf"config.toml:3: \[{section}\] {key} must be"):
        load_config(path)


def test_choices_come_from_the_registries(tmp_path):
    from edge.display.modes import DISPLAY_MODES
    from edge.faces.registry import DETECTORS
    from edge.inference.runtime import DELEGATES

    for section, key, names in (
        ("faces", "detector", tuple(DETECTORS)),
        ("model", "delegate", DELEGATES),
        ("display", "mode", DISPLAY_MODES),
    ):
        for name in names:
            assert getattr(getattr(build_config({section: {key: name}}), section), key) == name
        with pytest.raises(ConfigError, match=rf"\[{section}\] {key} must be one of {', '.join(names)}, got 'nope'"):
            load_config(write(tmp_path, f"[{section}]\n{key} = 'nope'\n"))


def test_source_file_is_not_a_section_and_deep_nesting_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[source_file\]"):
        load_config(write(tmp_path, "source_file = 'x'\n"))
    with pytest.raises(ConfigError, match=r"config\.toml"):
        load_config(write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n"))
