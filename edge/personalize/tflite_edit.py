"""Read and replace the final FULLY_CONNECTED layer of an int8 TFLite model, without TensorFlow.

The shipped model ends in ``MEAN -> "features"``, ``FULLY_CONNECTED -> "logits"`` and
``SOFTMAX -> "probabilities"`` (see :mod:`edge.tflite_builder`). Personalisation only changes
the FULLY_CONNECTED weights, its bias and the quantisation of the logits tensor, so the new
model is the old flatbuffer with three tensors edited through the TFLite schema's object API
(``ai_edge_litert.schema_py_generated``). Everything else (convolutions, the ``features``
output, metadata) is copied unchanged, so the result has the same signature as the shipped model.

Quantisation follows the TFLite int8 spec, as the exporter does: weights symmetric per tensor
(zero point 0, range ``[-127, 127]``), bias int32 with scale ``features_scale * weight_scale``,
logits asymmetric int8.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.core.errors import ModelError
from edge.core.quantization import activation_params, symmetric_scales

log = logging.getLogger(__name__)

#: Metadata key under which a personalised model records how it was made (JSON text).
PERSONALIZATION_KEY = "personalization"
#: Metadata key of the second moments of ``[features, 1]`` on general faces (a ``.npy`` float32
#: ``(D+1, D+1)`` matrix). Personalisation uses it to keep predictions on general faces unchanged.
FEATURE_MOMENTS_KEY = "feature_moments"


@dataclass(frozen=True)
class DenseHead:
    """The float view of a model's final layer and the quantisation around it.

    Attributes:
        weight: ``(classes, features)`` float32 weights (dequantised).
        bias: ``(classes,)`` float32 bias (dequantised).
        input_scale: Scale of the ``features`` tensor feeding the layer.
        input_zero_point: Zero point of the ``features`` tensor.
        logits_scale: Scale of the logits tensor.
        logits_zero_point: Zero point of the logits tensor.
    """

    weight: np.ndarray
    bias: np.ndarray
    input_scale: float
    input_zero_point: int
    logits_scale: float
    logits_zero_point: int

    @property
    def logits_range(self) -> tuple[float, float]:
        """The real values the int8 logits tensor can represent."""
        return (
            self.logits_scale * (-128 - self.logits_zero_point),
            self.logits_scale * (127 - self.logits_zero_point),
        )


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated as schema

    return schema


def _load(data: bytes) -> Any:
    schema = _schema()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError("not a TFLite model (no TFL3 identifier); give a .tflite file")
    try:
        return schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    except Exception as exc:  # a corrupt flatbuffer raises anything from struct.error to IndexError
        raise ModelError(f"the TFLite model cannot be parsed ({exc}); is the file truncated?") from exc


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _builtin_name(model: Any, op: Any) -> str:
    schema = _schema()
    code = model.operatorCodes[op.opcodeIndex]
    value = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    for name, number in vars(schema.BuiltinOperator).items():
        if not name.startswith("_") and number == value:
            return str(name)
    return f"op{value}"


def _find_dense(model: Any) -> Any:
    """The FULLY_CONNECTED operator whose output goes into the final SOFTMAX."""
    if len(model.subgraphs or []) != 1:
        raise ModelError("the model has more than one subgraph; only single-graph classifiers can be personalised")
    graph = model.subgraphs[0]
    ops = graph.operators or []
    softmax = [op for op in ops if _builtin_name(model, op) == "SOFTMAX"]
    if len(softmax) != 1:
        raise ModelError(f"expected one SOFTMAX operator at the end of the model, found {len(softmax)}")
    logits = softmax[0].inputs[0]
    producers = [op for op in ops if logits in list(op.outputs)]
    if len(producers) != 1 or _builtin_name(model, producers[0]) != "FULLY_CONNECTED":
        raise ModelError(
            "the model's SOFTMAX is not fed by a FULLY_CONNECTED layer; only models exported by "
            "scripts/export.py can be personalised"
        )
    dense = producers[0]
    if len(dense.inputs) < 3 or dense.inputs[2] < 0:
        raise ModelError("the model's final FULLY_CONNECTED layer has no bias; re-export it with scripts/export.py")
    return dense


def _tensor_values(model: Any, tensor: Any, dtype: type) -> np.ndarray:
    buffer = model.buffers[tensor.buffer]
    if buffer.data is None or len(buffer.data) == 0:
        raise ModelError(f"tensor {_text(tensor.name)!r} has no data in the model file")
    raw = np.asarray(buffer.data, dtype=np.uint8).tobytes()
    return np.frombuffer(raw, dtype=dtype).reshape([int(v) for v in tensor.shape])


def _quant(tensor: Any) -> tuple[np.ndarray, np.ndarray]:
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        raise ModelError(f"tensor {_text(tensor.name)!r} is not quantised; personalisation needs the int8 model")
    zero = q.zeroPoint if q.zeroPoint is not None and len(q.zeroPoint) else [0]
    return np.asarray(q.scale, np.float64), np.asarray(zero, np.int64)


def _check_int8(model: Any, tensor: Any, want: str) -> None:
    schema = _schema()
    expected = getattr(schema.TensorType, want)
    if int(tensor.type) != expected:
        raise ModelError(f"tensor {_text(tensor.name)!r} is not {want}; personalisation needs the full-integer model")


def read_dense_head(data: bytes) -> DenseHead:
    """Dequantise the final FULLY_CONNECTED layer of a ``.tflite`` model.

    Args:
        data: The model file's contents.

    Returns:
        The layer's float weights and bias and the quantisation of its input and output.

    Raises:
        ModelError: The file is not an int8 classifier ending in FULLY_CONNECTED + SOFTMAX.
    """
    model = _load(data)
    dense = _find_dense(model)
    tensors = model.subgraphs[0].tensors
    features, weights, bias, logits = (tensors[i] for i in (*dense.inputs[:3], dense.outputs[0]))
    for tensor, kind in ((features, "INT8"), (weights, "INT8"), (bias, "INT32"), (logits, "INT8")):
        _check_int8(model, tensor, kind)
    w_scale, w_zero = _quant(weights)
    b_scale, _ = _quant(bias)
    in_scale, in_zero = _quant(features)
    out_scale, out_zero = _quant(logits)
    w_q = _tensor_values(model, weights, np.int8).astype(np.float64)
    if w_q.ndim != 2:
        raise ModelError(f"the final layer's weights have shape {list(w_q.shape)}; expected (classes, features)")
    w_zero_b = w_zero[:, None] if w_zero.size > 1 else w_zero
    w_scale_b = w_scale[:, None] if w_scale.size > 1 else w_scale
    weight = ((w_q - w_zero_b) * w_scale_b).astype(np.float32)
    bias_f = (_tensor_values(model, bias, np.int32).astype(np.float64) * b_scale).astype(np.float32)
    return DenseHead(
        weight=weight,
        bias=bias_f.reshape(-1),
        input_scale=float(in_scale[0]),
        input_zero_point=int(in_zero[0]),
        logits_scale=float(out_scale[0]),
        logits_zero_point=int(out_zero[0]),
    )


def read_metadata(data: bytes) -> dict[str, bytes]:
    """The model's metadata entries (``labels``, ``model_config``, ``personalization``...) as raw bytes."""
    model = _load(data)
    found: dict[str, bytes] = {}
    for entry in model.metadata or []:
        buffer = model.buffers[entry.buffer]
        if buffer.data is not None:
            found[_text(entry.name)] = np.asarray(buffer.data, np.uint8).tobytes()
    return found


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


