"""What ``auto`` means: the Pi camera, else the first V4L2 camera that gives a frame, else the demo.

The choice and the reason every earlier candidate was skipped are logged at INFO. Probing opens
and closes cameras, so it runs at start-up, and again only while :class:`AutoCamera` waits.

Under systemd a missing camera is never replaced by the demo (a kiosk showing an astronaut
instead of saying "camera not found" hides the fault): :class:`AutoCamera` shows the camera as
lost, with the cause, and probes again at every reconnect attempt until one appears. Ask for
the demo with ``camera.source = "demo"``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edge.core.errors import SourceError
from edge.core.types import Frame
from edge.sources.base import CameraLostError, Source
from edge.sources.opencv_source import OpenCVCameraSource, open_fault

log = logging.getLogger(__name__)

#: V4L2 nodes on a Raspberry Pi that are codecs or ISP stages, not cameras: never probed.
_NOT_CAMERAS = ("bcm2835-codec", "bcm2835-isp", "rpi-hevc", "pispbe", "rp1-cfe", "unicam", "hevc")
#: Seconds ``auto`` waits for the first frame of a V4L2 camera.
PROBE_TIMEOUT = 2.0
#: V4L2 nodes of the Pi's own camera interface: there is a ribbon camera for picamera2 to use.
_CSI_NODES = ("unicam", "rp1-cfe")


def _device_number(path: str) -> int:
    match = re.search(r"(\d+)$", path)
    return int(match.group(1)) if match else 1 << 30


def _node_name(node: Path) -> str:
    try:
        return (Path("/sys/class/video4linux") / node.name / "name").read_text().strip().lower()
    except OSError:
        return ""


def list_video_devices() -> list[str]:
    """``/dev/video*`` nodes that may be cameras, in number order (Pi codec/ISP nodes left out)."""
    devices = []
    for node in sorted(Path("/dev").glob("video*"), key=lambda p: _device_number(str(p))):
        name = _node_name(node)
        if any(tag in name for tag in _NOT_CAMERAS):
            log.debug("auto: %s is %r, not a camera", node, name)
            continue
        devices.append(str(node))
    return devices


def probe_picamera2() -> str | None:
    """Why the Pi camera cannot be used, or ``None`` when picamera2 imports and lists a camera."""
    try:
        from picamera2 import Picamera2
    except ImportError:
        return "picamera2 is not installed"
    except Exception as exc:  # libcamera bindings present but broken
        return f"picamera2 failed to import ({exc})"
    try:
        cameras = Picamera2.global_camera_info()
    except Exception as exc:
        return f"picamera2 could not list cameras ({exc})"
    if not cameras:
        return "picamera2 found no camera"
    return None


def probe_v4l2(device: str) -> str | None:
    """Why ``device`` cannot be used, or ``None`` when it opens and gives a frame (then closes it)."""
    source = OpenCVCameraSource(device, stall_timeout=PROBE_TIMEOUT, start_timeout=PROBE_TIMEOUT)
    try:
        source.open()
        source.read()
    except (SourceError, CameraLostError) as exc:
        return str(exc)
    finally:
        source.close()
    return None


@dataclass
class AutoChoice:
    """What ``auto`` picked and why.

    Attributes:
        spec: The chosen spec: ``picamera2``, a ``/dev/videoN`` path, or ``demo``.
        skipped: ``(candidate, reason)`` for every candidate tried before it.
    """

    spec: str
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"auto source: {self.spec}"]
        lines += [f"  skipped {candidate}: {reason}" for candidate, reason in self.skipped]
        return "\n".join(lines)


def describe_auto_choice(
    *,
    probe_picamera: Callable[[], str | None] | None = None,
    devices: Callable[[], list[str]] | None = None,
    probe_device: Callable[[str], str | None] | None = None,
    quiet: bool = False,
) -> AutoChoice:
    """Work out what ``auto`` would use, logging the choice and each skipped candidate at INFO.

    Probing opens and closes cameras, so call it once at start-up.

    Args:
        probe_picamera: Returns why the Pi camera is unusable, or ``None`` (default :func:`probe_picamera2`).
        devices: Lists candidate V4L2 device paths (default :func:`list_video_devices`).
        probe_device: Returns why a V4L2 device is unusable, or ``None`` (default :func:`probe_v4l2`).
        quiet: Log at DEBUG (a probe repeated while waiting for a camera).
    """
    say = log.debug if quiet else log.info
    probe_picamera = probe_picamera or probe_picamera2
    devices = devices or list_video_devices
    probe_device = probe_device or probe_v4l2
    skipped: list[tuple[str, str]] = []

    def skip(candidate: str, reason: str) -> None:
        skipped.append((candidate, reason))
        say("auto source: skipping %s: %s", candidate, reason)

    reason = probe_picamera()
    if reason is None:
        choice = AutoChoice("picamera2", skipped)
    else:
        skip("picamera2", reason)
        found = devices()
        if not found:
            skip("V4L2 camera", "no /dev/video* camera device")
        choice = AutoChoice("demo", skipped)
        for device in found:
            reason = probe_device(device)
            if reason is None:
                choice = AutoChoice(device, skipped)
                break
            skip(device, reason)
    say("auto source: using %s", choice.spec if choice.spec != "demo" else "the built-in demo (no camera found)")
    return choice


def no_camera_fault(choice: AutoChoice) -> str:
    """Why ``auto`` found no camera, as a camera-fault key: ``permission``, ``not_installed`` or ``no_device``."""
    if any(open_fault(device) == "permission" for device in list_video_devices()):
        return "permission"
    picamera = dict(choice.skipped).get("picamera2", "")
    csi = any(tag in _node_name(node) for node in Path("/dev").glob("video*") for tag in _CSI_NODES)
    return "not_installed" if "not installed" in picamera and csi else "no_device"


class AutoCamera:
    """``auto`` when no camera was there at start and the demo must not stand in (under systemd).

    Every :meth:`open` probes again (quietly) and opens the camera found; while there is none it
    raises :class:`~edge.core.errors.SourceError` with the cause, so the reconnecting wrapper shows
    "camera lost" and keeps trying.

    Args:
        build: Makes the source for a spec (``picamera2`` or ``/dev/videoN``).
        first: The choice made at start-up (used by the first :meth:`open` instead of probing again).
    """

    live = True

    def __init__(self, build: Callable[[str], Source], first: AutoChoice | None = None) -> None:
        self._build = build
        self._first = first
        self._inner: Source | None = None
        self.name = "auto camera"

    def open(self) -> None:
        """Probe and open the camera found.

        Raises:
            SourceError: No camera (``fault`` says why).
        """
        self.close()
        choice, self._first = self._first or describe_auto_choice(quiet=True), None
        if choice.spec == "demo":
            reasons = "; ".join(f"{candidate}: {reason}" for candidate, reason in choice.skipped)
            raise SourceError(
                f"no camera found ({reasons}); plug one in and it is used without a restart, "
                'or set camera.source = "demo" to show the demo instead',
                fault=no_camera_fault(choice),
            )
        inner = self._build(choice.spec)
        inner.open()
        self._inner = inner
        log.info("auto source: camera %s found", inner.name)

    def read(self) -> Frame | None:
        """The camera's next frame.

        Raises:
            CameraLostError: No camera open, or the camera failed.
        """
        if self._inner is None:
            raise CameraLostError("no camera open", fault="no_device")
        return self._inner.read()

    def close(self) -> None:
        """Close the camera; safe to call twice."""
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()
