"""Training loop: checkpoints every epoch, resume, progress bar, seed, per-epoch log.

The objectives and schedule are in :mod:`edge.training.objectives`, checkpoints and cached
arrays in :mod:`edge.training.checkpoints`.

The loop is sized for a 2-core CPU (a small CNN, batches augmented on the fly) and uses a
GPU when PyTorch sees one. Two options serve a machine that is lent for a fixed time: a time
budget, which re-plans the number of epochs after every epoch so that the learning-rate
schedule ends on time, and distillation from larger teacher checkpoints or an ensemble of them.
``scripts/train.py`` is the command-line wrapper.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.preprocess import pixels_to_float
from edge.data.datasets import FaceArrays, load_arrays, load_ferplus_targets
from edge.training.augment import AugmentConfig, augment
from edge.training.checkpoints import cached_arrays, load_model, predict_logits, save_checkpoint
from edge.training.model import EmotionNet, ModelConfig, count_parameters
from edge.training.objectives import (
    class_weights,
    distillation_loss,
    ensemble_logits,
    lr_at,
    plan_epochs,
    soft_targets,
)

log = logging.getLogger(__name__)

BALANCE_MODES = ("none", "weights", "sampler")


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved in every checkpoint)."""

    data: str
    out: str = "runs/emotion"
    train_usage: str | None = "Training"
    val_usage: str | None = "PublicTest"
    val_data: str | None = None
    epochs: int = 50
    batch_size: int = 128
    lr: float = 0.05
    weight_decay: float = 5e-4
    warmup_epochs: float = 2.0
    balance: str = "weights"
    balance_power: float = 0.5
    label_smoothing: float = 0.1
    ferplus: str | None = None
    ferplus_weight: float = 0.3
    seed: int = 0
    threads: int = 0
    device: str = "auto"
    limit: int | None = None
    extra_data: list[str] = field(default_factory=list)
    extra_repeat: int = 1
    init_checkpoint: str | None = None
    time_budget: float = 0.0
    teachers: list[str] = field(default_factory=list)
    kd_weight: float = 0.5
    kd_temperature: float = 3.0
    amp: bool = False
    model: dict[str, object] = field(default_factory=lambda: ModelConfig().to_dict())


def pick_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class _Data:
    """Training arrays (with their soft targets and class counts) and the validation set."""

    pixels: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    counts: np.ndarray
    val: FaceArrays | None


def _load_data(cfg: TrainConfig) -> _Data:
    train_set = cached_arrays(Path(cfg.data), cfg.train_usage, cfg.limit)
    val_set = (
        cached_arrays(Path(cfg.val_data or cfg.data), cfg.val_usage, cfg.limit)
        if (cfg.val_usage or cfg.val_data)
        else None
    )
    ferplus = None
    if cfg.ferplus:
        ferplus = load_ferplus_targets(Path(cfg.ferplus), [cfg.train_usage or "Training"])
        if cfg.limit is not None:
            ferplus = ferplus[: cfg.limit]
        if len(ferplus) != len(train_set):
            raise ValueError(
                f"{cfg.ferplus}: {len(ferplus)} FER+ rows for {len(train_set)} training rows; the files do not match"
            )
    targets = soft_targets(train_set.labels, cfg.label_smoothing, ferplus, cfg.ferplus_weight)
    pixels, labels = train_set.pixels, train_set.labels
    for extra in cfg.extra_data:
        more = load_arrays(Path(extra))
        for _ in range(max(cfg.extra_repeat, 1)):
            pixels = np.concatenate([pixels, more.pixels])
            labels = np.concatenate([labels, more.labels])
            targets = np.concatenate([targets, soft_targets(more.labels, cfg.label_smoothing, None, 0.0)])
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    log.info(
        "training on %d images (%s), validating on %d",
        len(labels),
        dict(zip(LABELS, counts.tolist(), strict=True)),
        len(val_set) if val_set else 0,
    )
    return _Data(pixels, labels, targets, counts, val_set)


