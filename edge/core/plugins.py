"""Lazy backends: a registry names each backend as ``"module:attribute"`` and imports it on use.

A registry dict (backend name -> target) is at the same time the list of valid names (for the
config schema and the command line) and the way to build the backend, as in norfair: adding a
backend is one module plus one line in its registry, and only the chosen backend is imported.
"""

from __future__ import annotations

import importlib
from typing import Any


def load(target: str) -> Any:
    """The object named by ``"package.module:attribute"``, importing the module now."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
