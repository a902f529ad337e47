"""Expression classifier: the int8 TFLite model behind a small, neutral interface.

It takes the square uint8 pixels made by :func:`edge.core.preprocess.face_to_model_pixels` (of
:attr:`ExpressionClassifier.input_size`, read from the model) and returns probabilities in label
order. The interpreter never leaves this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.core.errors import ModelError
from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.preprocess import INPUT_SIZE, pixels_to_float, pixels_to_int8
from edge.core.quantization import dequantize
from edge.inference.runtime import get_runtime, open_interpreter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded and where it runs."""

    path: Path
    delegate: str
    input_dtype: str
    runtime: str


class ExpressionClassifier:
    """Classify face pixels with a TFLite model.

    Args:
        model: Path to the CPU ``.tflite`` model (its ``_edgetpu`` sibling is found by name).
        num_threads: CPU threads.
        delegate: ``auto``, ``cpu`` or ``edgetpu`` (see :func:`edge.inference.runtime.open_interpreter`).
        flip: :meth:`classify` also reads the face's mirror image and averages the two answers
            (``[model] flip``: twice the model time per face).

    Raises:
        ModelError: The model cannot be used with this project's labels and preprocessing.
    """

    def __init__(self, model: Path, num_threads: int = 1, delegate: str = "auto", flip: bool = False) -> None:
        self.flip = flip
        self._requested = delegate
        self._threads = num_threads
        self._cpu_model = model
        self._open(delegate)

    def _open(self, delegate: str) -> None:
        interpreter, used, path = open_interpreter(self._cpu_model, self._threads, delegate)
        self._interpreter: Any = interpreter
        self._input, self._probs, self._features = _check_signature(interpreter, path)
        self.info = ModelInfo(
            path, used, np.dtype(self._input["dtype"]).name, f"{get_runtime().package} {get_runtime().version}"
        )
        self._check_finite(path)
        log.info("model %s on %s (%s input)", path, used, self.info.input_dtype)

    def _check_finite(self, path: Path) -> None:
        """Refuse a model that gives NaN or infinity for an ordinary face-sized grey image."""
        size = self.input_size
        probs, _ = self.run(np.full((size, size), 128, np.uint8))
        if not np.isfinite(probs).all():
            raise ModelError(
                f"{path} gives NaN or infinite probabilities for a plain grey face; the model is broken: "
                "restore it from the repository (models/) or retrain"
            )

    @property
    def input_size(self) -> int:
        """Side of the square face pixels the model takes (read from its input tensor)."""
        return int(self._input["shape"][1])

    @property
    def has_features(self) -> bool:
        """True when the model also outputs its penultimate features."""
        return self._features is not None

    def _set_input(self, pixels: np.ndarray) -> None:
        size = self.input_size
        if pixels.shape != (size, size):
            raise ValueError(f"face pixels must be {size}x{size}, got {pixels.shape}")
        dtype = np.dtype(self._input["dtype"])
        if dtype == np.int8:
            scale, zero_point = self._input["quantization"]
            value = pixels_to_int8(pixels, scale, zero_point)
        elif dtype == np.uint8:
            value = pixels
        else:
            value = pixels_to_float(pixels)
        self._interpreter.set_tensor(self._input["index"], value.reshape(self._input["shape"]).astype(dtype))

    def _invoke(self) -> None:
        try:
            self._interpreter.invoke()
        except RuntimeError:
            if self.info.delegate != "edgetpu" or self._requested != "auto":
                raise
            log.warning("the Edge TPU stopped answering; continuing on the CPU model %s", self._cpu_model)
            self._open("cpu")
            raise _Retry from None

    def classify(self, pixels: np.ndarray) -> np.ndarray:
        """Probabilities ``(7,)`` float32 for one face's uint8 pixels (``input_size`` square).

        With :attr:`flip`, the mean of the face's and its mirror image's probabilities (the
        seven expressions look the same mirrored, so the mirror is a second look at the face).
        """
        probs = self.run(pixels)[0]
        if not self.flip:
            return probs
        mirrored = self.run(np.ascontiguousarray(pixels[:, ::-1]))[0]
        return ((probs + mirrored) / 2.0).astype(np.float32)

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and, when the model has them, penultimate features for one face."""
        for _ in range(2):
            self._set_input(pixels)
            try:
                self._invoke()
            except _Retry:
                continue
            probs = _read(self._interpreter, self._probs)
            total = float(probs.sum())
            if not 0.9 < total < 1.1:  # logits from a model without a softmax
                probs = np.exp(probs - probs.max())
                total = float(probs.sum())
            features = _read(self._interpreter, self._features) if self._features is not None else None
            return (probs / total).astype(np.float32), features
        raise RuntimeError("the model could not be run on the CPU either")


class _Retry(Exception):
    pass


def _read(interpreter: Any, detail: dict[str, Any]) -> np.ndarray:
    value = interpreter.get_tensor(detail["index"]).reshape(-1)
    if np.dtype(detail["dtype"]) in (np.int8, np.uint8):
        scale, zero_point = detail["quantization"]
        return dequantize(value, scale, zero_point)
    return value.astype(np.float32)


def _check_signature(interpreter: Any, path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    inputs = interpreter.get_input_details()
    outputs = interpreter.get_output_details()
    if len(inputs) != 1:
        raise ModelError(
            f"{path}: the model has {len(inputs)} inputs; expected one {INPUT_SIZE}x{INPUT_SIZE} grey image"
        )
    inp = inputs[0]
    shape = tuple(int(v) for v in inp["shape"])
    if shape not in ((1, INPUT_SIZE, INPUT_SIZE, 1), (1, INPUT_SIZE, INPUT_SIZE)):
        raise ModelError(
            f"{path}: input shape {list(shape)} does not fit; the model must take [1, {INPUT_SIZE}, {INPUT_SIZE}, 1] grey faces "
            "(the size the preprocessing makes and training uses)"
        )
    if np.dtype(inp["dtype"]) not in (np.int8, np.uint8, np.float32):
        raise ModelError(f"{path}: input type {np.dtype(inp['dtype']).name} is not supported; export int8 (or float32)")
    probs = [o for o in outputs if int(np.prod(o["shape"])) == NUM_CLASSES]
    if not probs:
        sizes = [int(np.prod(o["shape"])) for o in outputs]
        raise ModelError(
            f"{path}: no output has {NUM_CLASSES} classes (output sizes {sizes}); the model does not match "
            f"the labels {', '.join(LABELS)}"
        )
    named = [o for o in probs if o["name"] == "probabilities"]
    features = [o for o in outputs if o["name"] == "features"]
    return inp, (named or probs)[0], (features[0] if features else None)
