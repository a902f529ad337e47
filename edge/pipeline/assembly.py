"""Assembling the product from a :class:`edge.config.schema.Config`: each backend chosen once.

:func:`build_pipeline` is the one assembly: ``emojify run``, ``scripts/benchmark.py`` and
``scripts/soak.py`` all build the product with it and run it with
:meth:`edge.pipeline.loop.Pipeline.run`. A harness may hand in its own source (a clip replayed
unpaced or at its own rate), extra sinks and observers; everything else is what ships.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from edge import paths
from edge.config.schema import Config, ModelConfig
from edge.core.smoothing import DecisionSmoother
from edge.core.types import RunInfo
from edge.faces.base import FaceDetector
from edge.faces.registry import make_detector
from edge.inference.classifier import ExpressionClassifier
from edge.personalize.registry import active_model_path
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import Notifier, Observer, Pipeline
from edge.sinks.base import Sink
from edge.sinks.registry import build_sinks
from edge.sources.base import Source
from edge.sources.reconnect import ReconnectingSource
from edge.sources.registry import make_source

log = logging.getLogger(__name__)


def model_path(config: Config, state_dir: Path | None = None) -> Path:
    """The model to run: the config's, or the personalised one activated by ``emojify model use``.

    A personalised model is used only while the config names the default (shipped) model, so an
    explicit ``model.path`` or ``--model`` always wins.

    Args:
        config: The configuration.
        state_dir: Where the active-model setting lives (default :func:`edge.paths.default_state_dir`).
    """
    if config.model.path == ModelConfig().path:
        active = active_model_path(state_dir or paths.default_state_dir())
        if active is not None:
            log.info("using the personalised model %s (emojify model rollback returns to the shipped one)", active)
            return active
    return paths.resolve(config.model.path)


def resolve_log_path(value: str) -> Path | None:
    """``""`` or ``-`` means standard output."""
    return None if value in ("", "-") else Path(value).expanduser()


def build_detector(config: Config) -> FaceDetector:
    """The ``[faces]`` detector."""
    return make_detector(config.faces.detector, config.faces.min_size, config.faces.threshold)


def build_source(config: Config, display: str, preview: bool = False) -> Source:
    """The ``[camera]`` source; a live camera is wrapped to reconnect when someone watches or systemd supervises."""
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
    return source


def build_pipeline(
    config: Config,
    display: str,
    notifier: Notifier | None = None,
    preview: bool = False,
    *,
    source: Source | None = None,
    extra_sinks: Sequence[Sink] = (),
    observers: Sequence[Observer] = (),
) -> Pipeline:
    """Create source, detector, classifier, smoother and sinks from ``config``.

    Args:
        config: The configuration.
        display: The resolved display (:func:`edge.display.probe.choose_display`).
        notifier: systemd notifications.
        preview: Sources also produce RGB previews.
        source: A harness's own source instead of ``[camera]``'s.
        extra_sinks: Sinks added after the configured ones.
        observers: Harnesses that watch every pass.

    Raises:
        EmojifyError: Anything that cannot be set up, with the fix in the message.
    """
    classifier = ExpressionClassifier(model_path(config), config.model.threads, config.model.delegate)
    detector = build_detector(config)
    if source is None:
        source = build_source(config, display, preview)
    sinks = [*build_sinks(config, display, resolve_log_path(config.log.path)), *extra_sinks]
    model = classifier.info
    info = RunInfo(source=source.name, detector=detector.name, model=model.path.name, delegate=model.delegate)
    analyzer = Analyzer(
        detector, classifier, config.faces.max_faces, config.faces.detect_every, input_size=classifier.input_size
    )
    return Pipeline(source, analyzer, DecisionSmoother(config.smoothing), sinks, notifier, info, observers=observers)
