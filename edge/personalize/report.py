"""What a personalise run did and measured, and whether the new model has earned activation.

The numbers a person sees are *cross-validated*: every capture is predicted by a layer fitted
without its group (its burst of frames, or the photo itself), before (the base model) and after.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from edge.core.labels import LABELS

#: An emotion whose cross-validated recall stays below this is named as one to capture again.
WEAK_RECALL = 0.5


@dataclass
class PersonalizeReport:
    """What a personalise run did and measured (accuracies are fractions 0..1).

    Attributes:
        model: The model written.
        base_model: The model it was made from.
        data: The captures used.
        n_captures: Captures read (all of them fit the final layer).
        n_groups: Groups of captures (bursts of frames, or single photos).
        n_folds: Cross-validation folds.
        copies: Varied copies made of each capture.
        classes: Emotions present in the captures.
        anchor: What the regularisation keeps close to the base model.
        l2: The strength used for the final fit.
        l2_cv: The strength the cross-validation preferred (before the general-face safeguard).
        l2_scores: Cross-validated accuracy of every candidate strength.
        general_change: Mean squared logit change on general faces the final layer makes.
        cv_before: Base model accuracy on the captures.
        cv_after: Cross-validated accuracy of the personalised layer at the strength used.
        cv_per_class: ``{label: [recall before, cross-validated recall after, support]}``.
        fitted_after: The written int8 model's accuracy on the captures it was fitted on.
        check: The general data set checked, if any.
        n_check: Faces in it.
        check_before: Base model accuracy on it.
        check_after: Personalised model accuracy on it.
        skipped: Images in which no face was found (``--detect-faces``).
        seconds: Wall time of the whole run.
    """

    model: str
    base_model: str
    data: str
    n_captures: int
    n_groups: int
    n_folds: int
    copies: int
    classes: list[str]
    anchor: str
    l2: float
    l2_cv: float
    l2_scores: dict[str, float]
    general_change: float
    cv_before: float
    cv_after: float
    cv_per_class: dict[str, list[float]] = field(default_factory=dict)
    fitted_after: float = 0.0
    check: str | None = None
    n_check: int = 0
    check_before: float | None = None
    check_after: float | None = None
    skipped: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    def weak_emotions(self) -> list[str]:
        """Captured emotions still read wrongly most of the time (cross-validated), in label order."""
        return [label for label, (_, after, _) in self.cv_per_class.items() if after < WEAK_RECALL]

    def missing_emotions(self) -> list[str]:
        """Emotions with no captures at all."""
        return [label for label in LABELS if label not in self.classes]

    def refusals(self, max_drop: float) -> list[str]:
        """Why the model must not become active (empty: it may).

        Args:
            max_drop: Largest loss (percentage points) on the general check that is accepted.
        """
        problems = []
        if self.cv_after <= self.cv_before:
            problems.append(
                f"it does not read your captures better than the base model "
                f"({_pct(self.cv_before)} -> {_pct(self.cv_after)}, cross-validated)"
            )
        if self.check_before is not None and self.check_after is not None:
            drop = (self.check_before - self.check_after) * 100
            if drop > max_drop:
                problems.append(f"it loses {drop:.1f} points on {self.check} (more than {max_drop:g})")
        return problems

    def advice(self) -> str:
        """What to capture to do better, or ``""``."""
        parts = []
        weak = self.weak_emotions()
        if weak:
            parts.append(
                f"capture more of {', '.join(weak)}: another session, other light, a slightly different "
                "face each time (still read wrongly most of the time)"
            )
        missing = self.missing_emotions()
        if missing:
            parts.append(f"not captured, so not taught: {', '.join(missing)}")
        return "; ".join(parts)

    def summary(self) -> str:
        """Human-readable lines for the command line."""
        lines = [
            f"personalised model: {self.model}",
            f"captures: {self.data}  ({self.n_captures} in {self.n_groups} groups, {self.copies} varied copies "
            f"of each; emotions: {', '.join(self.classes)})"
            + (f"  [{self.skipped} without a face skipped]" if self.skipped else ""),
            f"regularisation: {self.anchor}, strength {self.l2:.3g}"
            + (
                f" (cross-validation preferred {self.l2_cv:.3g}; held back to keep general faces)"
                if self.l2 > self.l2_cv
                else ""
            ),
            f"your captures, cross-validated over {self.n_folds} folds: {_pct(self.cv_before)} -> "
            f"{_pct(self.cv_after)} ({(self.cv_after - self.cv_before) * 100:+.1f} points)",
        ]
        for label, (before, after, support) in self.cv_per_class.items():
            lines.append(f"  {label:<9} {before * 100:5.1f}% -> {after * 100:5.1f}%  (n={int(support)})")
        if self.check_before is not None and self.check_after is not None:
            lines.append(
                f"general check ({self.check}, n={self.n_check}): {_pct(self.check_before)} -> "
                f"{_pct(self.check_after)} ({(self.check_after - self.check_before) * 100:+.1f} points)"
            )
        lines.append(f"took {self.seconds:.1f} s")
        return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"
