"""The face detectors there are, by name; the one place that builds one.

:data:`DETECTORS` is both the registry and the list of valid ``faces.detector`` values. To add
a detector, write ``edge/faces/<name>.py`` with a class that has ``name``, ``detect(gray)`` and
a ``from_settings(settings)`` classmethod, and add one line here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from edge.core.errors import ConfigError, EmojifyError
from edge.core.plugins import load
from edge.faces.base import PHOTO_SETTINGS, DetectorSettings, FaceDetector
from edge.faces.zoom import ZoomSearch

log = logging.getLogger(__name__)

#: name -> detector class (imported only when chosen).
DETECTORS: dict[str, str] = {
    "blazeface": "edge.faces.blazeface:BlazeFaceDetector",
    "haar": "edge.faces.haar:HaarDetector",
}
#: Used when the chosen detector cannot load (its model or runtime is missing), with a warning.
FALLBACK = "haar"


def make_detector(
    name: str,
    min_size: int = 32,
    threshold: float = 0.6,
    model: Path | None = None,
    zoom: bool = True,
    follow: bool = True,
) -> FaceDetector:
    """Create a detector; one that cannot load falls back to :data:`FALLBACK` with a warning.

    Args:
        name: A key of :data:`DETECTORS`.
        min_size: Smallest face side in pixels that is reported.
        threshold: Detection score threshold (BlazeFace).
        model: Model file for detectors that have one (default: the shipped one).
        zoom: Look again, closer, when a fixed-input detector (``zoomable``) finds no face in
            the whole frame (:class:`edge.faces.zoom.ZoomSearch`).
        follow: With ``zoom``: look first where the last zoomed search found faces (a stream).

    Raises:
        ConfigError: Unknown detector name.
    """
    if name not in DETECTORS:
        raise ConfigError(f"face detector {name!r} is not one of {', '.join(DETECTORS)}")
    settings = DetectorSettings(name, min_size, threshold)
    if name != FALLBACK:
        try:
            detector: FaceDetector = load(DETECTORS[name]).from_settings(settings, model)
        except EmojifyError as exc:
            log.warning("%s unavailable (%s); using the %s detector", name, exc, FALLBACK)
        else:
            if zoom and getattr(detector, "zoomable", False):
                return ZoomSearch(detector, min_size=min_size, follow=follow)
            return detector
    return load(DETECTORS[FALLBACK]).from_settings(settings, None)  # type: ignore[no-any-return]


def photo_detector() -> FaceDetector:
    """The detector for uncropped photos (:data:`edge.faces.base.PHOTO_SETTINGS`)."""
    return make_detector(PHOTO_SETTINGS.name, PHOTO_SETTINGS.min_size, PHOTO_SETTINGS.threshold, follow=False)
