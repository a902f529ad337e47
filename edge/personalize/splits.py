"""Which captures belong together, and the cross-validation folds built from those groups.

A *group* is what must never sit on both sides of a split, because its members are nearly the
same picture: a burst of frames, or one photo. ``emojify capture`` names its files
``<person>/<emotion>/<session stamp>-<n>.png`` with ``n`` counting the frames of that emotion, taken
:data:`edge.personalize.capture.DEFAULT_INTERVAL` seconds apart; :data:`BURST_FRAMES` consecutive
frames make a burst (a few seconds, one or two head poses). Any other file, and every CSV row,
is a group of its own.

Folds leave groups out: every group alone when there are at most :data:`MAX_FOLDS`, else the
groups of each emotion are dealt round the folds in capture order, continuing from where the
previous emotion stopped, so every fold holds out a little of several emotions and none holds
out all of one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edge.personalize.fit import Fold

#: Consecutive capture frames in one burst (2.5 s at the default 0.5 s interval).
BURST_FRAMES = 5
#: Most cross-validation folds (each costs one fit per candidate strength).
MAX_FOLDS = 7

_CAPTURE_NAME = re.compile(r"(?P<stamp>\d{8}-\d{6})-(?P<n>\d+)\.[A-Za-z]+")
_CSV_ROW = re.compile(r".+\.csv(?:\.gz)?:\d+", re.IGNORECASE)


def _natural_key(text: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def group_of(origin: str) -> str:
    """The group a capture belongs to: ``<folder>/<stamp>#<burst>`` for capture frames, else the file itself."""
    if _CSV_ROW.fullmatch(origin):
        return origin
    path = Path(origin)
    match = _CAPTURE_NAME.fullmatch(path.name)
    if match is None:
        return origin
    return f"{path.parent}/{match['stamp']}#{int(match['n']) // BURST_FRAMES}"


def capture_groups(origins: Sequence[str]) -> list[str]:
    """:func:`group_of` for every capture."""
    return [group_of(origin) for origin in origins]


def group_folds(groups: Sequence[str], labels: np.ndarray, max_folds: int = MAX_FOLDS) -> list[list[str]]:
    """The groups each fold leaves out (see the module docstring); a group's emotion is its first capture's.

    Returns:
        One list of group names per fold; fewer than two groups give no folds.
    """
    order = sorted(dict.fromkeys(groups), key=_natural_key)
    if len(order) < 2:
        return []
    if len(order) <= max_folds:
        return [[g] for g in order]
    emotion: dict[str, int] = {}
    for group, label in zip(groups, labels, strict=True):
        emotion.setdefault(group, int(label))
    by_emotion: dict[int, list[str]] = defaultdict(list)
    for group in order:
        by_emotion[emotion[group]].append(group)
    folds: list[list[str]] = [[] for _ in range(max_folds)]
    dealt = 0
    for label in sorted(by_emotion):
        for group in by_emotion[label]:
            folds[dealt % max_folds].append(group)
            dealt += 1
    return folds


def fold_rows(row_groups: Sequence[str], scored: np.ndarray, folds: Sequence[Sequence[str]]) -> list[Fold]:
    """``(train rows, validation rows)`` per fold: training leaves out every row of the fold's groups.

    Args:
        row_groups: The group of every row (augmented copies carry their capture's group).
        scored: The rows that are validated (the original captures).
        folds: The groups each fold leaves out (:func:`group_folds`).
    """
    names = np.asarray(row_groups, dtype=object)
    scored_mask = np.zeros(len(names), bool)
    scored_mask[scored] = True
    result = []
    for held in folds:
        out = np.isin(names, list(held))
        result.append((np.flatnonzero(~out), np.flatnonzero(out & scored_mask)))
    return result
