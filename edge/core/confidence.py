"""How well a model's confidence matches how often it is right: ECE, NLL and reliability bins.

Pure NumPy, shared by the evaluation (``scripts/evaluate.py``), the robustness checks and the
calibration fit (:mod:`edge.training.temperature`).
"""

from __future__ import annotations

import numpy as np

#: Bins of the expected calibration error (equal width on the top probability), as in Guo et al.
ECE_BINS = 15


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax (float64)."""
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes."""
    p = np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0)
    return float(-np.log(p).mean())


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label ECE: the sample-weighted gap between confidence and accuracy over equal-width bins.

    Args:
        probs: ``(N, K)`` probabilities.
        labels: ``(N,)`` true classes.
        bins: Number of equal-width confidence bins on ``[0, 1]``.

    Returns:
        ECE as a fraction (0.03 = 3 points).
    """
    rows = reliability_table(probs, labels, bins)
    return float(sum(r["n"] * abs(r["confidence"] - r["accuracy"]) for r in rows)) / max(len(labels), 1)


def reliability_table(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> list[dict[str, float]]:
    """Per non-empty equal-width bin of the top probability: its range, count, mean confidence and accuracy."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "n": int(mask.sum()),
                    "confidence": float(conf[mask].mean()),
                    "accuracy": float(correct[mask].mean()),
                }
            )
    return rows