def add_metadata(data: bytes, entries: dict[str, str | bytes]) -> bytes:
    """A copy of the model with metadata entries added or replaced; nothing else changes.

    Args:
        data: The ``.tflite`` contents.
        entries: ``{name: text or bytes}``.

    Raises:
        ModelError: The model cannot be parsed.
    """
    import flatbuffers

    model = _load(data)
    for key, value in entries.items():
        _set_metadata(model, key, value)
    builder = flatbuffers.Builder(len(data) + sum(len(v) for v in entries.values()) + (1 << 16))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _set_data(model: Any, tensor: Any, values: np.ndarray) -> None:
    """Point ``tensor`` at a buffer of its own holding ``values`` (a shared buffer is not modified)."""
    schema = _schema()
    users = sum(1 for t in model.subgraphs[0].tensors if t.buffer == tensor.buffer)
    data = np.frombuffer(np.ascontiguousarray(values).tobytes(), dtype=np.uint8).copy()
    if tensor.buffer > 0 and users == 1:
        model.buffers[tensor.buffer].data = data
        return
    buffer = schema.BufferT()
    buffer.data = data
    model.buffers.append(buffer)
    tensor.buffer = len(model.buffers) - 1


def _set_quant(tensor: Any, scale: float, zero_point: int) -> None:
    schema = _schema()
    q = schema.QuantizationParametersT()
    q.scale = [float(scale)]
    q.zeroPoint = [int(zero_point)]
    q.quantizedDimension = 0
    tensor.quantization = q


