"""Number types for command-line options: every number an option takes is checked here.

``nan``, ``inf``, a value out of range or a word gives argparse's one-line usage error, never a
traceback and never a number that silently turns a check off (``nan`` compares false with every
bound).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _parse(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def finite_float(text: str) -> float:
    """Any finite number (``nan`` and ``inf`` are refused)."""
    return float(_parse(text, float))


def _bounded(kind: type[int] | type[float], low: float, above: bool, name: str) -> Callable[[str], float]:
    def check(text: str) -> float:
        value = _parse(text, kind)
        if value < low or (above and value == low):
            raise argparse.ArgumentTypeError(f"{text!r} must be {'above' if above else 'at least'} {low:g}")
        return value

    check.__name__ = name
    return check


#: A number above 0 (seconds, intervals).
positive_float: Callable[[str], float] = _bounded(float, 0.0, True, "positive_float")
#: A number of 0 or more.
non_negative_float: Callable[[str], float] = _bounded(float, 0.0, False, "non_negative_float")
#: A whole number of 1 or more (counts, frames, threads).
positive_int: Callable[[str], int] = _bounded(int, 1, False, "positive_int")  # type: ignore[assignment]
#: A whole number of 0 or more.
non_negative_int: Callable[[str], int] = _bounded(int, 0, False, "non_negative_int")  # type: ignore[assignment]
