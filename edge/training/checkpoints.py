"""Training checkpoints (written atomically, label order checked on load), cached data arrays and float predictions."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import torch

from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.preprocess import pixels_to_float
from edge.data.datasets import FaceArrays, load_arrays
from edge.system.files import atomic_write
from edge.training.model import EmotionNet, ModelConfig


def cached_arrays(path: Path, usage: str | None, limit: int | None = None) -> FaceArrays:
    """Load a data set, caching the decoded arrays under ``~/.cache/emojify``.

    The cache key includes the file's path, size and modification time, so an edited file is
    read again.
    """
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{usage}|{limit}".encode()).hexdigest()[:16]
    cache = Path.home() / ".cache" / "emojify" / f"arrays-{key}.npz"
    if path.is_file() and cache.exists():
        with np.load(cache) as data:
            return FaceArrays(data["pixels"], data["labels"], [])
    arrays = load_arrays(path, usage, limit=limit)
    if path.is_file():
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, pixels=arrays.pixels, labels=arrays.labels)
    return arrays


@torch.no_grad()
def predict_logits(model: EmotionNet, pixels: np.ndarray, device: torch.device, batch: int = 512) -> np.ndarray:
    """Float logits for ``(N, 48, 48)`` uint8 pixels through the shared input scaling."""
    model.eval()
    out = []
    for start in range(0, len(pixels), batch):
        x = torch.from_numpy(pixels_to_float(pixels[start : start + batch]))[:, None].to(device)
        out.append(model(x).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, NUM_CLASSES), np.float32)


def save_checkpoint(path: Path, model: EmotionNet, extra: dict[str, object], half: bool = False) -> None:
    """Write a checkpoint atomically (:func:`edge.system.files.atomic_write`)."""
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in model.state_dict().items()}
    payload = {"model_state": state, "model_config": model.config.to_dict(), "labels": list(LABELS), **extra}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(path, buffer.getvalue())


def load_model(path: Path, device: torch.device | str = "cpu") -> EmotionNet:
    """Load an :class:`EmotionNet` from a checkpoint written by :func:`save_checkpoint`.

    Raises:
        ValueError: The checkpoint was trained with another label order.
    """
    payload = torch.load(path, map_location=device, weights_only=False)
    if tuple(payload.get("labels", LABELS)) != LABELS:
        raise ValueError(f"{path}: trained with labels {payload['labels']}, expected {list(LABELS)}")
    model = EmotionNet(ModelConfig.from_dict(payload["model_config"]))
    model.load_state_dict({k: v.float() for k, v in payload["model_state"].items()})
    return model.to(device).eval()
