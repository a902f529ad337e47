"""Every section and key of the config file, with its type, default, choices and range.

msgspec validates a parsed TOML mapping against these structs: unknown keys are rejected
(``forbid_unknown_fields``), a whole number is accepted where a number is asked for but not
``true``, every number has both bounds so NaN and infinity never pass, and a choice must be
one of its registry's names. The ``[smoothing]`` section is :class:`edge.core.decision.DecisionConfig`
(its cross-field checks raise ``ValueError``, which the loader reports with the key's line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

from edge.core.decision import DecisionConfig
from edge.display.modes import DISPLAY_MODES
from edge.faces.registry import DETECTORS
from edge.inference.runtime import DELEGATES

#: What the JSON log holds besides its start and summary lines (see :mod:`edge.sinks.jsonlog`).
LOG_LINES = ("changes", "frames", "summaries")

if TYPE_CHECKING:  # the checker sees plain strings; msgspec sees the registry's names
    DetectorName = str
    DelegateName = str
    DisplayMode = str
    LogLines = str
else:
    DetectorName = Literal[tuple(DETECTORS)]
    DelegateName = Literal[DELEGATES]
    DisplayMode = Literal[DISPLAY_MODES]
    LogLines = Literal[LOG_LINES]


def _int(low: int, high: int | None = None) -> object:
    return msgspec.Meta(ge=low, le=high)


def _number(low: float, high: float) -> object:
    return msgspec.Meta(ge=low, le=high)


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every section: immutable, unknown keys rejected."""


class CameraConfig(Section, frozen=True):
    """``[camera]``: where frames come from."""

    source: str = "auto"
    width: Annotated[int, _int(32, 4096)] = 320
    height: Annotated[int, _int(32, 4096)] = 240
    loop: bool = False


class ModelConfig(Section, frozen=True):
    """``[model]``: the expression model and where it runs."""

    path: str = "models/emotion_int8.tflite"
    delegate: DelegateName = "auto"
    threads: Annotated[int, _int(1, 64)] = 2
    flip: bool = False


class FacesConfig(Section, frozen=True):
    """``[faces]``: face detection."""

    detector: DetectorName = "blazeface"
    min_size: Annotated[int, _int(8, 4096)] = 32
    threshold: Annotated[float, _number(0.05, 0.99)] = 0.6
    max_faces: Annotated[int, _int(1, 50)] = 5
    detect_every: Annotated[int, _int(1, 30)] = 1
    zoom: bool = True


class DisplayConfig(Section, frozen=True):
    """``[display]``: the kiosk screen."""

    mode: DisplayMode = "auto"
    preview: bool = False
    debug: bool = False
    font: str = ""
    width: Annotated[int, _int(0, 16384)] = 0
    height: Annotated[int, _int(0, 16384)] = 0


class LogConfig(Section, frozen=True):
    """``[log]``: headless JSON lines."""

    path: str = ""
    lines: LogLines = "changes"
    every: Annotated[int, _int(1, 1_000_000)] = 1
    max_bytes: Annotated[int, _int(1024)] = 24_000_000
    backups: Annotated[int, _int(0, 100)] = 50
    summary_interval: Annotated[float, _number(1.0, 86400.0)] = 60.0
    flush_interval: Annotated[float, _number(0.0, 3600.0)] = 300.0


class MqttConfig(Section, frozen=True):
    """``[mqtt]``: fleet telemetry (optional)."""

    url: str = ""
    device_id: str = ""
    username: str = ""
    #: Better kept out of this file: ``password_file`` or the ``MQTT_PASSWORD`` environment variable.
    password: str = ""
    password_file: str = ""
    ca_file: str = ""
    publish_decisions: bool = False
    buffer: Annotated[int, _int(1, 1_000_000)] = 1000


class StateConfig(Section, frozen=True):
    """``[state]``: where captures, personalised models and the active-model setting live."""

    dir: str = ""


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The whole configuration; ``source_file`` says where it came from (it is not a key of the file)."""

    camera: CameraConfig = msgspec.field(default_factory=CameraConfig)
    model: ModelConfig = msgspec.field(default_factory=ModelConfig)
    faces: FacesConfig = msgspec.field(default_factory=FacesConfig)
    smoothing: DecisionConfig = msgspec.field(default_factory=DecisionConfig)
    display: DisplayConfig = msgspec.field(default_factory=DisplayConfig)
    log: LogConfig = msgspec.field(default_factory=LogConfig)
    mqtt: MqttConfig = msgspec.field(default_factory=MqttConfig)
    state: StateConfig = msgspec.field(default_factory=StateConfig)
    source_file: str = ""


#: ``(section, key)`` of values never shown: not by ``check-config``, in errors or in logs.
SECRETS: frozenset[tuple[str, str]] = frozenset({("mqtt", "password")})

#: The file's sections, in file order.
SECTIONS: tuple[str, ...] = tuple(f.name for f in msgspec.structs.fields(Config) if f.name != "source_file")
