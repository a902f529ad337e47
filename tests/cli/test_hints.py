"""Hints name the config keys, and the journal gets no bare lines from native libraries."""

from __future__ import annotations

import logging

import pytest

from edge.core.errors import SourceError
from edge.sources.opencv_source import OpenCVCameraSource
from tests.cli.test_run_e2e import run_cli


def test_wrong_hints_font_warning_names_display_font(caplog):
    from edge.display.theme import find_emoji_font

    with caplog.at_level(logging.WARNING):
        find_emoji_font("/nonexistent/" + "f" * 5000 + ".ttf")  # never raises, whatever the name
    assert "[display] font" in caplog.text and "font_path" not in caplog.text


def test_xnnpack_line_is_kept_out_of_the_journal(tmp_path):
    args = ["run", "--source", "demo", "--display", "none", "--delegate", "cpu", "--max-frames", "2"]
    quiet = run_cli(args, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert not any(line.startswith("INFO: Created TensorFlow") for line in quiet.stderr.splitlines())
    verbose = run_cli(["-v", *args], tmp_path)
    assert any("DEBUG" in line and "XNNPACK" in line for line in verbose.stderr.splitlines())  # kept, at DEBUG


def test_opencv_warnings_on_camera_retries_are_kept_out_of_the_journal(capfd):
    for _ in range(3):  # as the reconnect loop does while a camera is away
        with pytest.raises(SourceError) as missing:
            OpenCVCameraSource("/dev/video-absent").open()
        assert missing.value.fault == "no_device"
    assert "[ WARN" not in capfd.readouterr().err
