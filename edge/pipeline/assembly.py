"""Assembling the product from a :class:`edge.config.schema.Config`: each backend chosen once.

:func:`build_pipeline` is the one assembly: ``emojify run``, ``scripts/benchmark.py`` and
``scripts/soak.py`` all build the product with it and run it with
:meth:`edge.pipeline.loop.Pipeline.run`. A harness may hand in its own source (a clip replayed
unpaced or at its own rate), extra sinks and observers; everything else is what ships.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from edge import paths
from edge.config.schema import Config, ModelConfig
from edge.core.decision import Decider
from edge.core.errors import EmojifyError
from edge.core.text import one_line
from edge.core.types import RunInfo
from edge.faces.base import FaceDetector
from edge.faces.registry import make_detector
from edge.inference.classifier import ExpressionClassifier
from edge.personalize.registry import active_model_path
from edge.pipeline.analyzer import Analyzer
from edge.pipeline.loop import Notifier, Observer, Pipeline
from edge.sinks.base import Sink
from edge.sinks.registry import SINKS, build_named_sinks
from edge.sinks.summary import SummaryCounter
from edge.sources.base import Source
from edge.sources.reconnect import ReconnectingSource
from edge.sources.registry import make_source

log = logging.getLogger(__name__)


def personal_model(config: Config, state_dir: Path | None = None) -> Path | None:
    """The personalised model activated by ``emojify model use``, when the config leaves the choice to it.

    A personalised model is used only while the config names the default (shipped) model, so an
    explicit ``model.path`` or ``--model`` always wins.

    Args:
        config: The configuration; ``[state] dir`` (or ``--state-dir``) says where the active-model
            setting lives (default :func:`edge.paths.default_state_dir`).
        state_dir: Overrides the config's state folder.
    """
    if config.model.path != ModelConfig().path:
        return None
    return active_model_path(state_dir or paths.state_dir(config.state.dir))


def build_classifier(config: Config, state_dir: Path | None = None) -> ExpressionClassifier:
    """The ``[model]`` classifier: the active personalised model, or the config's model.

    A personalised model that cannot be used (corrupt, the wrong shape, giving NaN) never stops
    the kiosk: one WARNING, and the shipped model runs instead.

    Raises:
        EmojifyError: The config's own model cannot be used (with the fix).
    """
    personal = personal_model(config, state_dir)
    if personal is not None:
        try:
            classifier = ExpressionClassifier(personal, config.model.threads, config.model.delegate, config.model.flip)
        except (EmojifyError, ValueError, RuntimeError) as exc:
            log.warning(
                "the personalised model %s cannot be used (%s); running the shipped model instead "
                "(emojify model list shows the models; emojify model rollback forgets this one)",
                personal,
                one_line(str(exc)),
            )
        else:
            log.info("using the personalised model %s (emojify model rollback returns to the shipped one)", personal)
            return classifier
    return ExpressionClassifier(
        paths.resolve(config.model.path), config.model.threads, config.model.delegate, config.model.flip
    )


def resolve_log_path(value: str) -> Path | None:
    """``""`` or ``-`` means standard output."""
    if value in ("", "-"):
        return None
    try:
        return Path(value).expanduser()
    except RuntimeError:  # ~name of a user that does not exist: the path as written
        return Path(value)


def build_detector(config: Config) -> FaceDetector:
    """The ``[faces]`` detector."""
    faces = config.faces
    return make_detector(faces.detector, faces.min_size, faces.threshold, zoom=faces.zoom)


def build_analyzer(
    config: Config, classifier: ExpressionClassifier | None = None, detector: FaceDetector | None = None
) -> Analyzer:
    """The frame's face stage: the ``[faces]`` detector, the one crop and the ``[model]`` classifier.

    ``emojify run`` and the robustness checks (:mod:`edge.harness.robustness`) both use it.
    """
    classifier = classifier or build_classifier(config)
    return Analyzer(
        detector or build_detector(config),
        classifier,
        config.faces.max_faces,
        config.faces.detect_every,
        input_size=classifier.input_size,
    )


def build_source(config: Config, display: str, preview: bool = False) -> Source:
    """The ``[camera]`` source; a live camera is wrapped to reconnect when someone watches or systemd supervises."""
    under_systemd = "INVOCATION_ID" in os.environ or "NOTIFY_SOCKET" in os.environ
    source = make_source(
        config.camera.source,
        preview=preview or (display != "none" and config.display.preview),
        loop=config.camera.loop,
        width=config.camera.width,
        height=config.camera.height,
        demo_fallback=not under_systemd,  # a service says "camera not found" rather than show the demo
    )
    if source.live:
        # Someone is watching a screen, or systemd keeps us up: show "camera lost" and retry.
        source = ReconnectingSource(source, wait_at_start=display != "none" or under_systemd)
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
    keep: Mapping[str, object] | None = None,
) -> Pipeline:
    """Create source, detector, classifier, decision layer and sinks from ``config``.

    Args:
        config: The configuration.
        display: The resolved display (:func:`edge.display.probe.choose_display`).
        notifier: systemd notifications.
        preview: Sources also produce RGB previews.
        source: A harness's own source instead of ``[camera]``'s.
        extra_sinks: Sinks added after the configured ones.
        observers: Harnesses that watch every pass.
        keep: Parts of a running pipeline (its :attr:`~edge.pipeline.loop.Pipeline.parts`) to use
            as they are: ``source``, a sink by its registry name, ``summary`` (a reload).

    Raises:
        EmojifyError: Anything that cannot be set up, with the fix in the message.
    """
    keep = keep or {}
    classifier = build_classifier(config)
    detector = build_detector(config)
    if source is None:
        kept = keep.get("source")
        source = kept if kept is not None else build_source(config, display, preview)  # type: ignore[assignment]
    assert source is not None
    summary = keep.get("summary")
    named = build_named_sinks(
        config,
        display,
        resolve_log_path(config.log.path),
        reuse={name: part for name, part in keep.items() if name in SINKS},  # type: ignore[misc]
        summary=summary if isinstance(summary, SummaryCounter) else None,
    )
    sinks = [*named.values(), *extra_sinks]
    parts: dict[str, object] = {"source": source, **named}
    shared = _shared_summary(named.values())
    if shared is not None:
        parts["summary"] = shared
    model = classifier.info
    info = RunInfo(source=source.name, detector=detector.name, model=model.path.name, delegate=model.delegate)
    analyzer = build_analyzer(config, classifier, detector)
    decider = Decider(config.smoothing)
    return Pipeline(source, analyzer, decider, sinks, notifier, info, observers=observers, parts=parts)


def _shared_summary(sinks: Iterable[object]) -> SummaryCounter | None:
    """The summary counter the run's sinks share (the first one that has one)."""
    counters = (getattr(sink, "summary", None) for sink in sinks)
    return next((counter for counter in counters if isinstance(counter, SummaryCounter)), None)
