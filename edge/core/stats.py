"""Run statistics in bounded memory: a rate over the last events and a window of recent samples.

A loop that runs for months may keep only a fixed amount per metric. :class:`RateMeter` gives
frames per second over the last ``window`` events (the status line, the kiosk's debug overlay);
:class:`Window` keeps the last ``size`` samples of a number for medians and percentiles (the
benchmark, the soak). Neither grows with the length of the run.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class RateMeter:
    """Events per second over the last ``window`` events.

    Args:
        window: How many event times are kept.
    """

    def __init__(self, window: int = 60) -> None:
        self._times: deque[float] = deque(maxlen=max(2, window))

    def tick(self, now: float) -> None:
        """Record one event at time ``now`` (seconds, monotonic)."""
        self._times.append(now)

    @property
    def rate(self) -> float:
        """Events per second between the oldest and newest kept event (0.0 before two events)."""
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])


class Window:
    """The last ``size`` samples of a number (a ring buffer), with order statistics.

    Args:
        size: Samples kept; older ones are overwritten.
    """

    def __init__(self, size: int = 4096) -> None:
        self._values = np.zeros(max(1, size), np.float64)
        self._count = 0

    def add(self, value: float) -> None:
        """Keep ``value``, dropping the oldest sample when the window is full."""
        self._values[self._count % len(self._values)] = value
        self._count += 1

    def clear(self) -> None:
        """Forget every sample."""
        self._count = 0

    @property
    def count(self) -> int:
        """Samples added since the last :meth:`clear` (also those no longer kept)."""
        return self._count

    def values(self) -> np.ndarray:
        """The kept samples (in no particular order)."""
        return self._values[: min(self._count, len(self._values))]

    def median(self) -> float:
        """Median of the kept samples (0.0 when empty)."""
        return self.percentile(50.0)

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile of the kept samples (0.0 when empty)."""
        kept = self.values()
        return float(np.percentile(kept, q)) if kept.size else 0.0
