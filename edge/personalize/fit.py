"""Fit the model's final layer to one person's faces with NumPy: the maths of personalisation.

The int8 model already computes 256 penultimate features per face (its ``features`` output).
Personalising refits only the last FULLY_CONNECTED layer on those features: multinomial
logistic regression *initialised at* the shipped layer's weights and bias and *L2-regularised
towards* them, so the layer moves only as far as the person's faces require (like weight
imprinting on a Coral, but a few hundred full-batch gradient steps). Nothing here needs
TensorFlow or PyTorch; a few hundred faces take well under a second on a PC.

Which L2: the plain one, ``||W - W0||²``, does not protect general accuracy well (measured: a
simulated user's own faces go from 27 % to 99 % but FER2013 PublicTest drops from 51 % to 36 %).
So when general-face feature statistics are available, the penalty is measured in *function
space*: ``E_general ||(W - W0) f + (b - b0)||²`` = ``tr(ΔΘ M ΔΘᵀ)`` with ``M`` the second-moment
matrix of ``[f, 1]`` over general faces. The layer may then move freely along feature directions
general faces hardly use (the person's identity, camera and room), and barely along the ones that
decide general predictions. ``M`` comes from the model's ``feature_moments`` metadata (see
:func:`edge.inference.features.embed_feature_moments`) or from a reference data set (``--reference``); without either
the plain L2 is used, with a warning.

The regularisation strength is chosen by cross-validation *inside* the training captures; the
held-out captures (the newest 30 % of each person's emotion, by file name, which is capture
time, so neighbouring frames do not leak across) are only used to report accuracy before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Candidate strengths of the plain weight L2, weakest first.
L2_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0, 10.0)
#: Candidate strengths of the function-space L2 (in units of mean squared logit change on general
#: faces). Weaker ones cost several points of general accuracy in measurements, so they are not tried.
FUNCTION_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
#: Gradient steps per fit.
DEFAULT_STEPS = 300
#: When choosing the strength, prefer the strongest one whose validation accuracy is within one
#: standard error, and at least this much, of the best (see :func:`choose_l2`). Measured on the
#: stand-in users (docs/personalize.md): 0.02 let one of 20 session users through with a
#: 9-point general drop; 0.05 kept all 20 within 3 points and their own faces at >= 90 %.
L2_TOLERANCE = 0.05
#: Ridge added to the moment metric, relative to its mean diagonal, so every direction costs a little.
METRIC_RIDGE = 1e-3


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` logits (float64)."""
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class HeadFit:
    """A fitted final layer.

    Attributes:
        weight: ``(classes, features)`` float32.
        bias: ``(classes,)`` float32.
        l2: The regularisation strength used.
        loss: Final objective value (mean cross-entropy plus the regularisation term).
        steps: Gradient steps taken.
    """

    weight: np.ndarray
    bias: np.ndarray
    l2: float
    loss: float
    steps: int

    def logits(self, features: np.ndarray) -> np.ndarray:
        """``(N, classes)`` logits for ``(N, features)`` features."""
        return np.asarray(features, np.float64) @ self.weight.T.astype(np.float64) + self.bias


def _metric(moments: np.ndarray | None, size: int) -> tuple[np.ndarray, float]:
    """The penalty matrix and a lower bound of its smallest eigenvalue."""
    if moments is None:
        return np.eye(size), 1.0
    m = np.asarray(moments, np.float64)
    if m.shape != (size, size):
        raise ValueError(f"feature moments {m.shape} do not fit {size - 1} features")
    ridge = METRIC_RIDGE * max(float(np.trace(m)) / size, 1e-12)
    return 0.5 * (m + m.T) + ridge * np.eye(size), ridge


