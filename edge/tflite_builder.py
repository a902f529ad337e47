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

import numpy as np

from edge.core.quantization import activation_params, symmetric_scales

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
    input_size: int = 48
    input_channels: int = 1
    input_scale: float = 1.0 / 255.0
    input_zero_point: int = -128
    description: str = "Emojify Edge expression model"
    metadata: dict[str, str] = field(default_factory=dict)


class _Builder:
    def __init__(self) -> None:
        from ai_edge_litert import schema_py_generated as schema

        self.s = schema
        self.tensors: list[object] = []
        self.buffers: list[object] = [schema.BufferT()]
        self.opcodes: list[object] = []
        self.opcode_index: dict[str, int] = {}
        self.operators: list[object] = []

    def tensor(
        self,
        name: str,
        shape: list[int],
        dtype: str,
        scale: np.ndarray | float,
        zero_point: np.ndarray | int,
        data: np.ndarray | None = None,
        axis: int = 0,
    ) -> int:
        s = self.s
        t = s.TensorT()
        t.name = name
        t.shape = list(shape)
        t.type = {"int8": s.TensorType.INT8, "int32": s.TensorType.INT32}[dtype]
        q = s.QuantizationParametersT()
        q.scale = [float(v) for v in np.atleast_1d(scale)]
        q.zeroPoint = [int(v) for v in np.atleast_1d(zero_point)]
        q.quantizedDimension = axis
        t.quantization = q
        if data is not None:
            buf = s.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype=np.uint8)
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        else:
            t.buffer = 0
        self.tensors.append(t)
        return len(self.tensors) - 1

    def int32_tensor(self, name: str, values: list[int]) -> int:
        s = self.s
        t = s.TensorT()
        t.name = name
        t.shape = [len(values)]
        t.type = s.TensorType.INT32
        buf = s.BufferT()
        buf.data = np.frombuffer(np.asarray(values, np.int32).tobytes(), dtype=np.uint8)
        self.buffers.append(buf)
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
        import flatbuffers

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
        model.metadata = []
        for key, value in metadata.items():
            buf = s.BufferT()
            buf.data = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
            self.buffers.append(buf)
            entry = s.MetadataT()
            entry.name = key
            entry.buffer = len(self.buffers) - 1
            model.metadata.append(entry)
        model.buffers = self.buffers
        builder = flatbuffers.Builder(1 << 20)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def _quantize_bias(bias: np.ndarray, scales: np.ndarray) -> np.ndarray:
    q = np.round(bias.astype(np.float64) / scales.astype(np.float64))
    return np.clip(q, -(2**31), 2**31 - 1).astype(np.int32)


def write_int8_model(net: Int8Net) -> bytes:
    """Serialise ``net`` as a full-integer int8 TFLite flatbuffer.

    Outputs: the softmax probabilities ``(1, classes)`` first; then, for a :class:`GlobalMean`
    with ``expose=True``, its features ``(1, C)``.

    Returns:
        The ``.tflite`` file contents.
    """
    b = _Builder()
    s = b.s
    size, channels = net.input_size, net.input_channels
    scale, zp = net.input_scale, net.input_zero_point
    current = b.tensor("input", [1, size, size, channels], "int8", scale, zp)
    model_input = current
    shape = [1, size, size, channels]
    extra_outputs: list[int] = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Conv):
            out_ch = layer.weight.shape[0]
            w_scales = symmetric_scales(layer.weight, axis=0)
            w_q = np.clip(np.round(layer.weight / w_scales[:, None, None, None]), -127, 127).astype(np.int8)
            b_scales = (w_scales.astype(np.float64) * scale).astype(np.float32)
            w_t = b.tensor(f"conv{i}/weights", list(layer.weight.shape), "int8", w_scales, np.zeros(out_ch, int), w_q)
            b_t = b.tensor(
                f"conv{i}/bias",
                [out_ch],
                "int32",
                b_scales,
                np.zeros(out_ch, int),
                _quantize_bias(layer.bias, b_scales),
            )
            scale, zp = activation_params(*layer.out_range)
            shape = [1, shape[1], shape[2], out_ch]
            out = b.tensor(f"conv{i}/output", shape, "int8", scale, zp)
            opts = s.Conv2DOptionsT()
            opts.padding = s.Padding.SAME
            opts.strideW = opts.strideH = 1
            opts.dilationWFactor = opts.dilationHFactor = 1
            opts.fusedActivationFunction = (
                s.ActivationFunctionType.RELU if layer.relu else s.ActivationFunctionType.NONE
            )
            b.op("CONV_2D", [current, w_t, b_t], [out], s.BuiltinOptions.Conv2DOptions, opts)
        elif isinstance(layer, MaxPool):
            shape = [1, shape[1] // layer.size, shape[2] // layer.size, shape[3]]
            out = b.tensor(f"pool{i}/output", shape, "int8", scale, zp)
            opts = s.Pool2DOptionsT()
            opts.padding = s.Padding.VALID
            opts.strideW = opts.strideH = layer.size
            opts.filterWidth = opts.filterHeight = layer.size
            opts.fusedActivationFunction = s.ActivationFunctionType.NONE
            b.op("MAX_POOL_2D", [current], [out], s.BuiltinOptions.Pool2DOptions, opts)
        elif isinstance(layer, GlobalMean):
            axes = b.int32_tensor(f"mean{i}/axes", [1, 2])
            scale, zp = activation_params(*layer.out_range)
            shape = [1, shape[3]]
            out = b.tensor("features" if layer.expose else f"mean{i}/output", shape, "int8", scale, zp)
            opts = s.ReducerOptionsT()
            opts.keepDims = False
            b.op("MEAN", [current, axes], [out], s.BuiltinOptions.ReducerOptions, opts)
            if layer.expose:
                extra_outputs.append(out)
        elif isinstance(layer, Dense):
            out_n = layer.weight.shape[0]
            w_scale = float(symmetric_scales(layer.weight[None], axis=0)[0])
            w_q = np.clip(np.round(layer.weight / w_scale), -127, 127).astype(np.int8)
            b_scale = float(np.float32(w_scale * scale))
            w_t = b.tensor(f"dense{i}/weights", list(layer.weight.shape), "int8", w_scale, 0, w_q)
            b_t = b.tensor(
                f"dense{i}/bias", [out_n], "int32", b_scale, 0, _quantize_bias(layer.bias, np.full(out_n, b_scale))
            )
            scale, zp = activation_params(*layer.out_range)
            shape = [1, out_n]
            out = b.tensor("logits", shape, "int8", scale, zp)
            opts = s.FullyConnectedOptionsT()
            opts.fusedActivationFunction = s.ActivationFunctionType.NONE
            opts.keepNumDims = False
            b.op("FULLY_CONNECTED", [current, w_t, b_t], [out], s.BuiltinOptions.FullyConnectedOptions, opts)
        else:  # pragma: no cover - the dataclasses above are the whole vocabulary
            raise TypeError(f"unsupported layer {layer!r}")
        current = out
    probs = b.tensor("probabilities", shape, "int8", 1.0 / 256.0, -128)
    opts = s.SoftmaxOptionsT()
    opts.beta = 1.0
    b.op("SOFTMAX", [current], [probs], s.BuiltinOptions.SoftmaxOptions, opts)
    return b.finish([model_input], [probs, *extra_outputs], net.description, net.metadata)
