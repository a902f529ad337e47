"""Read and replace the final FULLY_CONNECTED layer of an int8 TFLite model, without TensorFlow.

The shipped model ends in ``MEAN -> "features"``, ``FULLY_CONNECTED -> "logits"`` and
``SOFTMAX -> "probabilities"`` (see :mod:`edge.model_format.writer`). Personalisation only changes
the FULLY_CONNECTED weights, its bias and the quantisation of the logits tensor, so the new
model is the old flatbuffer with three tensors edited through the TFLite schema's object API
(:mod:`edge.model_format.schema`). Everything else (convolutions, the ``features``
output, metadata) is copied unchanged, so the result has the same signature as the shipped model.

Quantisation follows the TFLite int8 spec, as the exporter does: weights symmetric per tensor
(zero point 0, range ``[-127, 127]``), bias int32 with scale ``features_scale * weight_scale``,
logits asymmetric int8.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.core.errors import ModelError
from edge.core.quantization import activation_params, quantize_dense
from edge.model_format import schema
from edge.model_format.metadata import set_entry

log = logging.getLogger(__name__)


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


def _builtin_name(model: Any, op: Any) -> str:
    s = schema.schema()
    code = model.operatorCodes[op.opcodeIndex]
    value = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    for name, number in vars(s.BuiltinOperator).items():
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
        raise ModelError(f"tensor {schema.text(tensor.name)!r} has no data in the model file")
    raw = np.asarray(buffer.data, dtype=np.uint8).tobytes()
    return np.frombuffer(raw, dtype=dtype).reshape([int(v) for v in tensor.shape])


def _quant(tensor: Any) -> tuple[np.ndarray, np.ndarray]:
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        raise ModelError(f"tensor {schema.text(tensor.name)!r} is not quantised; personalisation needs the int8 model")
    zero = q.zeroPoint if q.zeroPoint is not None and len(q.zeroPoint) else [0]
    return np.asarray(q.scale, np.float64), np.asarray(zero, np.int64)


def _check_int8(model: Any, tensor: Any, want: str) -> None:
    s = schema.schema()
    expected = getattr(s.TensorType, want)
    if int(tensor.type) != expected:
        raise ModelError(
            f"tensor {schema.text(tensor.name)!r} is not {want}; personalisation needs the full-integer model"
        )


def read_dense_head(data: bytes) -> DenseHead:
    """Dequantise the final FULLY_CONNECTED layer of a ``.tflite`` model.

    Args:
        data: The model file's contents.

    Returns:
        The layer's float weights and bias and the quantisation of its input and output.

    Raises:
        ModelError: The file is not an int8 classifier ending in FULLY_CONNECTED + SOFTMAX.
    """
    model = schema.parse(data)
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


def _set_data(model: Any, tensor: Any, values: np.ndarray) -> None:
    """Point ``tensor`` at a buffer of its own holding ``values`` (a shared buffer is not modified)."""
    users = sum(1 for t in model.subgraphs[0].tensors if t.buffer == tensor.buffer)
    if tensor.buffer > 0 and users == 1:
        model.buffers[tensor.buffer] = schema.buffer(values)
        return
    model.buffers.append(schema.buffer(values))
    tensor.buffer = len(model.buffers) - 1


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
    model = schema.parse(data)
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
    w_q, w_scale, b_q, b_scale = quantize_dense(weight, bias, float(in_scale[0]))
    _set_data(model, weights, w_q)
    weights.quantization = schema.quantization(w_scale, 0)
    _set_data(model, bias_t, b_q)
    bias_t.quantization = schema.quantization(b_scale, 0)
    out_scale, out_zero = activation_params(*logits_range)
    logits.quantization = schema.quantization(out_scale, out_zero)
    for key, value in (metadata or {}).items():
        set_entry(model, key, value)
    extra = sum(len(v) for v in (metadata or {}).values())
    out = schema.finish(model, len(data) + extra + (1 << 16))
    log.debug("final layer replaced: weight scale %.3g, logits scale %.3g zp %d", w_scale, out_scale, out_zero)
    return out
