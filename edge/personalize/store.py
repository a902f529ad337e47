"""The captured-face folders: ``<state>/dataset/<person>/<emotion>/<timestamp>-<n>.png`` (readable by their owner only)."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import cv2
import numpy as np

from edge.core.errors import ConfigError, EmojifyError
from edge.core.labels import label_for_name
from edge.core.preprocess import INPUT_SIZE
from edge.system.files import atomic_write

log = logging.getLogger(__name__)

DATASET_DIR = "dataset"
_PERSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_person(name: str) -> str:
    """Validate a person name, which becomes a folder name.

    Raises:
        ConfigError: Not a simple name, or a name the data loader would read as an emotion.
    """
    if not _PERSON.fullmatch(name) or name in (".", ".."):
        raise ConfigError(
            f"person name {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if label_for_name(name) is not None:
        raise ConfigError(f"person name {name!r} is also an emotion name; choose another one")
    return name


class CaptureStore:
    """The captured-face folders under ``<state>/dataset``.

    Args:
        state_dir: The state folder (:func:`edge.paths.default_state_dir` by default in the CLI).
    """

    def __init__(self, state_dir: Path) -> None:
        self.root = Path(state_dir) / DATASET_DIR

    def person_dir(self, person: str) -> Path:
        """``<state>/dataset/<person>``."""
        return self.root / check_person(person)

    def save(self, person: str, emotion: str, pixels: np.ndarray, stamp: str, n: int) -> Path:
        """Write one 48x48 crop as ``<person>/<emotion>/<stamp>-<n>.png`` (readable by this user only).

        Raises:
            EmojifyError: The folder cannot be written.
        """
        if pixels.shape != (INPUT_SIZE, INPUT_SIZE) or pixels.dtype != np.uint8:
            raise ValueError(f"crops must be {INPUT_SIZE}x{INPUT_SIZE} uint8, got {pixels.shape} {pixels.dtype}")
        folder = self.person_dir(person) / emotion
        path = folder / f"{stamp}-{n:03d}.png"
        ok, encoded = cv2.imencode(".png", pixels)
        if not ok:  # pragma: no cover - PNG encoding of a uint8 array does not fail
            raise EmojifyError(f"could not encode the crop for {path}")
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            for part in (self.root / person, folder):
                part.mkdir(mode=0o700, exist_ok=True)
            atomic_write(path, encoded.tobytes(), mode=0o600)
        except OSError as exc:
            raise EmojifyError(f"cannot write face images to {folder} ({exc}); give a writable --state-dir") from None
        return path

    def files(self, person: str | None = None) -> list[Path]:
        """Every stored capture image (of one person, or of everyone)."""
        base = self.person_dir(person) if person else self.root
        if not base.is_dir():
            return []
        return sorted(p for p in base.rglob("*.png") if p.is_file())

    def persons(self) -> list[str]:
        """Names of the people with captures."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def delete(self, person: str | None = None) -> int:
        """Remove the captures of ``person`` (everyone when ``None``); returns the number of images removed.

        Only the capture folders are removed (``<state>/dataset/<person>``, and ``<state>/dataset``
        when it is left empty); models made from them are not touched.

        Raises:
            EmojifyError: A folder cannot be removed.
        """
        count = len(self.files(person))
        targets = [self.person_dir(person)] if person else [self.root / name for name in self.persons()]
        try:
            for folder in targets:
                if folder.is_dir():
                    shutil.rmtree(folder)
            if self.root.is_dir() and not any(self.root.iterdir()):
                self.root.rmdir()
        except OSError as exc:
            raise EmojifyError(f"cannot delete {self.root} ({exc}); run as the user who captured") from None
        log.info("deleted %d capture image(s) of %s", count, person or "everyone")
        return count
