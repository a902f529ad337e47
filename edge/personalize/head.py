"""Fit the model's final layer to one person's faces with NumPy, and the personalise run around it.

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
:func:`embed_feature_moments`) or from a reference data set (``--reference``); without either
the plain L2 is used, with a warning.

The regularisation strength is chosen by cross-validation *inside* the training captures; the
held-out captures (the newest 30 % of each person's emotion, by file name, which is capture
time, so neighbouring frames do not leak across) are only used to report accuracy before and after.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from edge.core.errors import EmojifyError, ModelError
from edge.core.labels import LABELS, NUM_CLASSES
from edge.datasets import DatasetError, FaceArrays, is_fer_csv, load_arrays
from edge.evaluation import detect_and_crop, metrics
from edge.faces.registry import photo_detector
from edge.inference.classifier import ExpressionClassifier
from edge.model_format.editor import read_dense_head, replace_dense_head
from edge.model_format.metadata import (
    FEATURE_MOMENTS_KEY,
    PERSONALIZATION_KEY,
    add_metadata,
    encode_moments,
    read_feature_moments,
)
from edge.personalize.registry import atomic_write_bytes

log = logging.getLogger(__name__)


class PersonalizeError(EmojifyError):
    """The captures or data sets cannot be used; the message says why and what to do."""


#: Candidate strengths of the plain weight L2, weakest first.
L2_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0, 10.0)
#: Candidate strengths of the function-space L2 (in units of mean squared logit change on general
#: faces). Weaker ones cost several points of general accuracy in measurements, so they are not tried.
FUNCTION_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
#: Gradient steps per fit.
DEFAULT_STEPS = 300
#: Share of each person's emotion (newest files) held out to measure before/after.
HOLDOUT = 0.3
#: When choosing the strength, prefer the strongest one whose validation accuracy is within one
#: standard error, and at least this much, of the best (see :func:`choose_l2`). Measured on the
#: stand-in users (docs/personalize.md): 0.02 let one of 20 session users through with a
#: 9-point general drop; 0.05 kept all 20 within 3 points and their own faces at >= 90 %.
L2_TOLERANCE = 0.05
#: Ridge added to the moment metric, relative to its mean diagonal, so every direction costs a little.
METRIC_RIDGE = 1e-3
#: Cross-validation folds (time blocks) used to choose the strength.
CV_FOLDS = 3
#: Reference faces used for the feature moments by default.
REFERENCE_LIMIT = 2000


# -- fitting -----------------------------------------------------------------------------------


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` logits (float64)."""
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def feature_moments(features: np.ndarray) -> np.ndarray:
    """Second-moment matrix ``E[a aᵀ]`` of ``a = [f, 1]`` over ``(N, D)`` features: ``(D+1, D+1)`` float64.

    Raises:
        ValueError: No features.
    """
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) == 0:
        raise ValueError(f"need (N, D) features with N > 0, got {f.shape}")
    a = np.hstack([f, np.ones((len(f), 1))])
    return a.T @ a / len(a)


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


# -- splitting ---------------------------------------------------------------------------------