def _build_models(cfg: TrainConfig, device: torch.device) -> tuple[EmotionNet, list[EmotionNet], torch.optim.SGD]:
    """The student (optionally initialised from a checkpoint), the teachers and the optimiser."""
    model = EmotionNet(ModelConfig.from_dict(cfg.model)).to(device)
    if cfg.init_checkpoint:
        model.load_state_dict(load_model(Path(cfg.init_checkpoint), device).state_dict())
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    teachers = [
        load_model(Path(path), device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        for path in cfg.teachers
    ]
    if teachers:
        log.info("distilling from %s (weight %.2f, T=%.1f)", cfg.teachers, cfg.kd_weight, cfg.kd_temperature)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        momentum=0.9,
        nesterov=True,
    )
    return model, teachers, optimizer


def _resume(
    cfg: TrainConfig, last: Path, model: EmotionNet, optimizer: torch.optim.SGD, device: torch.device
) -> tuple[int, int, list[dict[str, object]]]:
    """``(start epoch, planned epochs, history)``: from ``last.pt`` when there is one, else a fresh start."""
    if not last.exists():
        return 0, cfg.epochs, []
    payload = torch.load(last, map_location=device, weights_only=False)
    if payload.get("train_config") != asdict(cfg):
        log.warning("%s was written by a run with other settings; resuming it with the new settings", last)
    model.load_state_dict(payload["model_state"])
    optimizer.load_state_dict(payload["optimizer_state"])
    start_epoch = int(payload["epoch"])
    history = list(payload.get("history", []))
    planned_epochs = _replan(history, start_epoch, cfg) if cfg.time_budget > 0 and history else cfg.epochs
    torch.set_rng_state(payload["rng_cpu"])
    np.random.set_state(payload["rng_numpy"])
    log.info("resumed from %s at epoch %d", last, start_epoch)
    return start_epoch, planned_epochs, history


@dataclass
class _Epoch:
    """What one epoch needs: the models, the data as tensors and the schedule."""

    cfg: TrainConfig
    model: EmotionNet
    teachers: list[EmotionNet]
    optimizer: torch.optim.SGD
    device: torch.device
    data: _Data
    weights: torch.Tensor
    targets: torch.Tensor
    sample_p: np.ndarray | None
    steps_per_epoch: int


def _epoch(run: _Epoch, epoch: int, planned_epochs: int, progress: bool) -> dict[str, object]:
    """Train one epoch; its loss, accuracy and last learning rate."""
    cfg, model, optimizer, device = run.cfg, run.model, run.optimizer, run.device
    labels, steps_per_epoch = run.data.labels, run.steps_per_epoch
    model.train()
    total_steps = planned_epochs * steps_per_epoch
    if run.sample_p is not None:
        order = np.random.choice(len(labels), size=steps_per_epoch * cfg.batch_size, p=run.sample_p)
    else:
        order = np.random.permutation(len(labels))[: steps_per_epoch * cfg.batch_size]
    bar = _progress(steps_per_epoch, f"epoch {epoch + 1}/{planned_epochs}", progress)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=cfg.amp)
    aug_cfg = AugmentConfig()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    seen = 0
    for step in range(steps_per_epoch):
        idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
        x = torch.from_numpy(pixels_to_float(run.data.pixels[idx])).unsqueeze(1).to(device, non_blocking=True)
        x = augment(x, aug_cfg).contiguous(memory_format=torch.channels_last)
        t = run.targets[idx].to(device, non_blocking=True)
        w = run.weights[idx].to(device, non_blocking=True)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(
                epoch * steps_per_epoch + step, total_steps, cfg.warmup_epochs * steps_per_epoch, cfg.lr
            )
        with autocast:
            logits = model(x).float()
            loss = (_per_sample_loss(run, x, logits, t) * w).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(idx)
        correct += (logits.argmax(1) == t.argmax(1)).sum()
        seen += len(idx)
        if bar is not None:
            bar.update(1)
            if step % 20 == 0 or step == steps_per_epoch - 1:
                bar.set_postfix(loss=f"{float(loss_sum) / seen:.3f}", acc=f"{float(correct) / seen:.3f}")
    if bar is not None:
        bar.close()
    return {
        "epoch": epoch + 1,
        "train_loss": float(loss_sum) / seen,
        "train_acc": float(correct) / seen,
        "lr": optimizer.param_groups[0]["lr"],
    }


