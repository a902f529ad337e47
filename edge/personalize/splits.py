"""Which captures fit the layer and which check it: per person and emotion, in capture (file-name) order.

Neighbouring frames of a burst are nearly the same picture, so they always end up on the same
side of a split.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.personalize.fit import Fold

#: Share of each person's emotion (newest files) held out to measure before/after.
HOLDOUT = 0.3
#: Cross-validation folds (time blocks) used to choose the strength.
CV_FOLDS = 3

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
