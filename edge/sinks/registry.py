"""The sinks there are; the one place that builds a run's sinks from its config.

Each entry names a factory ``from_config(setup) -> Sink | None`` that returns ``None`` when the
config does not ask for that sink; a factory's module is imported only when a run is built. To
add a sink, write ``edge/sinks/<name>.py`` with the sink and its ``from_config``, and add one
line here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from edge.config.schema import Config
from edge.core.plugins import load
from edge.sinks.base import Sink, SinkSetup
from edge.sinks.summary import SummaryCounter

#: name -> sink factory, in the order the sinks see each report.
SINKS: dict[str, str] = {
    "kiosk": "edge.sinks.kiosk:from_config",
    "jsonlog": "edge.sinks.jsonlog:from_config",
    "mqtt": "edge.sinks.mqtt:from_config",
}


def build_named_sinks(
    config: Config,
    display: str,
    log_path: Path | None,
    clock: Callable[[], float] = time.monotonic,
    *,
    reuse: Mapping[str, Sink] | None = None,
    summary: SummaryCounter | None = None,
) -> dict[str, Sink]:
    """The sinks for this run by name, in :data:`SINKS` order.

    Args:
        config: The configuration.
        display: The resolved display (``kiosk``, ``window`` or ``none``).
        log_path: The JSON log file, or ``None`` for standard output.
        clock: Monotonic clock of the shared summary.
        reuse: Sinks of a running pipeline to use as they are instead of building new ones (a reload
            hands over the unchanged ones).
        summary: The summary counter to share (a reload keeps the running one), else a new one.
    """
    setup = SinkSetup(config, display, log_path, summary or SummaryCounter(config.log.summary_interval, clock))
    reuse = reuse or {}
    built = {name: reuse[name] if name in reuse else load(target)(setup) for name, target in SINKS.items()}
    return {name: sink for name, sink in built.items() if sink is not None}


def build_sinks(
    config: Config, display: str, log_path: Path | None, clock: Callable[[], float] = time.monotonic
) -> list[Sink]:
    """The sinks for this run: the kiosk when there is a display, else JSON lines; MQTT when configured.

    Args:
        config: The configuration.
        display: The resolved display (``kiosk``, ``window`` or ``none``).
        log_path: The JSON log file, or ``None`` for standard output.
        clock: Monotonic clock of the shared summary.
    """
    return list(build_named_sinks(config, display, log_path, clock).values())
