"""What ``auto`` means: the Pi camera, else the first V4L2 camera that gives a frame, else the demo.

The choice and the reason every earlier candidate was skipped are logged at INFO. Probing opens
and closes cameras, so it runs once, at start-up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edge.core.errors import SourceError
from edge.sources.base import CameraLostError
from edge.sources.opencv_source import OpenCVCameraSource

log = logging.getLogger(__name__)

#: V4L2 nodes on a Raspberry Pi that are codecs or ISP stages, not cameras: never probed.
_NOT_CAMERAS = ("bcm2835-codec", "bcm2835-isp", "rpi-hevc", "pispbe", "rp1-cfe", "unicam", "hevc")
#: Seconds ``auto`` waits for the first frame of a V4L2 camera.
PROBE_TIMEOUT = 2.0


def _device_number(path: str) -> int:
    match = re.search(r"(\d+)$", path)
    return int(match.group(1)) if match else 1 << 30


def list_video_devices() -> list[str]:
    """``/dev/video*`` nodes that may be cameras, in number order (Pi codec/ISP nodes left out)."""
    devices = []
    for node in sorted(Path("/dev").glob("video*"), key=lambda p: _device_number(str(p))):
        name_file = Path("/sys/class/video4linux") / node.name / "name"
        try:
            name = name_file.read_text().strip().lower()
        except OSError:
            name = ""
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
) -> AutoChoice:
    """Work out what ``auto`` would use, logging the choice and each skipped candidate at INFO.

    Probing opens and closes cameras, so call it once at start-up.

    Args:
        probe_picamera: Returns why the Pi camera is unusable, or ``None`` (default :func:`probe_picamera2`).
        devices: Lists candidate V4L2 device paths (default :func:`list_video_devices`).
        probe_device: Returns why a V4L2 device is unusable, or ``None`` (default :func:`probe_v4l2`).
    """
    probe_picamera = probe_picamera or probe_picamera2
    devices = devices or list_video_devices
    probe_device = probe_device or probe_v4l2
    skipped: list[tuple[str, str]] = []

    def skip(candidate: str, reason: str) -> None:
        skipped.append((candidate, reason))
        log.info("auto source: skipping %s: %s", candidate, reason)

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
    log.info("auto source: using %s", choice.spec if choice.spec != "demo" else "the built-in demo (no camera found)")
    return choice
