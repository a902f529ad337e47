"""Calibrated confidence: temperature and vector scaling of the logits, folded into the int8 model.

The kiosk's ``unsure`` state and its bars read the model's probabilities; they only mean
something when a face shown with 0.6 is right about 60 % of the time (measured by
:func:`edge.core.confidence.expected_calibration_error`). Post-hoc scaling of the
logits (Guo et al., 2017) fixes most of a network's miscalibration without retraining:

* **temperature**: ``softmax(z / T)``; one number, argmax (and so accuracy) unchanged;
* **vector scaling**: ``softmax(a * z + c)`` with one scale and one offset per class; it can
  move decision boundaries, so accuracy can change.

Both fold into the final FULLY_CONNECTED layer (``W' = a W``, ``b' = a b + c``), so the shipped
int8 model keeps its shape and speed. Everything here is NumPy (no PyTorch); the fits minimise the
negative log-likelihood, which is convex in ``1/T`` and in ``(a, c)``. ``scripts/calibrate_confidence.py``
runs them on the shipped model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from edge.core.confidence import nll, softmax
from edge.model_format.editor import read_dense_head, replace_dense_head


@dataclass(frozen=True)
class LogitScaling:
    """``a * logits + c`` per class; a temperature ``T`` is ``a = 1/T``, ``c = 0``."""

    scale: np.ndarray
    offset: np.ndarray

    @classmethod
    def temperature(cls, t: float, classes: int) -> LogitScaling:
        """The scaling of a single temperature."""
        return cls(np.full(classes, 1.0 / t), np.zeros(classes))

    def apply(self, logits: np.ndarray) -> np.ndarray:
        """Scaled logits."""
        return np.asarray(logits, np.float64) * self.scale + self.offset

    def fold(self, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The final layer's ``(weight, bias)`` with the scaling folded in."""
        w = np.asarray(weight, np.float64) * self.scale[:, None]
        b = np.asarray(bias, np.float64) * self.scale + self.offset
        return w.astype(np.float32), b.astype(np.float32)


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.05, high: float = 20.0) -> float:
    """The temperature that minimises the NLL of ``softmax(logits / T)``.

    Golden-section search on ``log T`` (the NLL is convex in ``1/T``, so it is unimodal).

    Returns:
        ``T`` (above 1 softens over-confident logits, below 1 sharpens under-confident ones).
    """
    z = np.asarray(logits, np.float64)

    def loss(log_t: float) -> float:
        return nll(softmax(z / np.exp(log_t)), labels)

    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(80):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
    return float(np.exp((a + b) / 2.0))


def fit_vector_scaling(
    logits: np.ndarray, labels: np.ndarray, steps: int = 3000, lr: float = 0.05, l2: float = 1e-3
) -> LogitScaling:
    """Per-class scale and offset minimising the NLL (full-batch Adam, started at the temperature fit).

    Args:
        logits: ``(N, K)`` logits.
        labels: ``(N,)`` true classes.
        steps: Gradient steps.
        lr: Adam step size.
        l2: Penalty pulling scales towards the fitted temperature and offsets towards 0 (the
            rare classes have few faces).
    """
    z = np.asarray(logits, np.float64)
    n, k = z.shape
    onehot = np.eye(k)[labels]
    t = fit_temperature(z, labels)
    params = np.concatenate([np.full(k, 1.0 / t), np.zeros(k)])
    anchor = params.copy()
    m = np.zeros_like(params)
    v = np.zeros_like(params)
    for step in range(1, steps + 1):
        a, c = params[:k], params[k:]
        p = softmax(z * a + c)
        g_logit = (p - onehot) / n
        grad = np.concatenate([(g_logit * z).sum(0), g_logit.sum(0)]) + 2 * l2 * (params - anchor)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        params -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return LogitScaling(params[:k].copy(), params[k:].copy())


def halves(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random split of ``range(n)`` into two halves (the cross-fitting folds)."""
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2 :]


def cross_fitted_probs(logits: np.ndarray, labels: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """Probabilities for every face from a scaling fitted on the *other* half of the faces.

    Args:
        logits: ``(N, K)`` logits.
        labels: ``(N,)`` true classes.
        method: ``none``, ``temperature`` or ``vector``.
        seed: Seed of the split.
    """
    z = np.asarray(logits, np.float64)
    if method == "none":
        return softmax(z)
    out = np.empty_like(z)
    first, second = halves(len(labels), seed)
    for fit, score in ((first, second), (second, first)):
        scaling = fit_scaling(z[fit], labels[fit], method)
        out[score] = softmax(scaling.apply(z[score]))
    return out


def fit_scaling(logits: np.ndarray, labels: np.ndarray, method: str) -> LogitScaling:
    """Fit ``temperature`` or ``vector`` scaling on all the given faces."""
    k = logits.shape[1]
    if method == "temperature":
        return LogitScaling.temperature(fit_temperature(logits, labels), k)
    if method == "vector":
        return fit_vector_scaling(logits, labels)
    if method == "none":
        return LogitScaling(np.ones(k), np.zeros(k))
    raise ValueError(f"unknown calibration method {method!r}; use none, temperature or vector")


#: Metadata key under which a model records the logit scaling folded into its final layer (JSON).
CALIBRATION_KEY = "confidence_calibration"


def fold_into_tflite(data: bytes, scaling: LogitScaling, record: dict[str, object]) -> bytes:
    """A copy of an int8 model with ``scaling`` folded into its final FULLY_CONNECTED layer.

    The logits tensor's quantisation range is scaled with the logits (so it keeps its 256
    levels over the values that now occur); everything else, including the ``features``
    output and the metadata, is unchanged.

    Args:
        data: The ``.tflite`` contents.
        scaling: The per-class scale and offset to fold in.
        record: What to store under :data:`CALIBRATION_KEY` (method, parameters, data).
    """
    head = read_dense_head(data)
    weight, bias = scaling.fold(head.weight, head.bias)
    low, high = head.logits_range
    corners = np.stack([scaling.apply(np.full((1, len(bias)), low)), scaling.apply(np.full((1, len(bias)), high))])
    logits_range = (float(corners.min()), float(corners.max()))
    return replace_dense_head(data, weight, bias, logits_range, {CALIBRATION_KEY: json.dumps(record)})
