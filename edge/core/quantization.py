"""Affine int8 quantisation, in one place.

``real = scale * (q - zero_point)``. Subtraction happens in int32 so that ``q - zero_point``
cannot wrap around in int8 (``-128 - 127`` does not fit in a byte).
"""

from __future__ import annotations

import numpy as np


def quantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Quantise real values to int8 with round-half-away-from-zero, saturating."""
    q = np.round(np.asarray(values, dtype=np.float64) / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Turn int8 (or uint8) tensor values back into float32 real values."""
    return (np.asarray(values).astype(np.int32) - zero_point).astype(np.float32) * np.float32(scale)


def symmetric_scales(weights: np.ndarray, axis: int = 0) -> np.ndarray:
    """Per-channel scales for symmetric int8 weights (zero point 0, range ``[-127, 127]``).

    Args:
        weights: Float weights.
        axis: The output-channel axis.

    Returns:
        float32 scales, one per channel; a channel of zeros gets a tiny non-zero scale.
    """
    reduce_axes = tuple(i for i in range(weights.ndim) if i != axis)
    max_abs = np.max(np.abs(weights), axis=reduce_axes)
    return np.maximum(max_abs / 127.0, 1e-12).astype(np.float32)


def activation_params(low: float, high: float) -> tuple[float, int]:
    """Asymmetric int8 parameters covering ``[low, high]`` (the range always includes 0).

    Returns:
        ``(scale, zero_point)`` with zero point in ``[-128, 127]`` so that 0.0 is exact.
    """
    low = min(float(low), 0.0)
    high = max(float(high), 0.0)
    if high - low < 1e-8:
        high = low + 1e-8
    scale = (high - low) / 255.0
    zero_point = round(-128 - low / scale)
    return scale, int(np.clip(zero_point, -128, 127))


def quantize_symmetric(weights: np.ndarray, scales: np.ndarray | float) -> np.ndarray:
    """Symmetric int8 weights ``round(w / scale)`` in ``[-127, 127]`` (``scales`` broadcast against ``weights``)."""
    return np.clip(np.round(np.asarray(weights) / scales), -127, 127).astype(np.int8)


def quantize_bias(bias: np.ndarray, scales: np.ndarray | float) -> np.ndarray:
    """int32 bias ``round(b / scale)``, saturating (scale = input scale x weight scale, per the TFLite spec)."""
    q = np.round(np.asarray(bias, np.float64) / np.asarray(scales, np.float64))
    return np.clip(q, -(2**31), 2**31 - 1).astype(np.int32)


def quantize_dense(
    weight: np.ndarray, bias: np.ndarray, input_scale: float
) -> tuple[np.ndarray, float, np.ndarray, float]:
    """A FULLY_CONNECTED layer in int8: weights symmetric per tensor, bias int32 at ``input_scale * weight_scale``.

    Args:
        weight: ``(out, in)`` float weights.
        bias: ``(out,)`` float bias.
        input_scale: Scale of the tensor the layer reads.

    Returns:
        ``(int8 weights, weight scale, int32 bias, bias scale)``.
    """
    weight = np.asarray(weight)
    w_scale = float(symmetric_scales(weight[None], axis=0)[0])
    b_scale = float(np.float32(w_scale * input_scale))
    return quantize_symmetric(weight, w_scale), w_scale, quantize_bias(bias, b_scale), b_scale