_CSV_ROW = re.compile(r"(.+\.csv(?:\.gz)?):\d+", re.IGNORECASE)


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def split_holdout(
    origins: Sequence[str], labels: np.ndarray, fraction: float = HOLDOUT
) -> tuple[np.ndarray, np.ndarray]:
    """Split captures per person and emotion: the newest ``fraction`` of each group is held out.

    A group is one folder (``<person>/<emotion>``) or, for a CSV, one class. Within a group the
    files are ordered by name (capture writes ``<timestamp>-<n>.png``, so this is time order), so
    frames taken next to each other end up on the same side. A group of one image stays in training.

    Args:
        origins: Where each sample came from (file paths, or ``file:line`` for CSV rows).
        labels: Class index of each sample.
        fraction: Share of each group to hold out (rounded, at least one when the group has two).

    Returns:
        ``(train indices, held-out indices)``, each sorted.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError("the held-out fraction must lie between 0 and 1")
    train: list[int] = []
    held: list[int] = []
    for members in _time_groups(origins, labels):
        n = len(members)
        k = min(max(round(fraction * n), 1), n - 1) if n >= 2 else 0
        train.extend(members[: n - k])
        held.extend(members[n - k :])
    return np.asarray(sorted(train), np.int64), np.asarray(sorted(held), np.int64)


def _time_groups(origins: Sequence[str], labels: np.ndarray) -> list[list[int]]:
    """Indices per ``(folder, class)`` group, each in file-name (capture time) order."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, (origin, label) in enumerate(zip(origins, labels, strict=True)):
        row = _CSV_ROW.fullmatch(origin)
        folder = row.group(1) if row else str(Path(origin).parent)
        groups[(folder, int(label))].append(index)
    for members in groups.values():
        members.sort(key=lambda i: _natural_key(Path(origins[i]).name))
    return list(groups.values())


def time_folds(origins: Sequence[str], labels: np.ndarray, k: int = 3) -> list[Fold]:
    """``k`` cross-validation folds of contiguous time blocks within each person and emotion.

    Fold ``i`` validates on the ``i``-th block of every group (groups smaller than ``k`` always
    train), so neighbouring frames stay on the same side, as in :func:`split_holdout`.

    Returns:
        ``(train indices, validation indices)`` per fold; folds without validation faces are left out.
    """
    groups = _time_groups(origins, labels)
    folds: list[Fold] = []
    for fold in range(k):
        train: list[int] = []
        val: list[int] = []
        for members in groups:
            if len(members) < k:
                train.extend(members)
                continue
            blocks = np.array_split(np.asarray(members), k)
            val.extend(int(i) for i in blocks[fold])
            train.extend(int(i) for j, block in enumerate(blocks) if j != fold for i in block)
        if val:
            folds.append((np.asarray(sorted(train), np.int64), np.asarray(sorted(val), np.int64)))
    return folds


# -- the personalise run -----------------------------------------------------------------------


@dataclass
class PersonalizeReport:
    """What a personalise run did and measured (accuracies are fractions 0..1).

    Attributes:
        model: The model written.
        base_model: The model it was made from.
        data: The captures used.
        n_train: Faces the layer was fitted on.
        n_heldout: Faces held out for the before/after measurement.
        classes: Emotions present in the captures.
        anchor: What the regularisation keeps close to the base model (see the module docstring).
        l2: Chosen regularisation strength.
        l2_scores: Validation accuracy of every candidate strength.
        heldout_before: Base model accuracy on the held-out captures.
        heldout_after: Personalised model accuracy on the held-out captures.
        check: The general data set checked, if any.
        n_check: Faces in it.
        check_before: Base model accuracy on it.
        check_after: Personalised model accuracy on it.
        skipped: Images in which no face was found (``--detect-faces``).
        seconds: Wall time of the whole run.
        heldout_per_class: ``{label: [recall before, recall after, support]}`` on the held-out part.
    """

    model: str
    base_model: str
    data: str
    n_train: int
    n_heldout: int
    classes: list[str]
    anchor: str
    l2: float
    l2_scores: dict[str, float]
    heldout_before: float
    heldout_after: float
    check: str | None = None
    n_check: int = 0
    check_before: float | None = None
    check_after: float | None = None
    skipped: int = 0
    seconds: float = 0.0
    heldout_per_class: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    def summary(self) -> str:
        """Human-readable lines for the command line."""
        lines = [
            f"personalised model: {self.model}",
            f"captures: {self.data}  ({self.n_train} to fit, {self.n_heldout} held out; "
            f"emotions: {', '.join(self.classes)})"
            + (f"  [{self.skipped} without a face skipped]" if self.skipped else ""),
            f"regularisation: {self.anchor}, strength {self.l2:g}",
            f"held-out captures: {self.heldout_before * 100:.1f}% -> {self.heldout_after * 100:.1f}% "
            f"({(self.heldout_after - self.heldout_before) * 100:+.1f} points)",
        ]
        for label, (before, after, support) in self.heldout_per_class.items():
            lines.append(f"  {label:<9} {before * 100:5.1f}% -> {after * 100:5.1f}%  (n={int(support)})")
        if self.check_before is not None and self.check_after is not None:
            lines.append(
                f"general check ({self.check}, n={self.n_check}): {self.check_before * 100:.1f}% -> "
                f"{self.check_after * 100:.1f}% ({(self.check_after - self.check_before) * 100:+.1f} points)"
            )
        lines.append(f"took {self.seconds:.1f} s")
        return "\n".join(lines)


