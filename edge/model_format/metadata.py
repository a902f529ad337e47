"""Metadata entries of a TFLite model: named byte strings stored in buffers (labels, statistics...)."""

from __future__ import annotations

import io
import logging
from typing import Any

import numpy as np

from edge.core.errors import ModelError
from edge.model_format import schema

log = logging.getLogger(__name__)

#: Metadata key under which a personalised model records how it was made (JSON text).
PERSONALIZATION_KEY = "personalization"
#: Metadata key of the second moments of ``[features, 1]`` on general faces (a ``.npy`` float32
#: ``(D+1, D+1)`` matrix). Personalisation uses it to keep predictions on general faces unchanged.
FEATURE_MOMENTS_KEY = "feature_moments"


def set_entry(model: Any, key: str, value: str | bytes) -> None:
    """Add or replace one metadata entry of a parsed model (a buffer shared with anything else is left alone)."""
    s = schema.schema()
    model.metadata = list(model.metadata or [])
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    for entry in model.metadata:
        if schema.text(entry.name) == key:
            users = sum(1 for e in model.metadata if e.buffer == entry.buffer)
            if entry.buffer > 0 and users == 1:
                model.buffers[entry.buffer] = schema.buffer(raw)
                return
            break
    model.metadata = [e for e in model.metadata if schema.text(e.name) != key]
    model.buffers.append(schema.buffer(raw))
    entry = s.MetadataT()
    entry.name = key
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)


def read_metadata(data: bytes) -> dict[str, bytes]:
    """The model's metadata entries (``labels``, ``model_config``, ``personalization``...) as raw bytes.

    Raises:
        ModelError: The model cannot be parsed, or an entry points at a buffer it does not have.
    """
    model = schema.parse(data)
    found: dict[str, bytes] = {}
    buffers = model.buffers or []
    for entry in model.metadata or []:
        if not 0 <= entry.buffer < len(buffers):
            raise ModelError(
                f"the model's metadata entry {schema.text(entry.name)!r} points at buffer {entry.buffer} "
                f"of {len(buffers)}; the file is damaged: personalise again or delete it"
            )
        buffer = buffers[entry.buffer]
        if buffer.data is not None:
            found[schema.text(entry.name)] = np.asarray(buffer.data, np.uint8).tobytes()
    return found


def add_metadata(data: bytes, entries: dict[str, str | bytes]) -> bytes:
    """A copy of the model with metadata entries added or replaced; nothing else changes.

    Args:
        data: The ``.tflite`` contents.
        entries: ``{name: text or bytes}``.

    Raises:
        ModelError: The model cannot be parsed.
    """
    model = schema.parse(data)
    for key, value in entries.items():
        set_entry(model, key, value)
    return schema.finish(model, len(data) + sum(len(v) for v in entries.values()) + (1 << 16))


def encode_moments(moments: np.ndarray) -> bytes:
    """``moments`` as ``.npy`` bytes (float32) for the :data:`FEATURE_MOMENTS_KEY` metadata entry."""
    out = io.BytesIO()
    np.save(out, np.asarray(moments, np.float32), allow_pickle=False)
    return out.getvalue()


def read_feature_moments(data: bytes) -> np.ndarray | None:
    """The general-face feature moments stored in the model, or ``None`` when there are none (or they are broken)."""
    raw = read_metadata(data).get(FEATURE_MOMENTS_KEY)
    if raw is None:
        return None
    try:
        moments = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        log.warning("ignoring the model's %s metadata: unreadable (%s)", FEATURE_MOMENTS_KEY, exc)
        return None
    if moments.ndim != 2 or moments.shape[0] != moments.shape[1] or not np.isfinite(moments).all():
        log.warning(
            "ignoring the model's %s metadata: shape %s is not a square matrix", FEATURE_MOMENTS_KEY, moments.shape
        )
        return None
    return moments.astype(np.float64)
