"""What a personalise run did and measured, for the command line, the JSON report and the model's metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
