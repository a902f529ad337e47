"""A broken personalised model or state file never stops the kiosk; model files respect the umask; no .tmp stays."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.config.loader import build_config
from edge.personalize import registry
from edge.pipeline.assembly import build_classifier
from edge.system.files import atomic_write, remove_stale_temps
from tests.cli.test_run_e2e import run_cli


def activate(state: Path, model: Path) -> None:
    """Make ``model`` the active one without validating it (as if it broke after activation)."""
    registry.use_model(state, model, validate=False)


def truncated(model_path: Path, folder: Path) -> Path:
    bad = folder / "emotion_personal_1.tflite"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(model_path.read_bytes()[:4000])
    return bad


@pytest.mark.parametrize("kind", ["truncated", "not_tflite", "wrong_shape"])
def test_corrupt_personalised_model_starts_the_shipped_one_with_one_warning(tmp_path, model_path, caplog, kind):
    state = tmp_path / "state"
    models = registry.models_dir(state)
    if kind == "truncated":
        bad = truncated(model_path, models)
    elif kind == "not_tflite":
        bad = models / "emotion_personal_2.tflite"
        models.mkdir(parents=True)
        bad.write_bytes(b"\0" * 100)
    else:
        bad = models / "emotion_personal_3.tflite"
        models.mkdir(parents=True)
        bad.write_bytes(
            (Path(__file__).resolve().parents[2] / "models" / "face_detection_short_range.tflite").read_bytes()
        )
    activate(state, bad)
    config = build_config({"model": {"delegate": "cpu"}})
    with caplog.at_level(logging.WARNING):
        classifier = build_classifier(config, state)
    assert classifier.info.path.name == "emotion_int8.tflite"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "personalised model" in warnings[0].getMessage()


def test_corrupt_personalised_model_never_exits_2(tmp_path, model_path):
    state = tmp_path / "state"
    activate(state, truncated(model_path, registry.models_dir(state)))
    result = run_cli(
        ["run", "--source", "demo", "--display", "none", "--delegate", "cpu", "--max-frames", "2"],
        tmp_path,
        {"EMOJIFY_STATE_DIR": str(state)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("WARNING") == 1 and "running the shipped model instead" in result.stderr
    check = run_cli(["check-config"], tmp_path, {"EMOJIFY_STATE_DIR": str(state)})
    assert check.returncode == 0 and "the shipped model runs instead" in check.stderr


def test_bad_metadata_index_in_model_list_is_a_clear_message(tmp_path, model_path):
    from edge.model_format import schema
    from edge.model_format.metadata import add_metadata

    state = tmp_path / "state"
    model = schema.parse(add_metadata(model_path.read_bytes(), {"personalization": '{"created": "x"}'}))
    model.metadata[-1].buffer = 10_000  # points past the buffers
    path = registry.models_dir(state) / "emotion_personal_9.tflite"
    path.parent.mkdir(parents=True)
    path.write_bytes(schema.finish(model))
    from edge.core.errors import ModelError
    from edge.model_format.metadata import read_metadata

    with pytest.raises(ModelError, match="metadata"):
        read_metadata(path.read_bytes())
    result = run_cli(["model", "list", "--state-dir", str(state)], tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "emotion_personal_9.tflite" in result.stdout
    personalize = run_cli(
        ["personalize", "--model", str(path), "--data", str(tmp_path / "nothing"), "--state-dir", str(state)], tmp_path
    )
    assert personalize.returncode == 2 and "Traceback" not in personalize.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_state_file_symlinked_to_dev_zero_or_a_fifo_is_read_with_a_limit(tmp_path, caplog, target):
    state = tmp_path / "state"
    state.mkdir()
    if target == "fifo":
        os.mkfifo(registry.state_file(state))
    else:
        registry.state_file(state).symlink_to(target)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert registry.active_model_path(state) is None
    assert time.monotonic() - started < 1.0
    assert "using the shipped model" in caplog.text


def test_killed_writes_leave_no_tmp_forever(tmp_path):
    stale = tmp_path / ".emotion_personal_1.tflite.abcd1234.tmp"
    fresh = tmp_path / ".active_model.json.zzzz9999.tmp"
    other = tmp_path / "notes.tmp"
    for path in (stale, fresh, other):
        path.write_bytes(b"half a model")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    atomic_write(tmp_path / "active_model.json", b"{}")
    assert not stale.exists()  # left by a killed write long ago: gone
    assert fresh.exists()  # another writer may be busy with it right now
    assert other.exists()  # not ours
    assert remove_stale_temps(tmp_path, older_than=-1) == 1 and not fresh.exists()


def test_personalised_models_and_reports_respect_the_umask(tmp_path):
    script = (
        "import os, sys; os.umask(0o077); from pathlib import Path; from edge.system.files import atomic_write; "
        "atomic_write(Path(sys.argv[1]) / 'model.tflite', b'x'); os.umask(0o027); "
        "atomic_write(Path(sys.argv[1]) / 'report.json', b'{}')"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    assert (tmp_path / "model.tflite").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o640
