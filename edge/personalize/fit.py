"""Fit the model's final layer to one person's faces with NumPy: the maths of personalisation.

The int8 model already computes 256 penultimate features per face (its ``features`` output).
Personalising refits only the last FULLY_CONNECTED layer on those features: multinomial
logistic regression *initialised at* the shipped layer's weights and bias and *L2-regularised
towards* them, so the layer moves only as far as the person's faces require. Nothing here needs
TensorFlow or PyTorch.

Which L2: the plain one, ``||W - W0||²``, does not protect general accuracy well (measured: a
simulated user's own faces go from 27 % to 99 % but FER2013 PublicTest drops from 51 % to 36 %).
So when general-face feature statistics are available, the penalty is measured in *function
space*: ``E_general ||(W - W0) f + (b - b0)||²`` = ``tr(ΔΘ M ΔΘᵀ)`` with ``M`` the second-moment
matrix of ``[f, 1]`` over general faces (from the model's ``feature_moments`` metadata). With
``M = C Cᵀ`` (Cholesky) and ``Φ = ΔΘ C`` the penalty is ``||Φ||²`` and the logits are
``Θ0 a + Φ (C⁻¹ a)``: a ridge logistic regression on *whitened* features ``C⁻¹ a``, offset by the
base model's logits. That problem is well conditioned, so a hundred accelerated gradient steps
solve it, and ``||Φ||²`` *is* the mean squared change of the logits on general faces: the
general-face safeguard (:data:`GENERAL_BUDGET`) caps it.

The strength is chosen by cross-validation over groups of captures (:mod:`edge.personalize.splits`):
every candidate is fitted without one fold's groups and scored on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.core.confidence import softmax

#: Candidate strengths, strongest first (units: mean cross-entropy per unit of mean squared logit
#: change on general faces). The cross-validation walks them with warm starts.
STRENGTHS: tuple[float, ...] = (10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01)
#: Gradient steps per cross-validation fit (warm-started along :data:`STRENGTHS`).
CV_STEPS = 80
#: Gradient steps of the final fit on every capture.
DEFAULT_STEPS = 200
#: The general-face safeguard: the largest mean squared logit change on general faces allowed.
#: Measured on 10 stand-in people per mode (docs/personalize.md), FER2013 PublicTest drop mean /
#: worst: 0.5 -> 0.8-1.2 / 2.0 points; 0.35 -> 0.7-0.9 / 1.6 with 6-8 points less gain on their
#: other photos; 0.25 -> 0.8 / 1.2 with 13 points less.
GENERAL_BUDGET = 0.5
#: Ridge added to the moment metric, relative to its mean diagonal, so every direction costs a little.
METRIC_RIDGE = 1e-3


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of equal entries (0.0 for no entries)."""
    y_true = np.asarray(y_true)
    return float((np.asarray(y_pred) == y_true).mean()) if len(y_true) else 0.0


@dataclass(frozen=True)
class HeadFit:
    """A fitted final layer.

    Attributes:
        weight: ``(classes, features)`` float32.
        bias: ``(classes,)`` float32.
        l2: The regularisation strength used.
        change: ``||Φ||²``: the mean squared logit change on general faces (function-space
            anchor), or the squared weight change (plain L2).
    """

    weight: np.ndarray
    bias: np.ndarray
    l2: float
    change: float

    def logits(self, features: np.ndarray) -> np.ndarray:
        """``(N, classes)`` logits for ``(N, features)`` features."""
        return np.asarray(features, np.float64) @ self.weight.T.astype(np.float64) + self.bias


def _whitener(moments: np.ndarray | None, size: int) -> np.ndarray:
    """``C⁻¹`` with ``C Cᵀ = M + ridge`` (the identity for the plain weight L2)."""
    if moments is None:
        return np.eye(size)
    m = np.asarray(moments, np.float64)
    if m.shape != (size, size):
        raise ValueError(f"feature moments {m.shape} do not fit {size - 1} features")
    m = 0.5 * (m + m.T)
    m = m + METRIC_RIDGE * max(float(np.trace(m)) / size, 1e-12) * np.eye(size)
    return np.linalg.inv(np.linalg.cholesky(m))


