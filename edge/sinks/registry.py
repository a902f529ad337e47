"""The sinks there are; the one place that builds a run's sinks from its config.

Each entry names a factory ``from_config(setup) -> Sink | None`` that returns ``None`` when the
config does not ask for that sink; a factory's module is imported only when a run is built. To
add a sink, write ``edge/sinks/<name>.py`` with the sink and its ``from_config``, and add one
line here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
    setup = SinkSetup(config, display, log_path, SummaryCounter(config.log.summary_interval, clock))
    sinks = [load(target)(setup) for target in SINKS.values()]
    return [sink for sink in sinks if sink is not None]