def _per_sample_loss(run: _Epoch, x: torch.Tensor, logits: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Soft-target cross-entropy, mixed with distillation from the teachers when there are any."""
    per_sample = -(t * F.log_softmax(logits, dim=1)).sum(dim=1)
    if not run.teachers:
        return per_sample
    cfg = run.cfg
    with torch.no_grad():
        teacher_logits = ensemble_logits([teacher(x).float() for teacher in run.teachers], cfg.kd_temperature)
    kd = distillation_loss(logits, teacher_logits, cfg.kd_temperature)
    return (1 - cfg.kd_weight) * per_sample + cfg.kd_weight * kd


def _prepare(cfg: TrainConfig) -> tuple[Path, _Epoch]:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    data = _load_data(cfg)
    model, teachers, optimizer = _build_models(cfg, device)
    weights = class_weights(data.counts, cfg.balance_power)
    w_all = torch.from_numpy(weights[data.labels]) if cfg.balance == "weights" else torch.ones(len(data.labels))
    sample_p = None
    if cfg.balance == "sampler":
        p = (1.0 / np.maximum(data.counts, 1)) ** cfg.balance_power
        sample_p = p[data.labels] / p[data.labels].sum()
    steps_per_epoch = max(1, len(data.labels) // cfg.batch_size)
    run = _Epoch(
        cfg, model, teachers, optimizer, device, data, w_all, torch.from_numpy(data.targets), sample_p, steps_per_epoch
    )
    return out, run


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, object]:
    """Train (or resume) a model; returns the final epoch's metrics.

    Writes ``last.pt`` (resumable) after every epoch, ``history.jsonl`` (one line per epoch)
    and ``final.pt`` (weights only) at the end, all under ``cfg.out``.
    """
    out, run = _prepare(cfg)
    model, optimizer, device = run.model, run.optimizer, run.device
    last = out / "last.pt"
    epoch, planned_epochs, history = _resume(cfg, last, model, optimizer, device)
    metrics: dict[str, object] = {}
    while epoch < planned_epochs:
        started = time.time()
        metrics = _epoch(run, epoch, planned_epochs, progress)
        if run.data.val is not None and len(run.data.val):
            metrics.update(_val_metrics(model, run.data.val, device))
        metrics["seconds"] = time.time() - started  # training and validation: what the time budget pays for
        history.append(metrics)
        epoch += 1
        if cfg.time_budget > 0:
            planned_epochs = _replan(history, epoch, cfg)
            metrics["planned_epochs"] = planned_epochs
        _end_epoch(cfg, out, last, run, epoch, planned_epochs, metrics, history)
    save_checkpoint(
        out / "final.pt",
        model,
        {"history": history, "train_config": asdict(cfg), "parameters": count_parameters(model), "device": str(device)},
        half=True,
    )
    return metrics


def _end_epoch(
    cfg: TrainConfig,
    out: Path,
    last: Path,
    run: _Epoch,
    epoch: int,
    planned_epochs: int,
    metrics: dict[str, object],
    history: list[dict[str, object]],
) -> None:
    """Log the epoch, append it to ``history.jsonl`` and write the resumable ``last.pt``."""
    log.info(
        "epoch %d/%d: %s",
        epoch,
        planned_epochs,
        json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}),
    )
    with open(out / "history.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(metrics) + "\n")
    save_checkpoint(
        last,
        run.model,
        {
            "optimizer_state": run.optimizer.state_dict(),
            "epoch": epoch,
            "history": history,
            "train_config": asdict(cfg),
            "rng_cpu": torch.get_rng_state(),
            "rng_numpy": np.random.get_state(),
        },
    )


def _epoch_seconds(entry: dict[str, object]) -> float:
    value = entry.get("seconds", 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def _replan(history: list[dict[str, object]], done: int, cfg: TrainConfig) -> int:
    spent = sum(_epoch_seconds(h) for h in history)
    recent = [_epoch_seconds(h) for h in history[-3:]]
    return plan_epochs(done, cfg.epochs, cfg.time_budget - spent, sum(recent) / len(recent))


def _val_metrics(model: EmotionNet, val: FaceArrays, device: torch.device) -> dict[str, object]:
    pred = predict_logits(model, val.pixels, device).argmax(1)
    recall = {}
    for index, label in enumerate(LABELS):
        mask = val.labels == index
        recall[label] = float((pred[mask] == index).mean()) if mask.any() else float("nan")
    return {"val_acc": float((pred == val.labels).mean()), "val_min_recall": min(recall.values()), "val_recall": recall}


def _progress(total: int, desc: str, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the train extra
        return None
    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)
