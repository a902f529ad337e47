"""Batch augmentation on tensors (runs on the training device, CPU or GPU).

Each image gets a random affine (flip, rotation, scale, shift), brightness and contrast
jitter and, with some probability, an occluding rectangle. Everything is vectorised over the
batch so that augmentation costs little next to the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each augmentation."""

    flip: float = 0.5
    rotate_deg: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    shift: float = 0.1
    brightness: float = 0.25
    contrast: float = 0.3
    occlude: float = 0.5
    occlude_size: tuple[float, float] = (0.15, 0.4)


def augment(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """Augment a batch of ``(N, 1, H, W)`` images in ``[0, 1]``.

    Args:
        x: The batch.
        cfg: Augmentation strengths.
        generator: Random generator on ``x``'s device, for reproducible runs.

    Returns:
        A new batch of the same shape, clipped to ``[0, 1]``.
    """
    n, _, h, w = x.shape
    dev = x.device

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, device=dev, generator=generator)

    angle = (rand(n) * 2 - 1) * math.radians(cfg.rotate_deg)
    scale = cfg.scale[0] + rand(n) * (cfg.scale[1] - cfg.scale[0])
    flip = torch.where(rand(n) < cfg.flip, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = cos * flip
    theta[:, 0, 1] = -sin
    theta[:, 1, 0] = sin * flip
    theta[:, 1, 1] = cos
    theta[:, :, 2] = (rand(n, 2) * 2 - 1) * cfg.shift * 2
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    contrast = 1 + (rand(n, 1, 1, 1) * 2 - 1) * cfg.contrast
    brightness = (rand(n, 1, 1, 1) * 2 - 1) * cfg.brightness
    out = (out - mean) * contrast + mean + brightness

    if cfg.occlude > 0:
        size_h = (cfg.occlude_size[0] + rand(n) * (cfg.occlude_size[1] - cfg.occlude_size[0])) * h
        size_w = (cfg.occlude_size[0] + rand(n) * (cfg.occlude_size[1] - cfg.occlude_size[0])) * w
        top = rand(n) * (h - size_h)
        left = rand(n) * (w - size_w)
        ys = torch.arange(h, device=dev).view(1, h, 1)
        xs = torch.arange(w, device=dev).view(1, 1, w)
        inside = (
            (ys >= top.view(n, 1, 1))
            & (ys < (top + size_h).view(n, 1, 1))
            & (xs >= left.view(n, 1, 1))
            & (xs < (left + size_w).view(n, 1, 1))
        )
        active = (rand(n) < cfg.occlude).view(n, 1, 1)
        fill = rand(n, 1, 1)
        out = torch.where((inside & active).unsqueeze(1), fill.unsqueeze(1), out)
    return out.clamp_(0.0, 1.0)
