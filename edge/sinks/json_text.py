"""The one way the product turns a record into JSON text: compact, and always valid JSON.

Python's ``json`` writes ``NaN`` and ``Infinity`` for non-finite floats by default, which no
JSON parser accepts. Every line of the JSON log and every MQTT payload goes through
:func:`to_json`, which refuses them (``allow_nan=False``) and writes ``null`` in their place, so
one bad number from a model or a clock can never make a line unreadable.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def to_json(record: Any) -> str:
    """``record`` as one line of compact JSON; a NaN or an infinity anywhere in it becomes ``null``."""
    try:
        return json.dumps(record, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a non-finite float somewhere: the rare path
        return json.dumps(_finite(record), separators=(",", ":"), allow_nan=False)