def _spectral_bound(matrix: np.ndarray) -> float:
    """An upper bound of the largest eigenvalue of a symmetric matrix (no LAPACK: cheap on a busy Pi)."""
    return float(min(np.sqrt(np.sum(matrix * matrix)), np.abs(matrix).sum(axis=1).max()))


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    init_weight: np.ndarray,
    init_bias: np.ndarray,
    l2: float,
    steps: int = DEFAULT_STEPS,
    moments: np.ndarray | None = None,
) -> HeadFit:
    """Multinomial logistic regression anchored at the base model's final layer.

    Minimises ``mean cross-entropy + l2 / 2 * tr(ΔΘ M ΔΘᵀ)`` from ``Θ0 = [W0 | b0]``, where
    ``ΔΘ = Θ - Θ0`` and ``M`` is the identity (plain L2) or, given ``moments``, the general-face
    feature moments plus a small ridge (function-space L2). Nesterov's accelerated gradient with
    step ``1 / L``, where ``L`` is an upper bound of the curvature (``λmax([X 1]ᵀ[X 1]) / (2 N) +
    l2 · λmax(M)``, bounded without LAPACK), so there is no learning rate to tune and it cannot diverge.

    Args:
        features: ``(N, D)`` dequantised penultimate features.
        labels: ``(N,)`` class indices.
        init_weight: ``(K, D)`` base weights ``W0`` (start point and anchor).
        init_bias: ``(K,)`` base bias ``b0``.
        l2: Regularisation strength (> 0).
        steps: Gradient steps.
        moments: ``(D+1, D+1)`` second moments of ``[f, 1]`` on general faces, or ``None``.

    Returns:
        The fitted layer.

    Raises:
        ValueError: Mismatched shapes, no samples, or a non-positive ``l2``.
    """
    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.int64)
    if x.ndim != 2 or len(x) == 0 or len(y) != len(x):
        raise ValueError(f"features {x.shape} and labels {y.shape} do not match")
    if l2 <= 0:
        raise ValueError("l2 must be > 0")
    k, d = init_weight.shape
    if d != x.shape[1] or init_bias.shape != (k,):
        raise ValueError(f"base layer {init_weight.shape} + {init_bias.shape} does not fit features {x.shape}")
    n = len(x)
    metric, smallest = _metric(moments, d + 1)
    xa = np.hstack([x, np.ones((n, 1))])
    onehot = np.eye(k)[y]
    theta0 = np.hstack([init_weight, init_bias[:, None]]).astype(np.float64)
    lipschitz = 0.5 * _spectral_bound(xa.T @ xa / n) + l2 * _spectral_bound(metric)
    kappa = lipschitz / max(l2 * smallest, 1e-12)
    momentum = (np.sqrt(kappa) - 1.0) / (np.sqrt(kappa) + 1.0)

    def gradient(theta: np.ndarray) -> np.ndarray:
        p = softmax(xa @ theta.T)
        return (p - onehot).T @ xa / n + l2 * (theta - theta0) @ metric

    theta = theta0.copy()
    ahead = theta0.copy()
    for _ in range(steps):
        new = ahead - gradient(ahead) / lipschitz
        ahead = new + momentum * (new - theta)
        theta = new
    p = softmax(xa @ theta.T)
    delta = theta - theta0
    loss = float(-np.log(p[np.arange(n), y] + 1e-12).mean() + 0.5 * l2 * float(np.sum((delta @ metric) * delta)))
    return HeadFit(theta[:, :d].astype(np.float32), theta[:, d].astype(np.float32), float(l2), loss, steps)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of equal entries (0.0 for no entries)."""
    y_true = np.asarray(y_true)
    return float((np.asarray(y_pred) == y_true).mean()) if len(y_true) else 0.0


Fold = tuple[np.ndarray, np.ndarray]


def choose_l2(
    features: np.ndarray,
    labels: np.ndarray,
    folds: Sequence[Fold],
    init_weight: np.ndarray,
    init_bias: np.ndarray,
    grid: Sequence[float] = L2_GRID,
    steps: int = DEFAULT_STEPS,
    tolerance: float = L2_TOLERANCE,
    moments: np.ndarray | None = None,
) -> tuple[float, dict[float, float]]:
    """Pick the regularisation strength by cross-validation.

    Every candidate is fitted on each fold's training indices and scored on its validation
    indices (accuracy over all validation faces together). The strongest candidate whose accuracy
    is within one standard error of the best (and at least ``tolerance``) wins: the "one standard
    error" rule, which stays closest to the base model among candidates the data cannot tell apart.

    Args:
        features: ``(N, D)`` features.
        labels: ``(N,)`` classes.
        folds: ``(train indices, validation indices)`` pairs (see :func:`time_folds`).
        init_weight: Base weights.
        init_bias: Base bias.
        grid: Candidate strengths.
        steps: Gradient steps per fit.
        tolerance: Smallest margin below the best accuracy that still counts as as good.
        moments: General-face feature moments (function-space L2), or ``None``.

    Returns:
        ``(l2, {candidate: validation accuracy})``.

    Raises:
        ValueError: No fold has validation faces.
    """
    n_val = sum(len(val) for _, val in folds)
    if n_val == 0:
        raise ValueError("no validation faces in any fold")
    scores: dict[float, float] = {}
    for l2 in grid:
        correct = 0
        for train, val in folds:
            if len(val) == 0 or len(train) == 0:
                continue
            fit = fit_head(features[train], labels[train], init_weight, init_bias, l2, steps, moments)
            correct += int((fit.logits(features[val]).argmax(axis=1) == labels[val]).sum())
        scores[float(l2)] = correct / n_val
    best = max(scores.values())
    standard_error = float(np.sqrt(best * (1.0 - best) / n_val))
    margin = max(tolerance, standard_error)
    chosen = max(l2 for l2, score in scores.items() if score >= best - margin - 1e-12)
    return chosen, scores