def quantize_head(
    weight: np.ndarray, bias: np.ndarray, input_scale: float
) -> tuple[np.ndarray, float, np.ndarray, float]:
    """Quantise float FC weights and bias as the exporter does.

    Args:
        weight: ``(classes, features)`` float weights.
        bias: ``(classes,)`` float bias.
        input_scale: Scale of the features tensor.

    Returns:
        ``(int8 weights, weight scale, int32 bias, bias scale)``.
    """
    w_scale = float(symmetric_scales(np.asarray(weight, np.float32)[None], axis=0)[0])
    w_q = np.clip(np.round(weight / w_scale), -127, 127).astype(np.int8)
    b_scale = float(np.float32(w_scale * input_scale))
    b_q = np.clip(np.round(np.asarray(bias, np.float64) / b_scale), -(2**31), 2**31 - 1).astype(np.int32)
    return w_q, w_scale, b_q, b_scale


def replace_dense_head(
    data: bytes,
    weight: np.ndarray,
    bias: np.ndarray,
    logits_range: tuple[float, float],
    metadata: dict[str, str | bytes] | None = None,
) -> bytes:
    """A copy of the model with the final layer's weights, bias and logits quantisation replaced.

    Args:
        data: The base model's ``.tflite`` contents.
        weight: New ``(classes, features)`` float weights (same shape as the old ones).
        bias: New ``(classes,)`` float bias.
        logits_range: ``(low, high)`` real range the logits tensor must cover.
        metadata: Metadata entries to add or replace (text or bytes).

    Returns:
        The new ``.tflite`` contents.

    Raises:
        ModelError: The base model cannot be edited, or the shapes do not match.
    """
    import flatbuffers

    model = _load(data)
    dense = _find_dense(model)
    tensors = model.subgraphs[0].tensors
    features, weights, bias_t, logits = (tensors[i] for i in (*dense.inputs[:3], dense.outputs[0]))
    old_shape = tuple(int(v) for v in weights.shape)
    weight = np.asarray(weight, np.float32)
    bias = np.asarray(bias, np.float32).reshape(-1)
    if weight.shape != old_shape or bias.shape != (old_shape[0],):
        raise ModelError(
            f"new final layer has shape {list(weight.shape)} + bias {list(bias.shape)}; "
            f"the model needs {list(old_shape)} + [{old_shape[0]}]"
        )
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise ModelError("the fitted final layer contains NaN or infinity; nothing was written")
    in_scale, _ = _quant(features)
    w_q, w_scale, b_q, b_scale = quantize_head(weight, bias, float(in_scale[0]))
    _set_data(model, weights, w_q)
    _set_quant(weights, w_scale, 0)
    _set_data(model, bias_t, b_q)
    _set_quant(bias_t, b_scale, 0)
    out_scale, out_zero = activation_params(*logits_range)
    _set_quant(logits, out_scale, out_zero)
    for key, value in (metadata or {}).items():
        _set_metadata(model, key, value)
    extra = sum(len(v) for v in (metadata or {}).values())
    builder = flatbuffers.Builder(len(data) + extra + (1 << 16))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    out = bytes(builder.Output())
    log.debug("final layer replaced: weight scale %.3g, logits scale %.3g zp %d", w_scale, out_scale, out_zero)
    return out


def _set_metadata(model: Any, key: str, value: str | bytes) -> None:
    schema = _schema()
    model.metadata = list(model.metadata or [])
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    encoded = np.frombuffer(raw, dtype=np.uint8).copy()
    for entry in model.metadata:
        if _text(entry.name) == key:
            users = sum(1 for e in model.metadata if e.buffer == entry.buffer)
            if entry.buffer > 0 and users == 1:
                model.buffers[entry.buffer].data = encoded
                return
            break
    model.metadata = [e for e in model.metadata if _text(e.name) != key]
    buffer = schema.BufferT()
    buffer.data = encoded
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = key
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
