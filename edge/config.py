"""Validated configuration: a TOML file plus command-line overrides.

Unknown sections or keys and bad values are rejected with the file, the line (where it can be
found), the key and the reason. ``emojify check-config`` runs exactly this code.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge import paths
from edge.core.errors import ConfigError
from edge.core.smoothing import SmoothingConfig
from edge.faces.registry import DETECTORS
from edge.inference.runtime import DELEGATES


@dataclass(frozen=True)
class CameraConfig:
    """``[camera]``: where frames come from."""

    source: str = "auto"
    width: int = 320
    height: int = 240
    loop: bool = False


@dataclass(frozen=True)
class ModelConfig:
    """``[model]``: the expression model and where it runs."""

    path: str = "models/emotion_int8.tflite"
    delegate: str = "auto"
    threads: int = 2


@dataclass(frozen=True)
class FacesConfig:
    """``[faces]``: face detection."""

    detector: str = "blazeface"
    min_size: int = 40
    threshold: float = 0.6
    max_faces: int = 5
    detect_every: int = 1


@dataclass(frozen=True)
class DisplayConfig:
    """``[display]``: the kiosk screen."""

    mode: str = "auto"
    preview: bool = False
    debug: bool = False
    font: str = ""
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class LogConfig:
    """``[log]``: headless JSON lines."""

    path: str = ""
    every: int = 1
    max_bytes: int = 10_000_000
    backups: int = 3
    summary_interval: float = 60.0


@dataclass(frozen=True)
class MqttConfig:
    """``[mqtt]``: fleet telemetry (optional)."""

    url: str = ""
    device_id: str = ""
    username: str = ""
    password: str = ""
    ca_file: str = ""
    publish_decisions: bool = False
    buffer: int = 1000


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    camera: CameraConfig = field(default_factory=CameraConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    faces: FacesConfig = field(default_factory=FacesConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    log: LogConfig = field(default_factory=LogConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    source_file: str = ""


SECTIONS: dict[str, type] = {
    "camera": CameraConfig,
    "model": ModelConfig,
    "faces": FacesConfig,
    "smoothing": SmoothingConfig,
    "display": DisplayConfig,
    "log": LogConfig,
    "mqtt": MqttConfig,
}

CHOICES: dict[str, tuple[str, ...]] = {
    "model.delegate": DELEGATES,
    "faces.detector": tuple(DETECTORS),
    "display.mode": ("auto", "kiosk", "window", "none"),
}

# (low, high) inclusive bounds; None = unbounded.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "camera.width": (32, 4096),
    "camera.height": (32, 4096),
    "model.threads": (1, 64),
    "faces.min_size": (8, 4096),
    "faces.threshold": (0.05, 0.99),
    "faces.max_faces": (1, 50),
    "faces.detect_every": (1, 30),
    "smoothing.time_constant": (0.0, 30.0),
    "smoothing.switch_after": (0.0, 30.0),
    "smoothing.unsure_threshold": (0.0, 1.0),
    "smoothing.no_face_after": (0.0, 3600.0),
    "display.width": (0, 16384),
    "display.height": (0, 16384),
    "log.every": (1, 1_000_000),
    "log.max_bytes": (1024, None),
    "log.backups": (0, 100),
    "log.summary_interval": (1.0, 86400.0),
    "mqtt.buffer": (1, 1_000_000),
}


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


def _coerce(name: str, value: Any, default: Any) -> Any:
    """Check ``value`` against the type of ``default``; return the value or raise ValueError."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {value!r}")
        return value
    raise ValueError(f"unsupported setting {name}")  # pragma: no cover


def _check(name: str, value: Any) -> None:
    if name in CHOICES and value not in CHOICES[name]:
        raise ValueError(f"must be one of {', '.join(CHOICES[name])}, got {value!r}")
    if name in RANGES:
        low, high = RANGES[name]
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
            raise ValueError(f"must be in {bounds}, got {value!r}")


def build_config(data: dict[str, Any], path: str = "<options>", text: str = "") -> Config:
    """Validate a parsed mapping into a :class:`Config`.

    Args:
        data: ``{section: {key: value}}``.
        path: Where the data came from, for messages.
        text: The file's text, to find line numbers.

    Raises:
        ConfigError: Naming the file (and line), the key and the reason.
    """
    sections: dict[str, Any] = {}
    for section, values in data.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"{_where(path, text, section, None)}: unknown section [{section}]; "
                f"valid sections: {', '.join(f'[{s}]' for s in SECTIONS)}"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{section}' must be a [{section}] table, got {values!r}")
        cls = SECTIONS[section]
        defaults = cls()
        known = {f.name for f in dataclasses.fields(cls)}
        parsed = {}
        for key, value in values.items():
            name = f"{section}.{key}"
            if key not in known:
                raise ConfigError(
                    f"{_where(path, text, section, key)}: unknown key '{key}' in [{section}]; "
                    f"valid keys: {', '.join(sorted(known))}"
                )
            try:
                parsed[key] = _coerce(name, value, getattr(defaults, key))
                _check(name, parsed[key])
            except ValueError as exc:
                raise ConfigError(f"{_where(path, text, section, key)}: [{section}] {key} {exc}") from None
        sections[section] = cls(**parsed)
    return Config(**sections, source_file=path)


def load_config(path: Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """Read a config file (or the defaults) and apply overrides.

    Args:
        path: A TOML file; ``None`` uses ``/etc/emojify/config.toml`` when it exists, else the
            built-in defaults.
        overrides: ``{section: {key: value}}`` from the command line (validated the same way).

    Raises:
        ConfigError: A missing, unreadable or invalid file, or a bad override.
    """
    data: dict[str, Any] = {}
    text = ""
    source = "<defaults>"
    if path is None and paths.default_config().exists():
        path = paths.default_config()
    if path is not None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"{path}: config file not found; create it or leave --config out for the defaults"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    config = build_config(data, source, text)
    if overrides:
        merged: dict[str, Any] = {name: dataclasses.asdict(getattr(config, name)) for name in SECTIONS}
        for section, values in overrides.items():
            merged[section].update({k: v for k, v in values.items() if v is not None})
        config = dataclasses.replace(build_config(merged, "command line"), source_file=source)
    return config


def resolve_path(value: str) -> Path:
    """A path from the config: absolute, relative to the working folder, or to the install folder."""
    return paths.resolve(value)


def to_toml(config: Config) -> str:
    """Render a configuration as TOML (used for the template in systemd/config.toml)."""
    lines = []
    for name in SECTIONS:
        lines.append(f"[{name}]")
        for key, value in dataclasses.asdict(getattr(config, name)).items():
            if isinstance(value, bool):
                rendered = "true" if value else "false"
            elif isinstance(value, str):
                rendered = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            else:
                rendered = repr(value)
            lines.append(f"{key} = {rendered}")
        lines.append("")
    return "\n".join(lines)
