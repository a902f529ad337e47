"""``emojify personalize``: adapt the model's final layer to one person's captures and write a new int8 model.

The run, in steps: read the base model and the captures, split them (:mod:`edge.personalize.splits`),
decide what anchors the fit (:func:`_anchor`: general-face statistics stored in the model, or
computed from a reference set, or a plain weight L2), choose the strength by cross-validation and
fit (:mod:`edge.personalize.fit`), measure the real int8 model on the held-out captures (and a
general check set), and write the model with the measurements in its metadata.
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

from edge.core.errors import ModelError
from edge.core.labels import LABELS
from edge.data.datasets import FaceArrays, is_fer_csv
from edge.data.evaluation import metrics
from edge.inference.classifier import ExpressionClassifier
from edge.inference.features import feature_moments, read_model, run_model
from edge.model_format.editor import DenseHead, read_dense_head, replace_dense_head
from edge.model_format.metadata import FEATURE_MOMENTS_KEY, PERSONALIZATION_KEY, encode_moments, read_feature_moments
from edge.personalize.captures import PersonalizeError, load_captures, load_faces, predict
from edge.personalize.fit import DEFAULT_STEPS, FUNCTION_GRID, L2_GRID, HeadFit, accuracy, choose_l2, fit_head
from edge.personalize.report import PersonalizeReport
from edge.personalize.splits import CV_FOLDS, HOLDOUT, split_holdout, time_folds
from edge.system.files import atomic_write

log = logging.getLogger(__name__)

#: Reference faces used for the feature moments by default.
REFERENCE_LIMIT = 2000
#: Head room kept around the fitted logits when the logits tensor is re-quantised.
LOGITS_MARGIN = 1.2


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
        holdout: Share of each emotion's newest captures held out for the before/after numbers.
        steps: Gradient steps per fit.
        threads: Interpreter threads.
        grid: Candidate regularisation strengths (default :data:`~edge.personalize.fit.FUNCTION_GRID`
            with general-face statistics, :data:`~edge.personalize.fit.L2_GRID` without).
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
    holdout: float = HOLDOUT
    steps: int = DEFAULT_STEPS
    threads: int = 1
    grid: Sequence[float] | None = None


@dataclass
class _Inputs:
    """The base model and the captures run through it, split into fitting and held-out parts."""

    base_bytes: bytes
    head: DenseHead
    base: ExpressionClassifier
    arrays: FaceArrays
    train: np.ndarray
    held: np.ndarray
    probs: np.ndarray
    features: np.ndarray


@dataclass
class _Anchor:
    """What keeps the fitted layer close to the base model."""

    moments: np.ndarray | None
    description: str
    metadata: dict[str, str | bytes]


def _read_inputs(options: PersonalizeOptions) -> _Inputs:
    base_bytes = read_model(options.base_model)
    head = read_dense_head(base_bytes)
    arrays = load_captures(options.data, options.detect_faces)
    train, held = split_holdout(arrays.origins, arrays.labels, options.holdout)
    if len(held) == 0:
        raise PersonalizeError(
            f"{options.data}: too few captures to hold any out for checking; capture at least 2 faces per emotion "
            "(emojify capture --per-emotion 20)"
        )
    base = ExpressionClassifier(options.base_model, num_threads=options.threads, delegate="cpu")
    probs, features = run_model(base, arrays.pixels)
    if features.shape[1] != head.weight.shape[1]:
        raise ModelError(
            f"{options.base_model}: the features output has {features.shape[1]} values but the final layer takes "
            f"{head.weight.shape[1]}; the model cannot be personalised"
        )
    return _Inputs(base_bytes, head, base, arrays, train, held, probs, features)


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


def _fit(options: PersonalizeOptions, inputs: _Inputs, anchor: _Anchor) -> tuple[HeadFit, dict[float, float]]:
    """Choose the strength by cross-validation inside the training part, then fit on all of it."""
    grid = options.grid if options.grid is not None else (FUNCTION_GRID if anchor.moments is not None else L2_GRID)
    train, labels, features, head = inputs.train, inputs.arrays.labels, inputs.features, inputs.head
    # The held-out part only reports; it never chooses.
    folds = time_folds([inputs.arrays.origins[i] for i in train], labels[train], CV_FOLDS)
    if folds:
        l2, scores = choose_l2(
            features[train], labels[train], folds, head.weight, head.bias, grid, options.steps, moments=anchor.moments
        )
    else:
        l2, scores = max(grid), {}
        log.warning("too few captures to choose the regularisation; using the strongest (%g)", l2)
    return fit_head(features[train], labels[train], head.weight, head.bias, l2, options.steps, anchor.moments), scores


def _logits_range(inputs: _Inputs, fit: HeadFit) -> tuple[float, float]:
    """The real range the new logits tensor covers: the old one, widened to the fitted logits plus head room."""
    train_logits = fit.logits(inputs.features[inputs.train])
    low, high = inputs.head.logits_range
    return (
        min(low, float(train_logits.min()) * LOGITS_MARGIN),
        max(high, float(train_logits.max()) * LOGITS_MARGIN),
    )


def _measure(
    options: PersonalizeOptions, inputs: _Inputs, model: bytes
) -> tuple[np.ndarray, tuple[str, int, float, float] | None]:
    """Held-out predictions of the real int8 model (a scratch copy), and the general check when asked for."""
    with tempfile.TemporaryDirectory(prefix="emojify-personalize-") as scratch:
        trial = Path(scratch) / options.out.name
        trial.write_bytes(model)
        personal = ExpressionClassifier(trial, num_threads=options.threads, delegate="cpu")
        after = predict(personal, inputs.arrays.pixels[inputs.held])
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
    return after, check_result


def _report(
    options: PersonalizeOptions, inputs: _Inputs, meta: dict[str, Any], scores: dict[float, float], after: np.ndarray
) -> PersonalizeReport:
    labels, held = inputs.arrays.labels, inputs.held
    before = inputs.probs[held].argmax(axis=1)
    m_before, m_after = metrics(labels[held], before), metrics(labels[held], after)
    per_class = {
        label: [m_before["per_class"][label]["recall"], m_after["per_class"][label]["recall"], float(row["support"])]
        for label, row in m_after["per_class"].items()
        if row["support"]
    }
    return PersonalizeReport(
        model=str(options.out),
        base_model=str(options.base_model),
        data=str(options.data),
        n_train=len(inputs.train),
        n_heldout=len(held),
        classes=meta["classes"],
        anchor=meta["anchor"],
        l2=meta["l2"],
        l2_scores={f"{k:g}": v for k, v in scores.items()},
        heldout_before=accuracy(labels[held], before),
        heldout_after=accuracy(labels[held], after),
        skipped=len(inputs.arrays.skipped),
        heldout_per_class=per_class,
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
    fit, scores = _fit(options, inputs, anchor)
    logits_range = _logits_range(inputs, fit)
    meta: dict[str, Any] = {
        "base_model": options.base_model.name,
        "data": str(options.data),
        "classes": [LABELS[i] for i in sorted(set(inputs.arrays.labels.tolist()))],
        "n_train": len(inputs.train),
        "anchor": anchor.description,
        "l2": fit.l2,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    def build() -> bytes:
        entries: dict[str, str | bytes] = {**anchor.metadata, PERSONALIZATION_KEY: json.dumps(meta)}
        return replace_dense_head(inputs.base_bytes, fit.weight, fit.bias, logits_range, entries)

    after, check_result = _measure(options, inputs, build())
    report = _report(options, inputs, meta, scores, after)
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
        "personalised %s -> %s: held-out %.1f%% -> %.1f%% (l2 %g)",
        options.base_model.name,
        options.out,
        report.heldout_before * 100,
        report.heldout_after * 100,
        fit.l2,
    )
    return report


#: Report fields added to the model's metadata once measured.
_MEASURED = ("heldout_before", "heldout_after", "n_heldout", "check", "check_before", "check_after")
