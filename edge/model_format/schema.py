"""The generated TFLite schema, the ``TFL3`` identifier and finishing a flatbuffer, in one place.

The schema's Python object API (``schema_py_generated``) ships inside the ``ai-edge-litert``
wheel; it is imported here only, on first use, so the package imports without a runtime.
"""

from __future__ import annotations

from typing import Any

import flatbuffers
import numpy as np

from edge.core.errors import ModelError, RuntimeMissingError

#: The file identifier at bytes 4..8 of every TFLite model.
IDENTIFIER = b"TFL3"


def schema() -> Any:
    """The generated schema module (``ModelT``, ``TensorT``, ``BuiltinOperator``...).

    Raises:
        RuntimeMissingError: ai-edge-litert is not installed.
    """
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError as exc:
        raise RuntimeMissingError(
            f"reading or writing .tflite files needs ai-edge-litert ({exc}); pip install ai-edge-litert"
        ) from exc
    return schema_py_generated


def has_identifier(head: bytes) -> bool:
    """Whether the first bytes of a file carry the TFLite identifier."""
    return len(head) >= 8 and head[4:8] == IDENTIFIER


def parse(data: bytes) -> Any:
    """The model as the schema's mutable object tree (``ModelT``).

    Raises:
        ModelError: Not a TFLite file, or a corrupt one.
    """
    if not has_identifier(data):
        raise ModelError("not a TFLite model (no TFL3 identifier); give a .tflite file")
    try:
        return schema().ModelT.InitFromPackedBuf(bytearray(data), 0)
    except RuntimeMissingError:
        raise
    except Exception as exc:  # a corrupt flatbuffer raises anything from struct.error to IndexError
        raise ModelError(f"the TFLite model cannot be parsed ({exc}); is the file truncated?") from exc


def finish(model: Any, size_hint: int = 1 << 20) -> bytes:
    """Serialise a ``ModelT`` with the TFLite identifier."""
    builder = flatbuffers.Builder(size_hint)
    builder.Finish(model.Pack(builder), file_identifier=IDENTIFIER)
    return bytes(builder.Output())


def text(value: Any) -> str:
    """A schema string field (bytes or str) as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def buffer(values: np.ndarray | bytes) -> Any:
    """A ``BufferT`` holding the raw bytes of ``values``."""
    raw = values if isinstance(values, bytes) else np.ascontiguousarray(values).tobytes()
    buf = schema().BufferT()
    buf.data = np.frombuffer(raw, dtype=np.uint8).copy()
    return buf


def quantization(scale: np.ndarray | float, zero_point: np.ndarray | int, axis: int = 0) -> Any:
    """``QuantizationParametersT`` for per-tensor (scalars) or per-channel (arrays along ``axis``) parameters."""
    q = schema().QuantizationParametersT()
    q.scale = [float(v) for v in np.atleast_1d(scale)]
    q.zeroPoint = [int(v) for v in np.atleast_1d(zero_point)]
    q.quantizedDimension = axis
    return q
