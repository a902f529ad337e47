"""Write full-integer int8 TFLite models with NumPy and the TFLite flatbuffer schema.

The project's models are small chains of CONV_2D, MAX_POOL_2D, MEAN, FULLY_CONNECTED and
SOFTMAX, all ops the Edge TPU compiler maps. Writing them directly needs no TensorFlow, so the
export runs anywhere ai-edge-litert installs (also on the Pi, for ``emojify personalize``).

Quantisation follows the TFLite int8 spec: weights symmetric per output channel (CONV_2D) or
per tensor (FULLY_CONNECTED) with zero point 0; biases int32 with scale ``input_scale *
weight_scale``; activations asymmetric int8; SOFTMAX output scale 1/256, zero point -128;
MAX_POOL_2D output shares its input's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge.core.preprocess import INPUT_SCALE, INPUT_SIZE, INPUT_ZERO_POINT
from edge.core.quantization import (
    activation_params,
    quantize_bias,
    quantize_dense,
    quantize_symmetric,
    symmetric_scales,
)
from edge.model_format import schema
from edge.model_format.metadata import set_entry

# Operator versions for int8 kernels (per TFLite's op version table).
_OP_VERSIONS = {"CONV_2D": 3, "MAX_POOL_2D": 2, "MEAN": 2, "FULLY_CONNECTED": 4, "SOFTMAX": 2}


@dataclass
class Conv:
    """3x3 (or any) convolution with SAME padding, stride 1, optional fused ReLU.

    Attributes:
        weight: ``(out, kh, kw, in)`` float weights (BatchNorm already folded in).
        bias: ``(out,)`` float bias.
        out_range: Calibrated ``(low, high)`` of the output.
    """

    weight: np.ndarray
    bias: np.ndarray
    out_range: tuple[float, float]
    relu: bool = True


@dataclass
class MaxPool:
    """2x2 max pool, stride 2."""

    size: int = 2


@dataclass
class GlobalMean:
    """Mean over height and width; output ``(1, C)``."""

    out_range: tuple[float, float]
    expose: bool = False  # also a model output (penultimate features)


@dataclass
class Dense:
    """Fully connected layer; ``weight`` is ``(out, in)``."""

    weight: np.ndarray
    bias: np.ndarray
    out_range: tuple[float, float]


@dataclass
class Int8Net:
    """A whole network to write: input ``(1, size, size, channels)``, layers, then softmax."""

    layers: list[Conv | MaxPool | GlobalMean | Dense]
    input_size: int = INPUT_SIZE
    input_channels: int = 1
    input_scale: float = INPUT_SCALE
    input_zero_point: int = INPUT_ZERO_POINT
    description: str = "Emojify Edge expression model"
    metadata: dict[str, str] = field(default_factory=dict)


class _Builder:
    """Collects tensors, buffers and operators, then finishes the flatbuffer."""

    def __init__(self) -> None:
        self.s = schema.schema()
        self.tensors: list[Any] = []
        self.buffers: list[Any] = [self.s.BufferT()]
        self.opcodes: list[Any] = []
        self.opcode_index: dict[str, int] = {}
        self.operators: list[Any] = []

    def tensor(
        self,
        name: str,
        shape: list[int],
        dtype: str,
        scale: np.ndarray | float | None,
        zero_point: np.ndarray | int = 0,
        data: np.ndarray | None = None,
        axis: int = 0,
    ) -> int:
        s = self.s
        t = s.TensorT()
        t.name = name
        t.shape = list(shape)
        t.type = {"int8": s.TensorType.INT8, "int32": s.TensorType.INT32}[dtype]
        if scale is not None:
            t.quantization = schema.quantization(scale, zero_point, axis)
        t.buffer = 0
        if data is not None:
            self.buffers.append(schema.buffer(data))
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, name: str, inputs: list[int], outputs: list[int], options_type: int, options: object) -> None:
        s = self.s
        if name not in self.opcode_index:
            code = s.OperatorCodeT()
            value = getattr(s.BuiltinOperator, name)
            code.builtinCode = value
            code.deprecatedBuiltinCode = min(value, 127)
            code.version = _OP_VERSIONS[name]
            self.opcodes.append(code)
            self.opcode_index[name] = len(self.opcodes) - 1
        o = s.OperatorT()
        o.opcodeIndex = self.opcode_index[name]
        o.inputs = inputs
        o.outputs = outputs
        o.builtinOptionsType = options_type
        o.builtinOptions = options
        self.operators.append(o)

    def finish(self, inputs: list[int], outputs: list[int], description: str, metadata: dict[str, str]) -> bytes:
        s = self.s
        graph = s.SubGraphT()
        graph.tensors = self.tensors
        graph.inputs = inputs
        graph.outputs = outputs
        graph.operators = self.operators
        graph.name = "main"
        model = s.ModelT()
        model.version = 3
        model.operatorCodes = self.opcodes
        model.subgraphs = [graph]
        model.description = description
        model.buffers = self.buffers
        model.metadata = []
        for key, value in metadata.items():
            set_entry(model, key, value)
        return schema.finish(model)


@dataclass
class _Cursor:
    """The tensor the next layer reads: its index, shape and quantisation."""

    tensor: int
    shape: list[int]
    scale: float
    zero_point: int


def _conv(b: _Builder, i: int, layer: Conv, at: _Cursor) -> _Cursor:
    s = b.s
    out_ch = layer.weight.shape[0]
    w_scales = symmetric_scales(layer.weight, axis=0)
    w_q = quantize_symmetric(layer.weight, w_scales[:, None, None, None])
    b_scales = (w_scales.astype(np.float64) * at.scale).astype(np.float32)
    zeros = np.zeros(out_ch, int)
    w_t = b.tensor(f"conv{i}/weights", list(layer.weight.shape), "int8", w_scales, zeros, w_q)
    b_t = b.tensor(f"conv{i}/bias", [out_ch], "int32", b_scales, zeros, quantize_bias(layer.bias, b_scales))
    scale, zp = activation_params(*layer.out_range)
    shape = [1, at.shape[1], at.shape[2], out_ch]
    out = b.tensor(f"conv{i}/output", shape, "int8", scale, zp)
    opts = s.Conv2DOptionsT()
    opts.padding = s.Padding.SAME
    opts.strideW = opts.strideH = 1
    opts.dilationWFactor = opts.dilationHFactor = 1
    opts.fusedActivationFunction = s.ActivationFunctionType.RELU if layer.relu else s.ActivationFunctionType.NONE
    b.op("CONV_2D", [at.tensor, w_t, b_t], [out], s.BuiltinOptions.Conv2DOptions, opts)
    return _Cursor(out, shape, scale, zp)


def _pool(b: _Builder, i: int, layer: MaxPool, at: _Cursor) -> _Cursor:
    s = b.s
    shape = [1, at.shape[1] // layer.size, at.shape[2] // layer.size, at.shape[3]]
    out = b.tensor(f"pool{i}/output", shape, "int8", at.scale, at.zero_point)
    opts = s.Pool2DOptionsT()
    opts.padding = s.Padding.VALID
    opts.strideW = opts.strideH = layer.size
    opts.filterWidth = opts.filterHeight = layer.size
    opts.fusedActivationFunction = s.ActivationFunctionType.NONE
    b.op("MAX_POOL_2D", [at.tensor], [out], s.BuiltinOptions.Pool2DOptions, opts)
    return _Cursor(out, shape, at.scale, at.zero_point)


def _mean(b: _Builder, i: int, layer: GlobalMean, at: _Cursor) -> _Cursor:
    s = b.s
    axes = b.tensor(f"mean{i}/axes", [2], "int32", None, data=np.asarray([1, 2], np.int32))
    scale, zp = activation_params(*layer.out_range)
    shape = [1, at.shape[3]]
    out = b.tensor("features" if layer.expose else f"mean{i}/output", shape, "int8", scale, zp)
    opts = s.ReducerOptionsT()
    opts.keepDims = False
    b.op("MEAN", [at.tensor, axes], [out], s.BuiltinOptions.ReducerOptions, opts)
    return _Cursor(out, shape, scale, zp)


def _dense(b: _Builder, i: int, layer: Dense, at: _Cursor) -> _Cursor:
    s = b.s
    out_n = layer.weight.shape[0]
    w_q, w_scale, b_q, b_scale = quantize_dense(layer.weight, layer.bias, at.scale)
    w_t = b.tensor(f"dense{i}/weights", list(layer.weight.shape), "int8", w_scale, 0, w_q)
    b_t = b.tensor(f"dense{i}/bias", [out_n], "int32", b_scale, 0, b_q)
    scale, zp = activation_params(*layer.out_range)
    shape = [1, out_n]
    out = b.tensor("logits", shape, "int8", scale, zp)
    opts = s.FullyConnectedOptionsT()
    opts.fusedActivationFunction = s.ActivationFunctionType.NONE
    opts.keepNumDims = False
    b.op("FULLY_CONNECTED", [at.tensor, w_t, b_t], [out], s.BuiltinOptions.FullyConnectedOptions, opts)
    return _Cursor(out, shape, scale, zp)


def write_int8_model(net: Int8Net) -> bytes:
    """Serialise ``net`` as a full-integer int8 TFLite flatbuffer.

    Outputs: the softmax probabilities ``(1, classes)`` first; then, for a :class:`GlobalMean`
    with ``expose=True``, its features ``(1, C)``.

    Returns:
        The ``.tflite`` file contents.
    """
    b = _Builder()
    s = b.s
    shape = [1, net.input_size, net.input_size, net.input_channels]
    model_input = b.tensor("input", shape, "int8", net.input_scale, net.input_zero_point)
    at = _Cursor(model_input, shape, net.input_scale, net.input_zero_point)
    extra_outputs: list[int] = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Conv):
            at = _conv(b, i, layer, at)
        elif isinstance(layer, MaxPool):
            at = _pool(b, i, layer, at)
        elif isinstance(layer, GlobalMean):
            at = _mean(b, i, layer, at)
            if layer.expose:
                extra_outputs.append(at.tensor)
        elif isinstance(layer, Dense):
            at = _dense(b, i, layer, at)
        else:  # pragma: no cover - the dataclasses above are the whole vocabulary
            raise TypeError(f"unsupported layer {layer!r}")
    probs = b.tensor("probabilities", at.shape, "int8", 1.0 / 256.0, -128)
    opts = s.SoftmaxOptionsT()
    opts.beta = 1.0
    b.op("SOFTMAX", [at.tensor], [probs], s.BuiltinOptions.SoftmaxOptions, opts)
    return b.finish([model_input], [probs, *extra_outputs], net.description, net.metadata)
