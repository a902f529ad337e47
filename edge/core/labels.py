"""The one definition of the expression classes and their order.

FER2013's index order is the model's output order everywhere: in the data loaders, in
training, in ``models/labels.txt`` (read and written by :mod:`edge.model_format.labels_file`) and on
screen. Nothing else in the project may list the
classes.
"""

from __future__ import annotations

#: FER2013 class order: index ``i`` of every score vector is ``LABELS[i]``.
LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

NUM_CLASSES = len(LABELS)

#: The emoji shown for each class.
EMOJI: dict[str, str] = {
    "angry": "\U0001f620",  # 😠
    "disgust": "\U0001f922",  # 🤢
    "fear": "\U0001f628",  # 😨
    "happy": "\U0001f604",  # 😄
    "sad": "\U0001f622",  # 😢
    "surprise": "\U0001f62e",  # 😮
    "neutral": "\U0001f610",  # 😐
}

#: Folder names people use for each class (lower case); the canonical name is included.
ALIASES: dict[str, str] = {
    "angry": "angry",
    "anger": "angry",
    "mad": "angry",
    "disgust": "disgust",
    "disgusted": "disgust",
    "fear": "fear",
    "fearful": "fear",
    "scared": "fear",
    "afraid": "fear",
    "happy": "happy",
    "happiness": "happy",
    "joy": "happy",
    "sad": "sad",
    "sadness": "sad",
    "surprise": "surprise",
    "surprised": "surprise",
    "neutral": "neutral",
    "calm": "neutral",
}


def label_for_name(name: str) -> str | None:
    """Map a folder name such as ``"Happiness"`` to its class label.

    Args:
        name: A class name in any case, possibly an alias.

    Returns:
        The canonical label, or ``None`` when the name is not a known class.
    """
    return ALIASES.get(name.strip().lower())
