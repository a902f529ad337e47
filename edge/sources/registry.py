"""The frame sources there are, by spec form; the one place that builds one from a spec string.

Spec forms (:data:`SPEC_FORMS`, checked in order after ``auto``):

- ``auto``: see :mod:`edge.sources.auto`.
- ``picamera2``: the Pi camera (CSI).
- ``opencv:N`` or ``/dev/videoN``: a USB / V4L2 camera through OpenCV.
- ``demo``: the built-in animated demo (needs scikit-image).
- a path to a video file, or to a folder of images.

To add a source, write ``edge/sources/<name>.py`` with a class that has ``from_spec(spec,
options)`` (and the :class:`~edge.sources.base.Source` protocol), and add one line here. Only the
chosen backend's module is imported, and nothing downstream branches on which one it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.core.errors import SourceError
from edge.core.plugins import load
from edge.core.text import quote
from edge.sources.auto import AutoCamera, describe_auto_choice
from edge.sources.base import Source, SourceOptions
from edge.system.files import PathInfo, inspect_path


def _named(word: str) -> Callable[[str], bool]:
    return lambda text: text == word


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda text: compiled.fullmatch(text) is not None


def _expand(text: str) -> Path:
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~name of a user that does not exist
        return Path(text)


def _path_info(text: str) -> PathInfo:
    return inspect_path(_expand(text)) if text else PathInfo("missing")


def _existing(kind: str) -> Callable[[str], bool]:
    return lambda text: _path_info(text).kind == kind


@dataclass(frozen=True)
class SpecForm:
    """One way to write ``camera.source``.

    Attributes:
        form: How it is written, for help and error messages.
        matches: Whether a spec string is of this form.
        backend: ``"module:Class"``; the class builds itself with ``from_spec(spec, options)``.
    """

    form: str
    matches: Callable[[str], bool]
    backend: str


#: ``auto`` is resolved first (:func:`edge.sources.auto.describe_auto_choice`); then these, in order.
SPEC_FORMS: tuple[SpecForm, ...] = (
    SpecForm("picamera2", _named("picamera2"), "edge.sources.picamera2_source:Picamera2Source"),
    SpecForm(
        "opencv:N (camera number, e.g. opencv:0)",
        _pattern(r"opencv:\d+"),
        "edge.sources.opencv_source:OpenCVCameraSource",
    ),
    SpecForm("/dev/videoN", _pattern(r"/dev/video\d+"), "edge.sources.opencv_source:OpenCVCameraSource"),
    SpecForm("demo", _named("demo"), "edge.sources.demo:DemoSource"),
    SpecForm("a path to a video file", _existing("file"), "edge.sources.video:VideoFileSource"),
    SpecForm("a path to a folder of images", _existing("folder"), "edge.sources.images:ImageFolderSource"),
)


def valid_forms() -> str:
    """The spec forms for messages: ``auto, picamera2, ...``."""
    return ", ".join(["auto", *(form.form for form in SPEC_FORMS)])


def make_source(
    spec: str,
    *,
    preview: bool = False,
    loop: bool = False,
    width: int = 320,
    height: int = 240,
    demo_fallback: bool = True,
) -> Source:
    """Build the source for ``spec`` (see :data:`SPEC_FORMS`); nothing is opened except ``auto``'s probes.

    Args:
        spec: Which source.
        preview: Sources also produce RGB ``Frame.preview`` images.
        loop: Video files and image folders start again at the end.
        width: Grey frame width of the Pi camera (its lores stream).
        height: Grey frame height of the Pi camera.
        demo_fallback: ``auto`` without a camera means the demo; ``False`` (under systemd): an
            :class:`~edge.sources.auto.AutoCamera` that reports the camera lost and keeps looking.

    Raises:
        SourceError: The spec is not one of the valid forms, or names a path that does not exist.
    """
    text = spec.strip()
    options = SourceOptions(preview=preview, loop=loop, width=width, height=height)
    if text == "auto":
        choice = describe_auto_choice()
        if choice.spec == "demo" and not demo_fallback:
            return AutoCamera(lambda found: _build(found, options), choice)
        text = choice.spec
    return _build(text, options)


def _build(text: str, options: SourceOptions) -> Source:
    return load(spec_form(text).backend).from_spec(text, options)  # type: ignore[no-any-return]


def spec_form(spec: str) -> SpecForm:
    """The form of a ``camera.source`` value, checked without opening anything (``auto`` is not probed).

    Raises:
        SourceError: Not a valid form, or a path that does not exist, cannot be looked at, cannot be
            read, or is neither a file nor a folder. Never an ``OSError``, whatever the name.
    """
    text = spec.strip()
    if text == "auto":
        return SpecForm("auto", _named("auto"), "")
    for form in SPEC_FORMS:
        if form.matches(text):
            if form.backend.startswith(("edge.sources.video:", "edge.sources.images:")) and not os.access(
                _expand(text), os.R_OK
            ):
                raise SourceError(f"camera.source {quote(spec)}: cannot be read (permission denied)")
            return form
    info = _path_info(text)
    if info.kind == "unreachable":
        raise SourceError(f"camera.source {quote(spec)} cannot be used ({info.reason}); valid sources: {valid_forms()}")
    if info.kind != "missing":
        raise SourceError(
            f"camera.source {quote(spec)} is {info.describe()}, not a video file or an image folder; "
            f"valid sources: {valid_forms()}"
        )
    why = "no such file or folder" if text and ("/" in text or "." in text) else "unknown source"
    raise SourceError(f"{why}: {quote(spec)}; valid sources: {valid_forms()}")