def _spectral_bound(matrix: np.ndarray) -> float:
    """An upper bound of the largest eigenvalue of a symmetric matrix (no eigen-solver needed)."""
    return float(min(np.sqrt(np.sum(matrix * matrix)), np.abs(matrix).sum(axis=1).max()))


class HeadProblem:
    """The base layer, the anchor and one person's features, prepared once for many fits.

    Args:
        features: ``(N, D)`` dequantised penultimate features.
        labels: ``(N,)`` class indices.
        init_weight: ``(K, D)`` base weights ``W0`` (start point and anchor).
        init_bias: ``(K,)`` base bias ``b0``.
        moments: ``(D+1, D+1)`` second moments of ``[f, 1]`` on general faces, or ``None``
            (plain weight L2).

    Raises:
        ValueError: Mismatched shapes or no samples.
    """

    def __init__(
        self,
        features: np.ndarray,
        labels: np.ndarray,
        init_weight: np.ndarray,
        init_bias: np.ndarray,
        moments: np.ndarray | None = None,
    ) -> None:
        x = np.asarray(features, np.float64)
        y = np.asarray(labels, np.int64)
        if x.ndim != 2 or len(x) == 0 or len(y) != len(x):
            raise ValueError(f"features {x.shape} and labels {y.shape} do not match")
        k, d = init_weight.shape
        if d != x.shape[1] or init_bias.shape != (k,):
            raise ValueError(f"base layer {init_weight.shape} + {init_bias.shape} does not fit features {x.shape}")
        self.labels = y
        self.theta0 = np.hstack([init_weight, np.asarray(init_bias)[:, None]]).astype(np.float64)
        self.inverse = _whitener(moments, d + 1)
        augmented = np.hstack([x, np.ones((len(x), 1))])
        self.base_logits = augmented @ self.theta0.T
        self.white = augmented @ self.inverse.T
        self.onehot = np.eye(k)[y]

    def solve(
        self, rows: np.ndarray | None, l2: float, steps: int = DEFAULT_STEPS, start: np.ndarray | None = None
    ) -> np.ndarray:
        """``Φ`` minimising mean cross-entropy over ``rows`` (all when ``None``) + ``l2 / 2 ||Φ||²``.

        Nesterov's accelerated gradient for strongly convex problems with step ``1 / L``, ``L`` an
        upper bound of the curvature: no learning rate to tune, and it cannot diverge.

        Raises:
            ValueError: A non-positive ``l2``.
        """
        if l2 <= 0:
            raise ValueError("l2 must be > 0")
        x = self.white if rows is None else self.white[rows]
        z0 = self.base_logits if rows is None else self.base_logits[rows]
        target = self.onehot if rows is None else self.onehot[rows]
        n = max(len(x), 1)
        lipschitz = 0.5 * _spectral_bound(x.T @ x / n) + l2
        root = np.sqrt(l2 / lipschitz)
        momentum = (1.0 - root) / (1.0 + root)
        phi = np.zeros((target.shape[1], x.shape[1])) if start is None else start.copy()
        ahead = phi.copy()
        for _ in range(steps):
            gradient = (softmax(z0 + x @ ahead.T) - target).T @ x / n + l2 * ahead
            new = ahead - gradient / lipschitz
            ahead = new + momentum * (new - phi)
            phi = new
        return phi

    def predict_proba(self, phi: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Probabilities of the layer ``Φ`` on ``rows``."""
        return softmax(self.base_logits[rows] + self.white[rows] @ phi.T)

    def head(self, phi: np.ndarray, l2: float) -> HeadFit:
        """The final layer ``Θ0 + Φ C⁻¹`` as weights and bias."""
        theta = self.theta0 + phi @ self.inverse
        return HeadFit(
            theta[:, :-1].astype(np.float32), theta[:, -1].astype(np.float32), float(l2), float(np.sum(phi**2))
        )


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    init_weight: np.ndarray,
    init_bias: np.ndarray,
    l2: float,
    steps: int = DEFAULT_STEPS,
    moments: np.ndarray | None = None,
) -> HeadFit:
    """Multinomial logistic regression anchored at the base layer (see :class:`HeadProblem`).

    Raises:
        ValueError: Mismatched shapes, no samples, or a non-positive ``l2``.
    """
    problem = HeadProblem(features, labels, init_weight, init_bias, moments)
    return problem.head(problem.solve(None, l2, steps), l2)


@dataclass(frozen=True)
class CrossValidation:
    """Cross-validated accuracy of one strength.

    Attributes:
        l2: The strength.
        accuracy: Share of scored captures predicted right by a layer fitted without their fold.
        predictions: The predicted class of every scored capture (aligned with ``scored``).
    """

    l2: float
    accuracy: float
    predictions: np.ndarray


Fold = tuple[np.ndarray, np.ndarray]


def cross_validate(
    problem: HeadProblem,
    folds: Sequence[Fold],
    scored: np.ndarray,
    strengths: Sequence[float] = STRENGTHS,
    steps: int = CV_STEPS,
) -> list[CrossValidation]:
    """Score every strength: fit on each fold's training rows, predict its validation rows.

    Strengths are walked in the order given, each fold's fit warm-started from the previous
    strength's, so a descending list costs few steps per strength.

    Args:
        problem: The prepared problem.
        folds: ``(train rows, validation rows)`` pairs; together the validation rows of all folds
            must be ``scored`` (each row once).
        scored: The rows whose prediction counts (the original captures, not their augmented copies).
        strengths: Candidate strengths.
        steps: Gradient steps per fit.

    Raises:
        ValueError: The folds' validation rows are not exactly ``scored``.
    """
    validated = np.sort(np.concatenate([val for _, val in folds])) if folds else np.zeros(0, np.int64)
    if not np.array_equal(validated, np.sort(scored)):
        raise ValueError("the folds must validate every scored row exactly once")
    position = {int(row): i for i, row in enumerate(scored)}
    starts: dict[int, np.ndarray] = {}
    results = []
    for l2 in strengths:
        predicted = np.zeros(len(scored), np.int64)
        for f, (train, val) in enumerate(folds):
            phi = problem.solve(train, l2, steps, starts.get(f))
            starts[f] = phi
            predicted[[position[int(r)] for r in val]] = problem.predict_proba(phi, val).argmax(axis=1)
        results.append(CrossValidation(float(l2), accuracy(problem.labels[scored], predicted), predicted))
    return results


def best_strength(results: Sequence[CrossValidation]) -> CrossValidation:
    """The most accurate strength; among equally accurate ones the strongest (closest to the base model)."""
    top = max(r.accuracy for r in results)
    return max((r for r in results if r.accuracy >= top - 1e-12), key=lambda r: r.l2)


def within_budget(
    problem: HeadProblem, l2: float, budget: float = GENERAL_BUDGET, steps: int = DEFAULT_STEPS, rounds: int = 8
) -> tuple[float, np.ndarray]:
    """The weakest strength ``>= l2`` whose fit on every row changes general logits by at most ``budget``.

    The general-face safeguard: ``||Φ||²`` shrinks as the strength grows, so a bisection on
    ``log l2`` finds the strength where it meets the budget.

    Returns:
        ``(strength, Φ)`` of the fit on every row.
    """
    phi = problem.solve(None, l2, steps)
    if float(np.sum(phi**2)) <= budget:
        return l2, phi
    low, high = np.log(l2), np.log(l2) + np.log(10.0)
    high_phi = problem.solve(None, float(np.exp(high)), steps, phi)
    while float(np.sum(high_phi**2)) > budget:
        low, high = high, high + np.log(10.0)
        high_phi = problem.solve(None, float(np.exp(high)), steps, high_phi)
    for _ in range(rounds):
        middle = 0.5 * (low + high)
        candidate = problem.solve(None, float(np.exp(middle)), steps, high_phi)
        if float(np.sum(candidate**2)) <= budget:
            high, high_phi = middle, candidate
        else:
            low = middle
    return float(np.exp(high)), high_phi
