"""Export a trained :class:`EmotionNet` to the shipped int8 TFLite model.

BatchNorm is folded into the convolutions, activation ranges are calibrated on real images
run through the float model, and :mod:`edge.model_format.writer` writes the flatbuffer. The
penultimate features are a second output, for ``emojify personalize``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from edge.core.labels import LABELS
from edge.core.preprocess import pixels_to_float
from edge.model_format.writer import Conv, Dense, GlobalMean, Int8Net, MaxPool, write_int8_model
from edge.system.files import atomic_write
from edge.training.model import ConvBlock, EmotionNet

log = logging.getLogger(__name__)


def fold_conv_bn(block: ConvBlock) -> tuple[np.ndarray, np.ndarray]:
    """Fold a block's BatchNorm into its convolution.

    Returns:
        ``(weight (out, kh, kw, in), bias (out,))`` as float32, in TFLite's layout.
    """
    w = block.conv.weight.detach().double()
    bn = block.bn
    assert bn.running_var is not None and bn.running_mean is not None
    gamma = bn.weight.detach().double()
    std = torch.sqrt(bn.running_var.detach().double() + bn.eps)
    factor = gamma / std
    weight = w * factor[:, None, None, None]
    bias = bn.bias.detach().double() - bn.running_mean.detach().double() * factor
    return weight.permute(0, 2, 3, 1).float().numpy(), bias.float().numpy()


@torch.no_grad()
def calibrate_ranges(
    model: EmotionNet, pixels: np.ndarray, bias_shift: np.ndarray | None = None
) -> list[tuple[float, float]]:
    """Observed ``(min, max)`` after every conv block, the global mean and the logits.

    Args:
        model: The float model (eval mode is set here).
        pixels: ``(N, 48, 48)`` uint8 calibration images, preprocessed like everything else.
        bias_shift: Added to the logits (as in the exported model), if any.

    Returns:
        One range per exported layer that needs one, in order.
    """
    model.eval()
    lows: dict[int, float] = {}
    highs: dict[int, float] = {}
    x = torch.from_numpy(pixels_to_float(pixels))[:, None]
    ranges: list[tuple[float, float]] = []
    for start in range(0, len(x), 256):
        h = x[start : start + 256]
        idx = 0
        for layer in model.features:
            h = layer(h)
            if isinstance(layer, ConvBlock):
                lows[idx] = min(lows.get(idx, 0.0), float(h.min()))
                highs[idx] = max(highs.get(idx, 0.0), float(h.max()))
                idx += 1
        feats = h.mean(dim=(2, 3))
        logits = model.classifier(feats)
        if bias_shift is not None:
            logits = logits + torch.from_numpy(bias_shift).float()
        for key, value in ((idx, feats), (idx + 1, logits)):
            lows[key] = min(lows.get(key, 0.0), float(value.min()))
            highs[key] = max(highs.get(key, 0.0), float(value.max()))
    for key in sorted(lows):
        ranges.append((lows[key], highs[key]))
    return ranges


def to_int8_net(model: EmotionNet, calibration: np.ndarray, bias_shift: np.ndarray | None = None) -> Int8Net:
    """Build the :class:`Int8Net` description of ``model``.

    Args:
        model: Trained float model.
        calibration: uint8 face pixels for activation ranges (a few hundred to a few thousand).
        bias_shift: Optional per-class logit offsets folded into the classifier bias
            (post-hoc calibration of the class priors).
    """
    ranges = iter(calibrate_ranges(model, calibration, bias_shift))
    layers: list[Conv | MaxPool | GlobalMean | Dense] = []
    for layer in model.features:
        if isinstance(layer, ConvBlock):
            weight, bias = fold_conv_bn(layer)
            layers.append(Conv(weight, bias, next(ranges)))
        elif isinstance(layer, torch.nn.MaxPool2d):
            layers.append(MaxPool(2))
        else:  # pragma: no cover
            raise TypeError(f"cannot export layer {layer!r}")
    layers.append(GlobalMean(next(ranges), expose=True))
    bias = model.classifier.bias.detach().float().numpy().copy()
    if bias_shift is not None:
        bias += bias_shift.astype(np.float32)
    layers.append(Dense(model.classifier.weight.detach().float().numpy(), bias, next(ranges)))
    metadata = {"labels": "\n".join(LABELS), "model_config": json.dumps(model.config.to_dict())}
    return Int8Net(layers, metadata=metadata)


def export_int8(model: EmotionNet, calibration: np.ndarray, path: Path, bias_shift: np.ndarray | None = None) -> int:
    """Write the int8 TFLite model to ``path`` atomically; returns its size in bytes."""
    data = write_int8_model(to_int8_net(model.cpu().eval(), calibration, bias_shift))
    atomic_write(path, data)
    log.info("wrote %s (%d bytes)", path, len(data))
    return len(data)
