"""Training-loop pieces: time-budget planning, the distillation loss, budgeted and distilled runs."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import synthetic_face, write_fer_csv

torch = pytest.importorskip("torch", reason="training needs the train extra (PyTorch)")

from edge.training.objectives import distillation_loss, ensemble_logits, plan_epochs  # noqa: E402


@pytest.mark.parametrize(
    ("done", "max_epochs", "left", "per_epoch", "expected"),
    [
        (2, 100, 100.0, 10.0, 12),  # ten more fit
        (2, 10, 1000.0, 10.0, 10),  # capped by --epochs
        (5, 100, 9.9, 10.0, 5),  # not even one more: stop now
        (5, 100, -30.0, 10.0, 5),  # over budget: stop now, never go backwards
        (0, 50, 25.0, 2.5, 10),
    ],
)
def test_plan_epochs(done, max_epochs, left, per_epoch, expected):
    assert plan_epochs(done, max_epochs, left, per_epoch) == expected


def test_distillation_loss_matches_hand_computed_kl():
    student = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    teacher = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    t = 2.0
    loss = distillation_loss(student, teacher, t)
    # row 0: identical distributions -> 0; row 1: teacher uniform, student softmax([1, 0])
    p1 = math.exp(1) / (math.exp(1) + 1)
    kl = 0.5 * math.log(0.5 / p1) + 0.5 * math.log(0.5 / (1 - p1))
    assert loss[0].item() == pytest.approx(0.0, abs=1e-7)
    assert loss[1].item() == pytest.approx(kl * t * t, rel=1e-5)


def test_ensemble_logits_soften_to_the_mean_distribution():
    a = torch.tensor([[2.0, 0.0, -1.0]])
    b = torch.tensor([[0.0, 1.0, 0.5]])
    t = 3.0
    mean = (torch.softmax(a / t, 1) + torch.softmax(b / t, 1)) / 2
    assert torch.allclose(torch.softmax(ensemble_logits([a, b], t) / t, 1), mean, atol=1e-6)
    assert ensemble_logits([a], t) is a


def _train_args(data, run, *extra):
    return [
        "--data",
        str(data),
        "--out",
        str(run),
        "--batch-size",
        "32",
        "--widths",
        "8",
        "16",
        "--repeats",
        "1",
        "1",
        "--threads",
        "2",
        "--no-progress",
        *extra,
    ]


@pytest.mark.slow
def test_time_budget_and_distillation_runs(tmp_path, monkeypatch):
    import scripts.train as train

    monkeypatch.setenv("HOME", str(tmp_path))
    rows = [(c, synthetic_face(c, seed=i), "Training") for i in range(30) for c in range(7)]
    rows += [(c, synthetic_face(c, seed=500 + i), "PublicTest") for i in range(5) for c in range(7)]
    data = write_fer_csv(tmp_path / "synthetic.csv", rows)

    # A budget far too small for the 50 epochs allowed: the run re-plans and stops early, on time.
    teacher_run = tmp_path / "teacher"
    assert train.main(_train_args(data, teacher_run, "--epochs", "50", "--time-budget", "0.001")) == 0
    history = [json.loads(line) for line in (teacher_run / "history.jsonl").read_text().splitlines()]
    assert len(history) == 1 and history[0]["planned_epochs"] == 1
    assert (teacher_run / "final.pt").exists()

    # Distillation from an ensemble (here the same checkpoint twice) trains a student with another architecture.
    student_run = tmp_path / "student"
    teacher = str(teacher_run / "final.pt")
    args = _train_args(data, student_run, "--epochs", "3", "--teacher", teacher, "--teacher", teacher)
    args[args.index("--widths") + 1 : args.index("--widths") + 3] = ["4", "8"]
    assert train.main(args) == 0
    history = [json.loads(line) for line in (student_run / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(math.isfinite(h["train_loss"]) for h in history)
    payload = torch.load(student_run / "final.pt", weights_only=False)
    assert payload["train_config"]["teachers"] == [teacher, teacher]
    assert payload["model_config"]["widths"] == [4, 8]