def load_captures(data: Path, detect_faces: bool = False, limit: int | None = None) -> FaceArrays:
    """Read captured crops (or uncropped photos with ``detect_faces``) through the app's preprocessing.

    Raises:
        PersonalizeError: Nothing usable in ``data``.
    """
    to_pixels = None
    if detect_faces:
        detector = photo_detector()

        def to_pixels(image: np.ndarray) -> np.ndarray | None:
            return detect_and_crop(detector, image)

    arrays = _load(data, None, limit, to_pixels)
    if arrays.skipped:
        log.warning(
            "%d of %d images in %s had no face and were skipped",
            len(arrays.skipped),
            len(arrays) + len(arrays.skipped),
            data,
        )
    if len(arrays) == 0:
        raise PersonalizeError(
            f"{data}: no face found in any image; capture again, or drop --detect-faces for face crops"
        )
    return arrays


def run_model(classifier: Any, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (N, 7), features (N, D))`` of a classifier over ``(N, 48, 48)`` pixels.

    Raises:
        ModelError: The model has no ``features`` output.
    """
    if not classifier.has_features:
        raise ModelError(
            f"{classifier.info.path}: the model has no 'features' output, so it cannot be personalised; "
            "use the shipped model or one exported by scripts/export.py"
        )
    probs: list[np.ndarray] = []
    feats: list[np.ndarray] = []
    for face in pixels:
        p, f = classifier.run(face)
        probs.append(p)
        feats.append(f)
    width = len(feats[0]) if feats else 0
    return (
        np.stack(probs) if probs else np.zeros((0, NUM_CLASSES), np.float32),
        np.stack(feats) if feats else np.zeros((0, width), np.float32),
    )


def _predict(classifier: Any, pixels: np.ndarray) -> np.ndarray:
    return np.asarray([int(np.argmax(classifier.classify(face))) for face in pixels], np.int64)


def compute_feature_moments(model: Path, pixels: np.ndarray, threads: int = 1) -> np.ndarray:
    """Feature moments (see :func:`feature_moments`) of general faces through the int8 model.

    Args:
        model: The int8 model with a ``features`` output.
        pixels: ``(N, 48, 48)`` uint8 general faces (e.g. FER2013 Training rows).
        threads: Interpreter threads.

    Raises:
        ModelError: The model has no ``features`` output.
    """
    classifier = ExpressionClassifier(model, num_threads=threads, delegate="cpu")
    _, features = run_model(classifier, pixels)
    return feature_moments(features)


def embed_feature_moments(model: Path, pixels: np.ndarray, threads: int = 1) -> np.ndarray:
    """Store the general-face feature moments in the model's metadata (the file is replaced atomically).

    Call it after exporting a model (``scripts/export.py``) with a couple of thousand training
    faces, so that ``emojify personalize`` on the Pi protects general accuracy without any data set.

    Returns:
        The moments stored.
    """
    moments = compute_feature_moments(model, pixels, threads)
    data = add_metadata(_read_model(model), {FEATURE_MOMENTS_KEY: encode_moments(moments)})
    atomic_write_bytes(model, data)
    log.info("stored feature moments of %d faces in %s", len(pixels), model)
    return moments


def personalize(
    base_model: Path,
    data: Path,
    out: Path,
    *,
    detect_faces: bool = False,
    check: Path | None = None,
    check_usage: str | None = None,
    check_limit: int | None = None,
    reference: Path | None = None,
    reference_usage: str | None = None,
    reference_limit: int = REFERENCE_LIMIT,
    holdout: float = HOLDOUT,
    steps: int = DEFAULT_STEPS,
    threads: int = 1,
    grid: Sequence[float] | None = None,
) -> PersonalizeReport:
    """Adapt ``base_model`` to the faces in ``data`` and write the new int8 model to ``out``.

    Args:
        base_model: The int8 model to start from (it must have the ``features`` output).
        data: Captured crops (``<person>/<emotion>/*.png`` or ``<emotion>/*.png``), or photos
            with ``detect_faces``; any data set :func:`edge.datasets.iter_samples` reads.
        out: Where the new ``.tflite`` goes (written atomically).
        detect_faces: ``data`` holds uncropped photos: detect and crop the largest face.
        check: A general data set to measure before/after on (e.g. FER2013, PublicTest).
        check_usage: Usage/split of ``check`` (default ``PublicTest`` for a CSV, all for folders).
        check_limit: Use only the first N images of ``check``.
        reference: General faces for the feature moments when the base model carries none
            (default usage ``Training`` for a CSV); they are stored in the new model.
        reference_usage: Usage/split of ``reference``.
        reference_limit: Faces of ``reference`` used.
        holdout: Share of each emotion's newest captures held out for the before/after numbers.
        steps: Gradient steps per fit.
        threads: Interpreter threads.
        grid: Candidate regularisation strengths (default :data:`FUNCTION_GRID` with general-face
            statistics, :data:`L2_GRID` without).

    Returns:
        The report (its numbers are also stored in the new model's metadata).

    Raises:
        EmojifyError: Unusable model or data (``ModelError``, ``PersonalizeError``).
    """
    started = time.perf_counter()
    base_bytes = _read_model(base_model)
    head = read_dense_head(base_bytes)
    arrays = load_captures(data, detect_faces)
    train, held = split_holdout(arrays.origins, arrays.labels, holdout)
    if len(held) == 0:
        raise PersonalizeError(
            f"{data}: too few captures to hold any out for checking; capture at least 2 faces per emotion "
            "(emojify capture --per-emotion 20)"
        )
    base = ExpressionClassifier(base_model, num_threads=threads, delegate="cpu")
    probs, features = run_model(base, arrays.pixels)
    if features.shape[1] != head.weight.shape[1]:
        raise ModelError(
            f"{base_model}: the features output has {features.shape[1]} values but the final layer takes "
            f"{head.weight.shape[1]}; the model cannot be personalised"
        )
    extra_meta: dict[str, str | bytes] = {}
    moments = read_feature_moments(base_bytes)
    if moments is not None and moments.shape != (features.shape[1] + 1,) * 2:
        log.warning("ignoring the model's feature moments: shape %s does not fit the features", moments.shape)
        moments = None
    if moments is not None:
        anchor = "function-space L2 (general-face statistics stored in the model)"
    elif reference is not None:
        usage = reference_usage if reference_usage is not None else ("Training" if is_fer_csv(reference) else None)
        general = _load(reference, usage, reference_limit)
        moments = feature_moments(run_model(base, general.pixels)[1])
        extra_meta[FEATURE_MOMENTS_KEY] = encode_moments(moments)
        anchor = f"function-space L2 (general-face statistics of {len(general)} faces from {reference.name})"
    else:
        anchor = "weight-space L2 (the model has no general-face statistics)"
        log.warning(
            "%s carries no general-face feature statistics: personalising with a plain weight L2, which may cost "
            "general accuracy; give --reference with general faces (e.g. the FER2013 CSV) or use a model exported "
            "with them",
            base_model.name,
        )
    if grid is None:
        grid = FUNCTION_GRID if moments is not None else L2_GRID
    labels = arrays.labels
    # The strength is chosen by cross-validation inside the training part; the held-out part only reports.
    folds = time_folds([arrays.origins[i] for i in train], labels[train], CV_FOLDS)
    if folds:
        l2, scores = choose_l2(
            features[train], labels[train], folds, head.weight, head.bias, grid, steps, moments=moments
        )
    else:
        l2, scores = max(grid), {}
        log.warning("too few captures to choose the regularisation; using the strongest (%g)", l2)
    fit = fit_head(features[train], labels[train], head.weight, head.bias, l2, steps, moments)
    train_logits = fit.logits(features[train])
    low, high = head.logits_range
    margin = 1.2
    logits_range = (min(low, float(train_logits.min()) * margin), max(high, float(train_logits.max()) * margin))
    classes = [LABELS[i] for i in sorted(set(labels.tolist()))]
    meta: dict[str, Any] = {
        "base_model": base_model.name,
        "data": str(data),
        "classes": classes,
        "n_train": len(train),
        "anchor": anchor,
        "l2": l2,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    def build() -> bytes:
        entries: dict[str, str | bytes] = {**extra_meta, PERSONALIZATION_KEY: json.dumps(meta)}
        return replace_dense_head(base_bytes, fit.weight, fit.bias, logits_range, entries)

    before = probs[held].argmax(axis=1)
    with tempfile.TemporaryDirectory(prefix="emojify-personalize-") as scratch:
        # Measure the real int8 model (a scratch copy), not the float layer.
        trial = Path(scratch) / out.name
        trial.write_bytes(build())
        personal = ExpressionClassifier(trial, num_threads=threads, delegate="cpu")
        after = _predict(personal, arrays.pixels[held])
        check_result = None
        if check is not None:
            usage = check_usage if check_usage is not None else ("PublicTest" if is_fer_csv(check) else None)
            general = _load(check, usage, check_limit)
            check_result = (
                f"{check}" + (f" [{usage}]" if usage else ""),
                len(general),
                accuracy(general.labels, _predict(base, general.pixels)),
                accuracy(general.labels, _predict(personal, general.pixels)),
            )
        del personal
    m_before, m_after = metrics(labels[held], before), metrics(labels[held], after)
    per_class = {
        label: [m_before["per_class"][label]["recall"], m_after["per_class"][label]["recall"], float(row["support"])]
        for label, row in m_after["per_class"].items()
        if row["support"]
    }
    report = PersonalizeReport(
        model=str(out),
        base_model=str(base_model),
        data=str(data),
        n_train=len(train),
        n_heldout=len(held),
        classes=classes,
        anchor=anchor,
        l2=l2,
        l2_scores={f"{k:g}": v for k, v in scores.items()},
        heldout_before=accuracy(labels[held], before),
        heldout_after=accuracy(labels[held], after),
        skipped=len(arrays.skipped),
        heldout_per_class=per_class,
    )
    if check_result is not None:
        report.check, report.n_check, report.check_before, report.check_after = check_result
    # The file written is the model measured above, with the measurements added to its metadata.
    meta.update(
        {
            "heldout_before": report.heldout_before,
            "heldout_after": report.heldout_after,
            "n_heldout": report.n_heldout,
            "check": report.check,
            "check_before": report.check_before,
            "check_after": report.check_after,
        }
    )
    try:
        atomic_write_bytes(out, build())
    except OSError as exc:
        raise ModelError(f"cannot write the personalised model to {out} ({exc}); give a writable --out") from None
    report.seconds = time.perf_counter() - started
    log.info(
        "personalised %s -> %s: held-out %.1f%% -> %.1f%% (l2 %g)",
        base_model.name,
        out,
        report.heldout_before * 100,
        report.heldout_after * 100,
        l2,
    )
    return report


def _load(path: Path, usage: str | None, limit: int | None, to_pixels: Any = None) -> FaceArrays:
    try:
        return load_arrays(path, usage, to_pixels, limit)
    except DatasetError as exc:
        raise PersonalizeError(str(exc)) from None


def _read_model(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model not found; give the int8 .tflite to start from (--model)") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc})") from None
