"""Reading logs back and deciding them again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge.core.decision import Decider, DecisionConfig
from edge.core.decision_metrics import compute_metrics
from edge.core.labels import LABELS
from edge.core.types import FaceBox, FaceResult
from edge.data.replay import RUN_GAP, logged_records, read_lines, read_log, replay

#: A frame line as `emojify run` writes it today (README example).
OLD_LINE = (
    '{"ts":"2026-11-25T17:39:23.449+00:00","frame":89,"faces":[{"box":[228,63,152,152],"emotion":"happy",'
    '"confidence":0.9766,"scores":{"angry":0.0,"disgust":0.0,"fear":0.0,"happy":0.9766,"sad":0.0,'
    '"surprise":0.0156,"neutral":0.0078}}],"decision":"happy","state":"face","latency_ms":{"capture":0.4}}'
)
SUMMARY = '{"type":"summary","ts":"2026-11-25T17:40:23.449+00:00","interval_s":60.0,"frames":1800}'


def line(frame: int, faces: list[FaceResult], state: str, label: str | None, **extra) -> str:
    """A frame line with the newer keys (what the pipeline is to write), scores rounded like the log."""
    obj = {
        "ts": "2026-11-25T17:39:23.449+00:00",
        "frame": frame,
        "faces": [
            {
                "box": list(f.box.as_tuple()),
                "scores": {k: round(float(v), 4) for k, v in zip(LABELS, f.scores, strict=True)},
            }
            for f in faces
        ],
        "decision": label,
        "state": state,
        **extra,
    }
    return json.dumps(obj)


def test_an_old_log_line_reads_with_its_frame_number_as_time():
    read = read_lines([OLD_LINE, SUMMARY], fps=30)
    (f,) = read.frames
    assert (f.frame, f.state, f.label, f.primary) == (89, "face", "happy", 0)
    assert f.t == pytest.approx(89 / 30) and read.time_base == "frame/30"
    assert f.faces[0].box == FaceBox(228, 63, 152, 152)
    assert f.faces[0].scores[LABELS.index("happy")] == pytest.approx(0.9766)
    assert read.summaries == 1 and read.skipped == 0


def test_torn_and_foreign_lines_are_counted_and_skipped():
    lines = [
        OLD_LINE,
        "not json at all",
        '{"frame": "seven", "state": "face"}',
        '["a", "list"]',
        '{"frame": 90, "state": "face", "faces": [{"scores": {"happy": 1.0}}]}',  # scores incomplete
        OLD_LINE.replace('"frame":89', '"frame":91'),
        OLD_LINE[:57],  # torn by a power cut
    ]
    read = read_lines(lines, fps=30)
    assert [f.frame for f in read.frames] == [89, 91]
    assert read.skipped == 5


def test_time_comes_from_t_then_fps_then_the_wall_clock():
    a = json.loads(OLD_LINE)
    b = json.loads(OLD_LINE) | {"frame": 90, "ts": "2026-11-25T17:39:23.949+00:00"}
    wall = read_lines([json.dumps(a), json.dumps(b)])
    assert wall.time_base.startswith("ts") and wall.frames[1].t - wall.frames[0].t == pytest.approx(0.5)
    media = read_lines([json.dumps(a | {"t": 2.0}), json.dumps(b | {"t": 2.25})], fps=30)
    assert media.time_base == "t" and [f.t for f in media.frames] == [2.0, 2.25]
    del a["ts"], b["ts"]
    with pytest.raises(ValueError, match="--fps"):
        read_lines([json.dumps(a), json.dumps(b)])


def test_a_frame_number_going_back_starts_a_new_run():
    lines = [OLD_LINE.replace('"frame":89', f'"frame":{i}') for i in list(range(5)) + list(range(3))]
    read = read_lines(lines, fps=10)
    assert read.runs == 2
    assert [f.new_run for f in read.frames] == [True, False, False, False, False, True, False, False]
    assert read.frames[5].t - read.frames[4].t == pytest.approx(RUN_GAP)


def stream(seed: int = 0, n: int = 300) -> list[tuple[float, list[FaceResult]]]:
    """Two people, the nearer one changing expression, with missed detections."""
    rng = np.random.default_rng(seed)
    frames = []
    label = 3
    for i in range(n):
        if i % 40 == 0:
            label = int(rng.integers(7))
        faces = []
        for x, size, lab in ((50, 180, label), (400, 120, 6)):
            if rng.random() < 0.1:
                continue  # the detector missed this face
            v = rng.dirichlet(np.ones(7))
            v = 0.35 * v
            v[lab] += 0.65
            faces.append(FaceResult(FaceBox(x + int(rng.integers(-3, 4)), 100, size, size), v.astype(np.float32)))
        frames.append((i / 15, faces))
    return frames


def test_replaying_a_log_with_the_same_settings_reproduces_what_was_shown(tmp_path: Path):
    decider = Decider()
    lines = []
    for i, (t, faces) in enumerate(stream()):
        d = decider.update(faces, t)
        lines.append(line(i, faces, d.state, d.label, t=t, primary=decider.primary, confidence=round(d.confidence, 4)))
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = read_log(path)
    logged = [(r.state, r.label) for r in logged_records(read.frames)]
    again = [(r.state, r.label) for r in replay(read.frames, DecisionConfig())]
    assert again == logged
    assert len({lab for _, lab in logged}) > 2  # the stream does change what is shown


def test_logged_person_ids_make_the_metrics_follow_one_person():
    eye = np.eye(7, dtype=np.float32)
    a = FaceResult(FaceBox(0, 0, 200, 200), eye[LABELS.index("happy")])
    b = FaceResult(FaceBox(300, 0, 100, 100), eye[LABELS.index("sad")])
    lines = []
    for i in range(20):
        faces, person = ([a, b], 1) if i < 10 else ([b, a], 2)  # b came closer at frame 10
        obj = json.loads(line(i, faces, "face", "happy" if i < 10 else "sad", t=i / 10, primary=0, person=person))
        for face, face_id in zip(obj["faces"], (1, 2) if i < 10 else (2, 1), strict=True):
            face["id"] = face_id
        lines.append(json.dumps(obj))
    frames = read_lines(lines).frames
    assert frames[0].ids == (1, 2) and frames[15].person == 2
    records = logged_records(frames)
    assert records[10].face_id == 2
    # the screen switched at once to b's sad: with person ids that is agreement from frame 10 on
    assert compute_metrics(records).agree == 1.0


def test_replaying_with_other_settings_changes_the_decisions_and_the_metrics():
    frames = read_lines([line(i, f, "unsure", None, t=t) for i, (t, f) in enumerate(stream(1))]).frames
    calm = compute_metrics(replay(frames, DecisionConfig(min_hold=1.5, no_face_after=1.5)))
    quick = compute_metrics(replay(frames, DecisionConfig(min_hold=0.0, switch_after=0.0, time_constant=0.05)))
    assert calm.short == 0
    assert quick.changes_per_min > calm.changes_per_min


def test_camera_lost_lines_pass_through_and_the_decider_starts_afresh_after_them():
    happy = [FaceResult(FaceBox(0, 0, 100, 100), np.eye(7, dtype=np.float32)[LABELS.index("happy")])]
    lines = [line(i, happy, "face", "happy", t=i / 10) for i in range(10)]
    lines.append(line(10, [], "camera_lost", None, t=1.0))
    lines += [line(11 + i, happy, "face", "happy", t=1.1 + i / 10) for i in range(5)]
    records = replay(read_lines(lines).frames)
    assert records[10].state == "camera_lost"
    assert records[11].state == "starting"  # a new scene: the face is confirmed again first
    assert records[-1].label == "happy"


def test_still_frames_are_decided_each_on_its_own():
    eye = np.eye(7, dtype=np.float32)
    photos = ["happy", "sad", "happy", "neutral"]
    lines = [
        line(i, [FaceResult(FaceBox(0, 0, 100, 100), eye[LABELS.index(lab)])], "unsure", None, t=0.0, still=True)
        for i, lab in enumerate(photos)
    ]
    records = replay(read_lines(lines).frames)
    assert [r.label for r in records] == photos


def test_evaluate_live_prints_the_logged_and_replayed_rows(tmp_path: Path, capsys):
    import scripts.evaluate_live as evaluate_live

    log = tmp_path / "old.jsonl"
    frames = stream(2, 150)
    log.write_text(
        "\n".join(
            [line(i, f, "face" if f else "no_face", LABELS[3] if f else None) for i, (_t, f) in enumerate(frames)]
        )
        + "\ntorn{",
        encoding="utf-8",
    )
    out = tmp_path / "m.json"
    assert evaluate_live.main([str(log), "--fps", "15", "--replay", "--set", "min_hold=0.6", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "150 frames" in text and "1 unreadable" in text and "time from frame/15" in text
    rows = [ln.split()[0] for ln in text.splitlines()[1:] if not ln.startswith("#")]
    assert rows[1:] == ["recorded", "replayed"]
    saved = json.loads(out.read_text())
    assert saved["settings"][0]["min_hold"] == 0.6 and saved["replayed"]["frames"] == 150


def test_evaluate_live_says_what_is_wrong_with_its_input(tmp_path: Path, capsys):
    import scripts.evaluate_live as evaluate_live

    assert evaluate_live.main([str(tmp_path / "missing.jsonl")]) == 2
    assert "no such log file" in capsys.readouterr().err
    log = tmp_path / "run.jsonl"
    log.write_text(OLD_LINE + "\n", encoding="utf-8")
    assert evaluate_live.main([str(log), "--replay", "--set", "speed=2"]) == 2
    assert "unknown key 'speed' in [smoothing]; valid keys: face_after" in capsys.readouterr().err
    assert evaluate_live.main([str(log), "--replay", "--set", "support_floor=0.9"]) == 2
    assert "[smoothing] support_floor (0.9) must not exceed unsure_threshold" in capsys.readouterr().err
    assert evaluate_live.main([str(log), "--replay", "--set", "min_hold"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_metrics_of_a_log_with_two_runs_pool_the_runs_instead_of_joining_them():
    from edge.core.decision_metrics import pooled_metrics
    from edge.data.replay import by_run

    happy = [FaceResult(FaceBox(0, 0, 100, 100), np.eye(7, dtype=np.float32)[LABELS.index("happy")])]
    lines = [line(i % 20, happy, "face", "happy") for i in range(40)]  # the app restarted at frame 20
    read = read_lines(lines, fps=10)
    runs = by_run(read.frames, logged_records(read.frames))
    assert [len(r) for r in runs] == [20, 20]
    m = pooled_metrics(runs)
    assert m.seconds == pytest.approx(4.0)  # not 4 s plus the gap laid between the runs
    assert m.changes_per_min == 0.0
