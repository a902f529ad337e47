"""The expression CNN, written so that every layer maps to an Edge-TPU-supported op.

Conv3x3 + BatchNorm + ReLU blocks (folded into one int8 CONV_2D on export), 2x2 max pools,
global average pooling (MEAN), one fully connected layer and a softmax.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from edge.core.labels import NUM_CLASSES


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of :class:`EmotionNet`.

    Attributes:
        widths: Output channels of each stage.
        repeats: Conv blocks in each stage; stages after the first start with a 2x2 max pool.
        dropout: Dropout before the classifier (training only).
    """

    widths: tuple[int, ...] = (32, 64, 128, 256)
    repeats: tuple[int, ...] = (2, 2, 2, 2)
    dropout: float = 0.3

    def to_dict(self) -> dict[str, object]:
        """Plain dict for checkpoints."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ModelConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            widths=tuple(data["widths"]),  # type: ignore[arg-type]
            repeats=tuple(data["repeats"]),  # type: ignore[arg-type]
            dropout=float(data["dropout"]),  # type: ignore[arg-type]
        )


class ConvBlock(nn.Module):
    """3x3 convolution, batch norm, ReLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)))


class EmotionNet(nn.Module):
    """Input ``(N, 1, 48, 48)`` in ``[0, 1]``; output logits ``(N, 7)`` in label order."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        layers: list[nn.Module] = []
        channels = 1
        for stage, (width, repeats) in enumerate(zip(self.config.widths, self.config.repeats, strict=True)):
            if stage > 0:
                layers.append(nn.MaxPool2d(2))
            for _ in range(repeats):
                layers.append(ConvBlock(channels, width))
                channels = width
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(self.config.dropout)
        self.classifier = nn.Linear(channels, NUM_CLASSES)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (global average pool of the last stage)."""
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.embed(x)))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
