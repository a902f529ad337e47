"""``labels.txt`` beside a model: the label order, one label per line, checked against :data:`edge.core.labels.LABELS`."""

from __future__ import annotations

from pathlib import Path

from edge.core.labels import LABELS


def write_labels(path: Path) -> None:
    """Write the label order, one label per line, to ``path``."""
    path.write_text("".join(f"{label}\n" for label in LABELS), encoding="utf-8")


def read_labels(path: Path) -> tuple[str, ...]:
    """Read a labels file and check that it matches :data:`LABELS`.

    Args:
        path: A file with one label per line.

    Returns:
        The labels in file order.

    Raises:
        ValueError: The file does not list the FER2013 classes in FER2013 order.
    """
    found = tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    if found != LABELS:
        raise ValueError(
            f"{path}: labels {list(found)} do not match the model's class order {list(LABELS)}; "
            "restore the file from models/labels.txt"
        )
    return found
