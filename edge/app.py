"""Assembling the product from a :class:`edge.config.Config`: each backend chosen once."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from edge.config.schema import Config
from edge.core.errors import DisplayError
from edge.core.smoothing import DecisionSmoother
from edge.faces.registry import make_detector
from edge.inference.classifier import ExpressionClassifier
from edge.paths import resolve as resolve_path
from edge.pipeline import Analyzer, Notifier, Pipeline
from edge.sinks import Sink
from edge.sinks.fallback import FallbackSink
from edge.sinks.jsonlog import JsonLogSink
from edge.sinks.lines import LineWriter

log = logging.getLogger(__name__)


def choose_display(mode: str) -> str:
    """Resolve ``auto`` to ``window``, ``kiosk`` or ``none`` (headless) and check the others.

    Raises:
        DisplayError: ``kiosk`` or ``window`` was asked for and is not available.
    """
    from edge.sinks.kiosk import display_available

    if mode == "none":
        return mode
    if mode in ("kiosk", "window"):
        ok, reason = display_available(mode)
        if not ok:
            raise DisplayError(f"display '{mode}' is not available: {reason}")
        return mode
    for candidate in ("window", "kiosk"):
        ok, reason = display_available(candidate)
        if ok:
            log.info("display auto: using %s", candidate)
            return candidate
        log.info("display auto: %s not available (%s)", candidate, reason)
    log.warning("no display found; running headless (JSON lines)")
    return "none"


def build_sinks(
    config: Config,
    display: str,
    model_name: str,
    log_path: Path | None,
    requested: str = "auto",
    source_name: str = "",
) -> list[Sink]:
    """The sinks for this run: the kiosk when there is a display, else JSON lines.

    A ``log_path`` adds JSON logging to a file next to the kiosk as well. With ``requested``
    ``auto``, a display that fails (at start or later) falls back to JSON lines.
    """

    def json_lines() -> Sink:
        writer = LineWriter(log_path, config.log.max_bytes, config.log.backups)
        return JsonLogSink(writer, config.log.every, config.log.summary_interval)

    sinks: list[Sink] = []
    if display != "none":
        from edge.sinks.kiosk import KioskOptions, KioskSink

        size = (config.display.width, config.display.height) if config.display.width and config.display.height else None
        options = KioskOptions(
            mode=display,
            size=size,
            show_preview=config.display.preview,
            debug=config.display.debug,
            font_path=config.display.font or None,
            model_name=model_name,
        )
        kiosk = KioskSink(options)
        # A file log already records everything; the fallback is only for stdout logging.
        fallback = json_lines if log_path is None else _NullSink
        sinks.append(FallbackSink(kiosk, fallback, required=requested != "auto"))
    if display == "none" or log_path is not None:
        sinks.append(json_lines())
    if config.mqtt.url:
        from edge.sinks.mqtt import MqttSink

        sinks.append(
            MqttSink(config.mqtt, config.log.summary_interval, info={"model": model_name, "source": source_name})
        )
    return sinks


class _NullSink:
    """A sink that does nothing (the fallback when a file log already runs)."""

    def open(self) -> None:
        pass

    def handle(self, report: object) -> None:
        pass

    def poll_quit(self) -> bool:
        return False

    def close(self) -> None:
        pass


def build_pipeline(config: Config, display: str, notifier: Notifier | None = None, preview: bool = False) -> Pipeline:
    """Create source, detector, classifier, smoother and sinks from ``config``.

    Raises:
        EmojifyError: Anything that cannot be set up, with the fix in the message.
    """
    from edge.sources.reconnect import ReconnectingSource
    from edge.sources.registry import make_source

    classifier = ExpressionClassifier(model_path(config), config.model.threads, config.model.delegate)
    detector = make_detector(config.faces.detector, config.faces.min_size, config.faces.threshold)
    source = make_source(
        config.camera.source,
        preview=preview or (display != "none" and config.display.preview),
        loop=config.camera.loop,
        width=config.camera.width,
        height=config.camera.height,
    )
    if source.live:
        # Someone is watching a screen, or systemd keeps us up: show "camera lost" and retry.
        supervised = display != "none" or "INVOCATION_ID" in os.environ or "NOTIFY_SOCKET" in os.environ
        source = ReconnectingSource(source, wait_at_start=supervised)
    log_path = resolve_log_path(config.log.path)
    info = classifier.info
    sinks = build_sinks(
        config, display, f"{info.path.name} ({info.delegate})", log_path, config.display.mode, source.name
    )
    describe = f"{source.name} | {detector.name} | {info.path.name} on {info.delegate}"
    return Pipeline(
        source,
        Analyzer(detector, classifier, config.faces.max_faces, config.faces.detect_every),
        DecisionSmoother(config.smoothing),
        sinks,
        notifier,
        describe,
    )


def model_path(config: Config) -> Path:
    """The model to run: the config's, or the personalised one activated by ``emojify model use``.

    A personalised model is used only while the config names the default (shipped) model, so an
    explicit ``model.path`` or ``--model`` always wins.
    """
    from edge.config.schema import ModelConfig
    from edge.paths import default_state_dir
    from edge.personalize.registry import active_model_path

    if config.model.path == ModelConfig().path:
        active = active_model_path(default_state_dir())
        if active is not None:
            log.info("using the personalised model %s (emojify model rollback returns to the shipped one)", active)
            return active
    return resolve_path(config.model.path)


def resolve_log_path(value: str) -> Path | None:
    """``""`` or ``-`` means standard output."""
    return None if value in ("", "-") else Path(value).expanduser()
