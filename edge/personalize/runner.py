"""``emojify personalize``: adapt the model's final layer to one person's captures and write a new int8 model.

The run, in steps: read the base model and the captures, group them (bursts of frames, single
photos: :mod:`edge.personalize.splits`) and add varied copies (:mod:`edge.personalize.augment`),
run everything through the model once for its features, decide what anchors the fit
(:func:`_anchor`: general-face statistics stored in the model, or computed from a reference set,
or a plain weight L2), choose the strength by cross-validation over the groups, hold it back to
the general-face budget, refit on *all* the captures (:mod:`edge.personalize.fit`), check the
real int8 model (and a general check set when given), and write the model with the numbers in
its metadata. Whether it becomes active is :meth:`PersonalizeReport.refusals`' call.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from edge.core.errors import ModelError
from edge.core.labels import LABELS
from edge.data.datasets import FaceArrays, is_fer_csv
from edge.data.evaluation import metrics
from edge.inference.classifier import ExpressionClassifier
from edge.inference.features import feature_moments, read_model, run_model
from edge.model_format.editor import DenseHead, read_dense_head, replace_dense_head
from edge.model_format.metadata import FEATURE_MOMENTS_KEY, PERSONALIZATION_KEY, encode_moments, read_feature_moments
from edge.personalize.augment import augment, copies_per_capture
from edge.personalize.captures import PersonalizeError, load_captures, load_faces, predict
from edge.personalize.fit import (
    DEFAULT_STEPS,
    GENERAL_BUDGET,
    STRENGTHS,
    CrossValidation,
    HeadFit,
    HeadProblem,
    accuracy,
    best_strength,
    cross_validate,
    within_budget,
)
from edge.personalize.report import PersonalizeReport
from edge.personalize.splits import capture_groups, fold_rows, group_folds
from edge.system.files import atomic_write

log = logging.getLogger(__name__)

#: Reference faces used for the feature moments by default.
REFERENCE_LIMIT = 2000
#: Head room kept around the fitted logits when the logits tensor is re-quantised.
LOGITS_MARGIN = 1.2
#: Candidate strengths of the plain weight L2 (a model without general-face statistics), strongest first.
L2_GRID: tuple[float, ...] = (10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)


@dataclass(frozen=True)
class PersonalizeOptions:
    """What to personalise and how.

    Attributes:
        base_model: The int8 model to start from (it must have the ``features`` output).
        data: Captured crops (``<person>/<emotion>/*.png`` or ``<emotion>/*.png``), or photos
            with ``detect_faces``; any data set :func:`edge.data.datasets.iter_samples` reads.
        out: Where the new ``.tflite`` goes (written atomically).
        detect_faces: ``data`` holds uncropped photos: detect and crop the largest face.
        check: A general data set to measure before/after on (e.g. FER2013, PublicTest).
        check_usage: Usage/split of ``check`` (default ``PublicTest`` for a CSV, all for folders).
        check_limit: Use only the first N images of ``check``.
        reference: General faces for the feature moments when the base model carries none
            (default usage ``Training`` for a CSV); they are stored in the new model.
        reference_usage: Usage/split of ``reference``.
        reference_limit: Faces of ``reference`` used.
        copies: Varied copies per capture (default: enough for about 300 faces, see
            :func:`edge.personalize.augment.copies_per_capture`); 0 turns augmentation off.
        budget: Largest mean squared logit change on general faces (the general-face safeguard).
        steps: Gradient steps of the final fit.
        threads: Interpreter threads.
        grid: Candidate strengths, strongest first (default :data:`~edge.personalize.fit.STRENGTHS`
            with general-face statistics, :data:`L2_GRID` without).
    """

    base_model: Path
    data: Path
    out: Path
    detect_faces: bool = False
    check: Path | None = None
    check_usage: str | None = None
    check_limit: int | None = None
    reference: Path | None = None
    reference_usage: str | None = None
    reference_limit: int = REFERENCE_LIMIT
    copies: int | None = None
    budget: float = GENERAL_BUDGET
    steps: int = DEFAULT_STEPS
    threads: int = 1
    grid: Sequence[float] | None = None


@dataclass
class _Inputs:
    """The base model and the captures (with their varied copies) run through it."""

    base_bytes: bytes
    head: DenseHead
    base: ExpressionClassifier
    arrays: FaceArrays
    groups: list[str]
    copies: int
    source: np.ndarray
    probs: np.ndarray
    features: np.ndarray

    @property
    def n(self) -> int:
        """Number of captures (the first ``n`` rows; the rest are copies)."""
        return len(self.arrays)


@dataclass
class _Anchor:
    """What keeps the fitted layer close to the base model."""

    moments: np.ndarray | None
    description: str
    metadata: dict[str, str | bytes]


@dataclass
class _Fit:
    """The final layer and the cross-validation behind it."""

    head: HeadFit
    l2_cv: float
    scores: list[CrossValidation]
    estimate: CrossValidation
    n_folds: int


def _read_inputs(options: PersonalizeOptions) -> _Inputs:
    base_bytes = read_model(options.base_model)
    head = read_dense_head(base_bytes)
    arrays = load_captures(options.data, options.detect_faces)
    groups = capture_groups(arrays.origins)
    if len(set(groups)) < 2:
        raise PersonalizeError(
            f"{options.data}: the captures form a single group, so nothing can check the fit; capture at least "
            "2 photos per emotion (emojify capture --per-emotion 20)"
        )
    copies = copies_per_capture(len(arrays)) if options.copies is None else max(0, options.copies)
    pixels, source = augment(arrays.pixels, copies)
    base = ExpressionClassifier(options.base_model, num_threads=options.threads, delegate="cpu")
    probs, features = run_model(base, pixels)
    if features.shape[1] != head.weight.shape[1]:
        raise ModelError(
            f"{options.base_model}: the features output has {features.shape[1]} values but the final layer takes "
            f"{head.weight.shape[1]}; the model cannot be personalised"
        )
    return _Inputs(base_bytes, head, base, arrays, groups, copies, source, probs[: len(arrays)], features)


def _anchor(options: PersonalizeOptions, inputs: _Inputs) -> _Anchor:
    """General-face statistics from the model, else from ``--reference``, else a plain weight L2 (with a warning)."""
    moments = read_feature_moments(inputs.base_bytes)
    if moments is not None and moments.shape != (inputs.features.shape[1] + 1,) * 2:
        log.warning("ignoring the model's feature moments: shape %s does not fit the features", moments.shape)
        moments = None
    if moments is not None:
        return _Anchor(moments, "function-space L2 (general-face statistics stored in the model)", {})
    reference = options.reference
    if reference is not None:
        usage = options.reference_usage
        usage = usage if usage is not None else ("Training" if is_fer_csv(reference) else None)
        general = load_faces(reference, usage, options.reference_limit)
        moments = feature_moments(run_model(inputs.base, general.pixels)[1])
        description = f"function-space L2 (general-face statistics of {len(general)} faces from {reference.name})"
        return _Anchor(moments, description, {FEATURE_MOMENTS_KEY: encode_moments(moments)})
    log.warning(
        "%s carries no general-face feature statistics: personalising with a plain weight L2, which may cost "
        "general accuracy; give --reference with general faces (e.g. the FER2013 CSV) or use a model exported "
        "with them",
        options.base_model.name,
    )
    return _Anchor(None, "weight-space L2 (the model has no general-face statistics)", {})


def _fit(options: PersonalizeOptions, inputs: _Inputs, anchor: _Anchor) -> _Fit:
    """Cross-validate the strengths over the groups, apply the general-face budget, refit on every capture."""
    grid = options.grid if options.grid is not None else (STRENGTHS if anchor.moments is not None else L2_GRID)
    labels = inputs.arrays.labels
    problem = HeadProblem(inputs.features, labels[inputs.source], inputs.head.weight, inputs.head.bias, anchor.moments)
    scored = np.arange(inputs.n)
    row_groups = [inputs.groups[i] for i in inputs.source]
    folds = fold_rows(row_groups, scored, group_folds(inputs.groups, labels))
    with threadpool_limits(limits=1):  # small matrices: BLAS threads only contend (measured 6x slower)
        scores = cross_validate(problem, folds, scored, grid)
        chosen = best_strength(scores)
        if anchor.moments is not None:
            l2, phi = within_budget(problem, chosen.l2, options.budget, options.steps)
        else:
            l2, phi = chosen.l2, problem.solve(None, chosen.l2, options.steps)
        estimate = chosen if l2 == chosen.l2 else cross_validate(problem, folds, scored, (l2,))[0]
    return _Fit(problem.head(phi, l2), chosen.l2, scores, estimate, len(folds))


def _logits_range(inputs: _Inputs, fit: HeadFit) -> tuple[float, float]:
    """The real range the new logits tensor covers: the old one, widened to the fitted logits plus head room."""
    train_logits = fit.logits(inputs.features)
    low, high = inputs.head.logits_range
    return (
        min(low, float(train_logits.min()) * LOGITS_MARGIN),
        max(high, float(train_logits.max()) * LOGITS_MARGIN),
    )


def _measure(
    options: PersonalizeOptions, inputs: _Inputs, model: bytes
) -> tuple[float, tuple[str, int, float, float] | None]:
    """The real int8 model (a scratch copy) on the captures, and on the general check when asked for."""
    with tempfile.TemporaryDirectory(prefix="emojify-personalize-") as scratch:
        trial = Path(scratch) / options.out.name
        trial.write_bytes(model)
        personal = ExpressionClassifier(trial, num_threads=options.threads, delegate="cpu")
        fitted = accuracy(inputs.arrays.labels, predict(personal, inputs.arrays.pixels))
        check_result = None
        check = options.check
        if check is not None:
            usage = options.check_usage
            usage = usage if usage is not None else ("PublicTest" if is_fer_csv(check) else None)
            general = load_faces(check, usage, options.check_limit)
            check_result = (
                f"{check}" + (f" [{usage}]" if usage else ""),
                len(general),
                accuracy(general.labels, predict(inputs.base, general.pixels)),
                accuracy(general.labels, predict(personal, general.pixels)),
            )
        del personal
    return fitted, check_result


def _report(options: PersonalizeOptions, inputs: _Inputs, meta: dict[str, Any], fit: _Fit) -> PersonalizeReport:
    labels = inputs.arrays.labels
    before = inputs.probs.argmax(axis=1)
    m_before, m_after = metrics(labels, before), metrics(labels, fit.estimate.predictions)
    per_class = {
        label: [m_before["per_class"][label]["recall"], m_after["per_class"][label]["recall"], float(row["support"])]
        for label, row in m_after["per_class"].items()
        if row["support"]
    }
    return PersonalizeReport(
        model=str(options.out),
        base_model=str(options.base_model),
        data=str(options.data),
        n_captures=inputs.n,
        n_groups=len(set(inputs.groups)),
        n_folds=fit.n_folds,
        copies=inputs.copies,
        classes=meta["classes"],
        anchor=meta["anchor"],
        l2=fit.head.l2,
        l2_cv=fit.l2_cv,
        l2_scores={f"{r.l2:g}": r.accuracy for r in fit.scores},
        general_change=fit.head.change,
        cv_before=accuracy(labels, before),
        cv_after=fit.estimate.accuracy,
        cv_per_class=per_class,
        skipped=len(inputs.arrays.skipped),
    )


def personalize(options: PersonalizeOptions) -> PersonalizeReport:
    """Adapt ``options.base_model`` to the faces in ``options.data`` and write the new int8 model to ``options.out``.

    Returns:
        The report (its numbers are also stored in the new model's metadata).

    Raises:
        EmojifyError: Unusable model or data (``ModelError``, ``PersonalizeError``).
    """
    started = time.perf_counter()
    inputs = _read_inputs(options)
    anchor = _anchor(options, inputs)
    fit = _fit(options, inputs, anchor)
    logits_range = _logits_range(inputs, fit.head)
    meta: dict[str, Any] = {
        "base_model": options.base_model.name,
        "data": str(options.data),
        "classes": [LABELS[i] for i in sorted(set(inputs.arrays.labels.tolist()))],
        "n_captures": inputs.n,
        "anchor": anchor.description,
        "l2": fit.head.l2,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    def build() -> bytes:
        entries: dict[str, str | bytes] = {**anchor.metadata, PERSONALIZATION_KEY: json.dumps(meta)}
        return replace_dense_head(inputs.base_bytes, fit.head.weight, fit.head.bias, logits_range, entries)

    fitted, check_result = _measure(options, inputs, build())
    report = _report(options, inputs, meta, fit)
    report.fitted_after = fitted
    if check_result is not None:
        report.check, report.n_check, report.check_before, report.check_after = check_result
    # The file written is the model measured above, with the measurements added to its metadata.
    meta.update({key: getattr(report, key) for key in _MEASURED})
    try:
        atomic_write(options.out, build())
    except OSError as exc:
        raise ModelError(
            f"cannot write the personalised model to {options.out} ({exc}); give a writable --out"
        ) from None
    report.seconds = time.perf_counter() - started
    log.info(
        "personalised %s -> %s: captures %.1f%% -> %.1f%% cross-validated (l2 %g)",
        options.base_model.name,
        options.out,
        report.cv_before * 100,
        report.cv_after * 100,
        fit.head.l2,
    )
    return report


#: Report fields added to the model's metadata once measured.
_MEASURED = ("cv_before", "cv_after", "n_groups", "check", "check_before", "check_after")
