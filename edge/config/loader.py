"""Validated configuration: a TOML file plus command-line overrides.

Unknown sections or keys and bad values are rejected with the file, the line (where it can be
found), the key and the reason. ``emojify check-config`` runs exactly this code. The checking is
msgspec's (against :mod:`edge.config.schema`); this module only reads files and says what went
wrong in the words of the file.
"""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path
from typing import Any

import msgspec

from edge import paths
from edge.config.schema import SECRETS, SECTIONS, Config
from edge.core.errors import ConfigError
from edge.core.text import REDACTED, one_line, quote, redact_url, shorten
from edge.system.files import NotAFileError, inspect_path, os_reason, read_limited

#: The largest config file read (a real one is a few kB; this refuses /dev/zero and accidents).
MAX_CONFIG_BYTES = 1 << 20

#: Where msgspec says a value failed: ``... - at `$.section.key```.
_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<where>[^`]*)`)?$", re.S)
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>.*)`", re.S)  # a key may hold a newline


def _line_of(text: str, section: str, key: str | None) -> int | None:
    """Best-effort line number of ``key`` in ``[section]`` of a TOML text."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return number
            continue
        if key and current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def _where(path: str, text: str, section: str, key: str | None) -> str:
    line = _line_of(text, section, key) if text else None
    return f"{path}:{line}" if line else path


def _section_fields(section: str) -> tuple[Any, ...]:
    """The schema's description of the keys of ``[section]`` (their types, choices and bounds)."""
    config_info: Any = msgspec.inspect.type_info(Config)
    return tuple(next(f.type for f in config_info.fields if f.name == section).fields)


def _choices(section: str, key: str) -> tuple[str, ...]:
    """A choice key's valid values in the registry's order (the schema's ``Literal``)."""
    section_type = type(getattr(Config(), section))
    annotation = next(f.type for f in msgspec.structs.fields(section_type) if f.name == key)
    return tuple(str(v) for v in typing.get_args(annotation))


def _bounds(kind: Any) -> str:
    low, high = kind.ge, kind.le
    return f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"


def _reason(kind: Any, choices: tuple[str, ...], value: Any, secret: bool = False) -> str:
    """What a value of this schema type must be, in the words of the file (a secret's value is not shown)."""
    inspect = msgspec.inspect
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    got = REDACTED if secret else quote(value)
    if isinstance(kind, inspect.LiteralType):
        return f"must be one of {', '.join(choices)}, got {got}"
    if isinstance(kind, inspect.BoolType):
        return f"must be true or false, got {got}"
    if isinstance(kind, inspect.IntType):
        return (
            f"must be in {_bounds(kind)}, got {got}"
            if is_number and isinstance(value, int)
            else f"must be a whole number, got {got}"
        )
    if isinstance(kind, inspect.FloatType):
        return f"must be in {_bounds(kind)}, got {got}" if is_number else f"must be a number, got {got}"
    return f"must be a string, got {got}"


def _explain(error: msgspec.ValidationError, data: dict[str, Any], path: str, text: str) -> ConfigError:
    """Turn msgspec's message (``Expected `int` >= 1 - at `$.model.threads```) into the file's words."""
    match = _AT.match(str(error))
    what = match.group("what") if match else str(error)
    path = shorten(one_line(path))
    parts = (match.group("where") or "").strip(".").split(".") if match else []
    unknown = _UNKNOWN.match(what)
    if unknown and parts == [""]:
        section = unknown.group("name")
        return ConfigError(
            f"{_where(path, text, section, None)}: unknown section [{shorten(one_line(section), 40)}]; "
            f"valid sections: {', '.join(f'[{s}]' for s in SECTIONS)}"
        )
    section = parts[0]
    if unknown:
        key = unknown.group("name")
        valid = sorted(f.name for f in _section_fields(section))
        return ConfigError(
            f"{_where(path, text, section, key)}: unknown key {quote(key, 40)} in [{section}]; "
            f"valid keys: {', '.join(valid)}"
        )
    if len(parts) == 1:
        if isinstance(data.get(section), dict):
            return _conflict(what, section, path, text)
        return ConfigError(f"{path}: '{section}' must be a [{section}] table, got {quote(data.get(section))}")
    key = parts[1]
    kind = next(f.type for f in _section_fields(section) if f.name == key)
    reason = _reason(kind, _choices(section, key), data[section][key], (section, key) in SECRETS)
    return ConfigError(f"{_where(path, text, section, key)}: [{section}] {key} {reason}")


def _conflict(what: str, section: str, path: str, text: str) -> ConfigError:
    """Two keys of a section that contradict each other (the section's ``__post_init__`` said which).

    The message starts with the key to change; the line is that of the first key it names that
    the file sets, so the person lands on a line they wrote.
    """
    names = {f.name for f in _section_fields(section)}
    named = [word for word in re.findall(r"[a-z_]+", what) if word in names]
    lines = [_where(path, text, section, key) for key in named]
    where = next((w for w in lines if w != path), path)
    return ConfigError(f"{where}: [{section}] {shorten(one_line(what), 300)}")


def build_config(data: dict[str, Any], path: str = "<options>", text: str = "") -> Config:
    """Validate a parsed mapping into a :class:`~edge.config.schema.Config`.

    Args:
        data: ``{section: {key: value}}``.
        path: Where the data came from, for messages.
        text: The file's text, to find line numbers.

    Raises:
        ConfigError: Naming the file (and line), the key and the reason.
    """
    if "source_file" in data:  # a field of Config, but not a section of the file
        raise ConfigError(
            f"{path}: unknown section [source_file]; valid sections: {', '.join(f'[{s}]' for s in SECTIONS)}"
        )
    try:
        config = msgspec.convert(data, Config, strict=True)
    except msgspec.ValidationError as exc:
        raise _explain(exc, data, path, text) from None
    return msgspec.structs.replace(config, source_file=path)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """The text and the parsed TOML of a config file (a small regular file, read without blocking)."""
    name = shorten(one_line(str(path)))
    try:
        text = read_limited(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: config file not found; create it or leave --config out for the defaults") from None
    except NotAFileError as exc:
        raise ConfigError(f"{name}: cannot be used as a config file ({exc}); give a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({os_reason(exc)})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: cannot be read (not UTF-8 text: {exc.reason} at byte {exc.start})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML ({one_line(str(exc))}); fix the line it names") from None
    except RecursionError:
        raise ConfigError(f"{name}: not valid TOML (nested too deeply); fix the file") from None


def load_config(path: Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """Read a config file (or the defaults) and apply overrides.

    Args:
        path: A TOML file; ``None`` uses :func:`edge.paths.default_config` when it exists, else the
            built-in defaults.
        overrides: ``{section: {key: value}}`` from the command line (validated the same way);
            ``None`` values are left out.

    Raises:
        ConfigError: A missing, unreadable or invalid file, or a bad override.
    """
    if path is None and inspect_path(paths.default_config()).kind != "missing":
        path = paths.default_config()
    data: dict[str, Any] = {}
    text = ""
    if path is not None:
        text, data = _read(path)
    source = str(path) if path is not None else "<defaults>"
    config = build_config(data, source, text)
    if overrides:
        merged: dict[str, Any] = {name: msgspec.structs.asdict(getattr(config, name)) for name in SECTIONS}
        for section, values in overrides.items():
            merged[section].update({k: v for k, v in values.items() if v is not None})
        config = msgspec.structs.replace(build_config(merged, "command line"), source_file=source)
    return config


def to_toml(config: Config, redact: bool = True) -> str:
    """Render a configuration as TOML (``check-config`` prints it; ``systemd/config.toml`` follows it).

    Args:
        config: The configuration.
        redact: Show secrets (the MQTT password, a password in a URL) as :data:`~edge.core.text.REDACTED`.
    """
    lines = []
    for name in SECTIONS:
        lines.append(f"[{name}]")
        for key, value in msgspec.structs.asdict(getattr(config, name)).items():
            if redact and isinstance(value, str) and value:
                value = REDACTED if (name, key) in SECRETS else redact_url(value)
            if isinstance(value, bool):
                rendered = "true" if value else "false"
            elif isinstance(value, str):
                rendered = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            else:
                rendered = repr(value)
            lines.append(f"{key} = {rendered}")
        lines.append("")
    return "\n".join(lines)
