"""OpenCV's own warnings are quieted with the API of the OpenCV installed (4.11 on a Bookworm Pi)."""

from __future__ import annotations

from types import SimpleNamespace

import cv2

from edge.sources.opencv_source import OPENCV_LOG_ERROR, quiet_opencv_log


class _Recorder:
    def __init__(self) -> None:
        self.levels: list[int] = []

    def setLogLevel(self, level: int) -> None:  # OpenCV's name
        self.levels.append(level)


def test_new_api_cv2_utils_logging() -> None:
    api = _Recorder()
    api.LOG_LEVEL_ERROR = 2  # type: ignore[attr-defined]
    quiet_opencv_log(SimpleNamespace(utils=SimpleNamespace(logging=api)))
    assert api.levels == [2]


def test_old_api_cv2_set_log_level_as_in_opencv_4_11() -> None:
    old = _Recorder()
    old.utils = SimpleNamespace()  # type: ignore[attr-defined]  # 4.11: no cv2.utils.logging
    quiet_opencv_log(old)
    assert old.levels == [OPENCV_LOG_ERROR]


def test_neither_api_is_not_an_error() -> None:
    quiet_opencv_log(SimpleNamespace())


def test_the_installed_opencv_ends_at_errors_only() -> None:
    quiet_opencv_log(cv2)
    api = getattr(getattr(cv2, "utils", None), "logging", None)
    level = api.getLogLevel() if api is not None else cv2.getLogLevel()
    assert level == OPENCV_LOG_ERROR
