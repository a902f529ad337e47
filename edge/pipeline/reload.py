"""A reload (``systemctl reload``, SIGHUP): the next pipeline is built and opened before the running one stops.

The rule:

1. The new configuration is checked (:func:`edge.pipeline.preflight.check_config`) and the new
   pipeline is built (model loaded, detector and sinks made) while the running one is paused,
   still open.
2. The camera, the screen and the MQTT connection are each one of a kind (one process may hold
   the camera; one pygame display; one broker session per device id). When what such a part is
   built from did not change, it is handed over as it is: no camera re-open, no black frame, no
   reconnect. When it changed, the old one is closed just before the new one opens, and opened
   again if the new one fails.
3. Everything else (the JSON log, the model, the detector, the decision layer) is new and opened while
   the old one is still open; the old one is closed only when the new one runs.

Anything that fails leaves the running pipeline open and unchanged: the caller resumes it.
"""

from __future__ import annotations

import logging

from edge.config.schema import Config
from edge.pipeline.assembly import build_pipeline
from edge.pipeline.loop import Notifier, Pipeline
from edge.pipeline.preflight import check_config

log = logging.getLogger(__name__)

#: Parts that only one pipeline may hold open at a time.
EXCLUSIVE = ("source", "kiosk", "mqtt")


def _inputs(config: Config) -> dict[str, object]:
    """What each part a reload may hand over is built from."""
    log_config = config.log
    return {
        "source": (config.camera, config.display.preview),
        "kiosk": (config.display, log_config.path, log_config.every, log_config.max_bytes, log_config.backups),
        "mqtt": (config.mqtt, log_config.summary_interval),
        "summary": log_config.summary_interval,
    }


def reload_pipeline(
    running: Pipeline, old: Config, new: Config, display: str, notifier: Notifier | None = None
) -> Pipeline:
    """The open pipeline for ``new``; ``running`` (paused, open) is closed except what it handed over.

    Args:
        running: The pipeline of ``old``, stopped between two passes but still open.
        old: Its configuration.
        new: The configuration to switch to.
        display: The resolved display of ``new``.
        notifier: systemd notifications.

    Raises:
        EmojifyError: The new configuration cannot run; ``running`` is open and unchanged.
    """
    check_config(new)
    before, after = _inputs(old), _inputs(new)
    keep = {
        name: part
        for name, part in running.parts.items()
        if part is not None and name in after and before[name] == after[name]
    }
    following = build_pipeline(new, display, notifier, keep=keep)
    swapped = [part for name, part in running.parts.items() if name in EXCLUSIVE and name not in keep]
    running.close_parts(swapped)
    try:
        following.open(shared=list(keep.values()))
    except Exception:
        running.reopen_parts(swapped)
        raise
    running.close(keep=[*keep.values(), *swapped])  # the swapped ones are closed already
    kept = [name for name in EXCLUSIVE if name in keep]
    log.info("reloaded; kept running: %s", ", ".join(kept) if kept else "nothing")
    return following
