"""Loading labelled face images from every layout the project reads.

Formats:

* the Kaggle FER2013 CSV (``emotion,pixels,Usage``), plain or gzip, rows selectable by Usage;
* image folders ``<root>/<emotion>/*`` and ``<root>/<split or person>/<emotion>/*``, any image
  size, colour or grey, emotion folder names matched case-insensitively with the usual
  aliases (this is also the layout ``emojify capture`` writes);
* FER+ annotator votes, aligned row by row with the FER2013 CSV, as soft targets.

Loaders yield :class:`Sample` objects lazily; :func:`load_arrays` turns them into arrays
through the one preprocessing function. Every problem raises :class:`DatasetError` naming the
file and line, or the path, and what is wrong.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.core.image import IMAGE_SUFFIXES, decode, is_image_file
from edge.core.labels import LABELS, NUM_CLASSES, label_for_name
from edge.core.preprocess import INPUT_SIZE, face_to_model_pixels

log = logging.getLogger(__name__)

FER_USAGES = ("Training", "PublicTest", "PrivateTest")
#: Side of a FER2013 row's image: the data set's own format (the model's input size may differ).
FER_SIDE = 48

#: Split folder names accepted for each FER2013 usage (lower case).
SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "training": ("training", "train"),
    "publictest": ("publictest", "test", "val", "validation", "valid"),
    "privatetest": ("privatetest",),
}

#: FER+ vote columns, in the order of the FER+ CSV, mapped to our labels (None = not a class).
FERPLUS_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("neutral", "neutral"),
    ("happiness", "happy"),
    ("surprise", "surprise"),
    ("sadness", "sad"),
    ("anger", "angry"),
    ("disgust", "disgust"),
    ("fear", "fear"),
    ("contempt", None),
    ("unknown", None),
    ("NF", None),
)


class DatasetError(ValueError):
    """A data set could not be read; the message names the file, line or path and the fix."""


@dataclass(frozen=True)
class Sample:
    """One labelled image before preprocessing.

    Attributes:
        image: The image as read (grey 48x48 for FER2013 rows; any size and channels otherwise).
        label: Class index into :data:`edge.core.labels.LABELS`.
        origin: Where it came from: ``file:line`` or a path, for error messages and reports.
        usage: The FER2013 Usage column (``Training``, ``PublicTest``...), when the source has one.
    """

    image: np.ndarray
    label: int
    origin: str
    usage: str = ""


@dataclass
class FaceArrays:
    """A preprocessed data set.

    Attributes:
        pixels: ``(N, 48, 48)`` uint8 model pixels.
        labels: ``(N,)`` int64 class indices.
        origins: Where each row came from.
        skipped: Origins of images that produced no face (with ``detect`` only).
    """

    pixels: np.ndarray
    labels: np.ndarray
    origins: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def is_fer_csv(path: Path) -> bool:
    """True when ``path`` names a FER2013-style CSV file (``.csv`` or ``.csv.gz``)."""
    name = path.name.lower()
    return path.is_file() and (name.endswith(".csv") or name.endswith(".csv.gz"))


def iter_samples(path: Path, usage: str | None = None) -> Iterator[Sample]:
    """Yield the samples of any supported data set.

    Args:
        path: A FER2013 CSV (plain or ``.gz``) or an image-folder root.
        usage: For the CSV, the Usage value to keep (``Training``, ``PublicTest``...); for
            folders, the split folder to read (``train``/``test``... aliases accepted). ``None``
            reads everything.

    Raises:
        DatasetError: The path is missing, of an unknown kind, or holds bad data.
    """
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder; give a FER2013 CSV or an image folder")
    if is_fer_csv(path):
        yield from iter_fer_csv(path, usage)
    elif path.is_dir():
        yield from iter_image_folder(path, usage)
    else:
        raise DatasetError(f"{path}: not a FER2013 CSV (.csv or .csv.gz) nor an image folder")


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def iter_fer_csv(path: Path, usage: str | None = None) -> Iterator[Sample]:
    """Yield the rows of a Kaggle FER2013 CSV.

    Args:
        path: ``emotion,pixels,Usage`` CSV, plain or gzip. The Usage column is optional.
        usage: Keep only rows with this Usage (case-insensitive); ``None`` keeps all.

    Raises:
        DatasetError: A header or row is malformed (the message names file and line).
    """
    want = usage.lower() if usage else None
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DatasetError(f"{path}: the file is empty; expected a header 'emotion,pixels,Usage'")
            columns = [name.strip().lower() for name in header]
            if columns[:2] != ["emotion", "pixels"]:
                raise DatasetError(f"{path}:1: header is {header}; expected 'emotion,pixels,Usage' (FER2013 CSV)")
            has_usage = len(columns) > 2 and columns[2] == "usage"
            if want and not has_usage:
                raise DatasetError(f"{path}:1: no Usage column, so rows cannot be selected by usage {usage!r}")
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if want and (len(row) < 3 or row[2].strip().lower() != want):
                    continue
                yield Sample(
                    _parse_fer_row(path, line, row),
                    _parse_fer_label(path, line, row),
                    f"{path}:{line}",
                    row[2].strip() if has_usage and len(row) > 2 else "",
                )
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot be read as a FER2013 CSV ({exc})") from exc


def _parse_fer_label(path: Path, line: int, row: list[str]) -> int:
    try:
        label = int(row[0])
    except ValueError:
        raise DatasetError(f"{path}:{line}: emotion {row[0]!r} is not a number 0-6") from None
    if not 0 <= label < NUM_CLASSES:
        raise DatasetError(f"{path}:{line}: emotion {label} is out of range 0-6 ({', '.join(LABELS)})")
    return label


def _parse_fer_row(path: Path, line: int, row: list[str]) -> np.ndarray:
    if len(row) < 2:
        raise DatasetError(f"{path}:{line}: expected 'emotion,pixels[,Usage]', got {len(row)} field(s)")
    try:
        values = np.array(row[1].split(), dtype=np.int32)
    except ValueError:
        raise DatasetError(f"{path}:{line}: pixels must be space-separated integers 0-255") from None
    if values.size != FER_SIDE * FER_SIDE:
        raise DatasetError(
            f"{path}:{line}: {values.size} pixels; a FER2013 row has {FER_SIDE * FER_SIDE} ({FER_SIDE}x{FER_SIDE})"
        )
    if values.min() < 0 or values.max() > 255:
        raise DatasetError(f"{path}:{line}: pixel values must lie in 0-255")
    return values.astype(np.uint8).reshape(FER_SIDE, FER_SIDE)


def read_image(path: Path) -> np.ndarray:
    """Read an image file (BGR or grey, uint8) as every image reader of the project does (:func:`edge.core.image.decode`).

    Raises:
        DatasetError: The file cannot be decoded as an image.
    """
    image = decode(np.fromfile(str(path), dtype=np.uint8))
    if image is None:
        raise DatasetError(
            f"{path}: not a readable image (empty, truncated or an unknown format); remove or replace it"
        )
    return image


def iter_image_folder(root: Path, usage: str | None = None) -> Iterator[Sample]:
    """Yield the images of a class-folder data set.

    Accepted layouts: ``root/<emotion>/*`` and ``root/<group>/<emotion>/*`` where a group is a
    split (``train``, ``test``...) or a person (``emojify capture`` output).

    Args:
        root: The data set folder.
        usage: A split to read from a split layout; ``None`` reads every group.

    Raises:
        DatasetError: Unknown class folders, empty classes or unreadable images.
    """
    for class_dir, label in _class_folders(root, usage):
        files = sorted(p for p in class_dir.iterdir() if p.is_file() and is_image_file(p.name))
        if not files:
            raise DatasetError(f"{class_dir}: class folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        for file in files:
            yield Sample(read_image(file), label, str(file))


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _class_folders(root: Path, usage: str | None) -> list[tuple[Path, int]]:
    children = _subfolders(root)
    if not children:
        raise DatasetError(
            f"{root}: no class folders; expected {root}/<emotion>/*.png with emotions {', '.join(LABELS)}"
        )
    if any(label_for_name(p.name) for p in children):
        if usage:
            log.warning("%s has no split folders; reading all of it (usage %r ignored)", root, usage)
        return _named_classes(root, children)
    groups = children
    if usage:
        names = SPLIT_ALIASES.get(usage.lower(), (usage.lower(),))
        groups = [p for p in children if p.name.lower() in names]
        if not groups:
            found = ", ".join(p.name for p in children)
            raise DatasetError(
                f"{root}: no split folder for usage {usage!r} (looked for {', '.join(names)}; found {found})"
            )
    pairs: list[tuple[Path, int]] = []
    for group in groups:
        pairs.extend(_named_classes(group, _subfolders(group)))
    return pairs


def _named_classes(parent: Path, folders: list[Path]) -> list[tuple[Path, int]]:
    unknown = [p.name for p in folders if label_for_name(p.name) is None]
    if unknown or not folders:
        found = ", ".join(p.name for p in folders) or "nothing"
        raise DatasetError(
            f"{parent}: unknown class folder(s) {', '.join(unknown) or '(none found)'}; found {found}; "
            f"class folders must be named {', '.join(LABELS)} (or an alias such as happiness, surprised)"
        )
    pairs = []
    for folder in folders:
        label = label_for_name(folder.name)
        assert label is not None
        pairs.append((folder, LABELS.index(label)))
    return pairs


PixelFn = Callable[[np.ndarray], "np.ndarray | None"]


def load_arrays(
    path: Path,
    usage: str | None = None,
    to_pixels: PixelFn | None = None,
    limit: int | None = None,
) -> FaceArrays:
    """Read a data set into preprocessed arrays.

    Args:
        path: Any data set :func:`iter_samples` reads.
        usage: Usage or split to keep.
        to_pixels: Turns an image into model pixels, or ``None`` when it finds no face.
            Defaults to :func:`edge.core.preprocess.face_to_model_pixels` (the image is the face).
        limit: Stop after this many samples.

    Returns:
        The arrays; images for which ``to_pixels`` returned ``None`` are listed in ``skipped``.

    Raises:
        DatasetError: Bad data, or no sample at all.
    """
    convert: PixelFn = to_pixels or face_to_model_pixels
    pixels: list[np.ndarray] = []
    labels: list[int] = []
    origins: list[str] = []
    skipped: list[str] = []
    for sample in iter_samples(path, usage):
        if limit is not None and len(labels) + len(skipped) >= limit:
            break
        face = convert(sample.image)
        if face is None:
            skipped.append(sample.origin)
            continue
        pixels.append(face)
        labels.append(sample.label)
        origins.append(sample.origin)
    if not labels and not skipped:
        where = f" with usage {usage!r}" if usage else ""
        raise DatasetError(f"{path}: no samples found{where}")
    stack = np.stack(pixels) if pixels else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
    return FaceArrays(stack, np.asarray(labels, dtype=np.int64), origins, skipped)


def load_ferplus_targets(path: Path, usages: list[str]) -> np.ndarray:
    """FER+ annotator votes as soft targets in label order, for rows of the given usages.

    The FER+ CSV lists the same rows, in the same order, as the FER2013 CSV it annotates.
    Rows without a vote for any of our classes get all-zero targets.

    Args:
        path: FER+ CSV (``Usage,Image name,neutral,happiness,...``).
        usages: Usage values to keep, e.g. ``["Training"]``.

    Returns:
        ``(N, 7)`` float32, each row summing to 1 (or 0 when there is no usable vote).

    Raises:
        DatasetError: Malformed file.
    """
    keep = {u.lower() for u in usages}
    order = [LABELS.index(ours) if ours else -1 for _, ours in FERPLUS_COLUMNS]
    targets: list[np.ndarray] = []
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header or [h.strip().lower() for h in header[2:]] != [c.lower() for c, _ in FERPLUS_COLUMNS]:
                raise DatasetError(f"{path}:1: header {header} is not the FER+ vote format")
            for row in reader:
                if not row or row[0].strip().lower() not in keep:
                    continue
                try:
                    votes = [float(v) for v in row[2:]]
                except ValueError:
                    raise DatasetError(f"{path}:{reader.line_num}: votes must be numbers") from None
                target = np.zeros(NUM_CLASSES, np.float32)
                for index, vote in zip(order, votes, strict=True):
                    if index >= 0:
                        target[index] += vote
                total = float(target.sum())
                targets.append(target / total if total > 0 else target)
    except (OSError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc})") from exc
    return np.stack(targets) if targets else np.zeros((0, NUM_CLASSES), np.float32)
