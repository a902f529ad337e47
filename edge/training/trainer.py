"""Training loop: checkpoints every epoch, resume, progress bar, seed, per-epoch log.

The loop is sized for a 2-core CPU (a small CNN, batches augmented on the fly) and uses a
GPU when PyTorch sees one. Two options serve a machine that is lent for a fixed time: a time
budget, which re-plans the number of epochs after every epoch so that the learning-rate
schedule ends on time, and distillation from larger teacher checkpoints or an ensemble of them.
``scripts/train.py`` is the command-line wrapper.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from edge.core.labels import LABELS, NUM_CLASSES
from edge.core.preprocess import pixels_to_float
from edge.datasets import FaceArrays, load_arrays, load_ferplus_targets
from edge.training.augment import AugmentConfig, augment
from edge.training.model import EmotionNet, ModelConfig, count_parameters

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


def cached_arrays(path: Path, usage: str | None, limit: int | None = None) -> FaceArrays:
    """Load a data set, caching the decoded arrays under ``~/.cache/emojify``.

    The cache key includes the file's path, size and modification time, so an edited file is
    read again.
    """
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{usage}|{limit}".encode()).hexdigest()[:16]
    cache = Path.home() / ".cache" / "emojify" / f"arrays-{key}.npz"
    if path.is_file() and cache.exists():
        with np.load(cache) as data:
            return FaceArrays(data["pixels"], data["labels"], [])
    arrays = load_arrays(path, usage, limit=limit)
    if path.is_file():
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, pixels=arrays.pixels, labels=arrays.labels)
    return arrays


def class_weights(counts: np.ndarray, power: float) -> np.ndarray:
    """Inverse-frequency weights ``(mean / count) ** power``, normalised to mean 1 over samples."""
    counts = np.maximum(counts.astype(np.float64), 1.0)
    weights = (counts.mean() / counts) ** power
    weights *= counts.sum() / float((weights * counts).sum())
    return weights.astype(np.float32)


def soft_targets(labels: np.ndarray, smoothing: float, ferplus: np.ndarray | None, ferplus_weight: float) -> np.ndarray:
    """Training targets: one-hot mixed with FER+ votes where present, else label smoothing."""
    onehot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    uniform = np.full_like(onehot, 1.0 / NUM_CLASSES)
    targets = (1 - smoothing) * onehot + smoothing * uniform
    if ferplus is not None and ferplus_weight > 0:
        has_votes = ferplus.sum(axis=1, keepdims=True) > 0
        mixed = (1 - ferplus_weight) * onehot + ferplus_weight * ferplus
        targets = np.where(has_votes, mixed, targets)
    return targets.astype(np.float32)


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per-sample KL divergence of the softened student from the softened teacher, times T².

    Args:
        student: ``(N, C)`` student logits.
        teacher: ``(N, C)`` teacher logits.
        temperature: Softening temperature ``T``.

    Returns:
        ``(N,)`` losses (Hinton et al.'s scaling, so gradients keep their size as T changes).
    """
    log_p_student = F.log_softmax(student / temperature, dim=1)
    p_teacher = F.softmax(teacher / temperature, dim=1)
    kl = (p_teacher * (torch.log(p_teacher.clamp_min(1e-12)) - log_p_student)).sum(dim=1)
    return kl * temperature**2


def plan_epochs(done: int, max_epochs: int, seconds_left: float, seconds_per_epoch: float) -> int:
    """Number of epochs that fit a time budget: the ones done plus those the time left allows.

    Args:
        done: Epochs finished.
        max_epochs: Upper bound (the ``epochs`` setting).
        seconds_left: Budget not yet spent.
        seconds_per_epoch: Recent time per epoch.

    Returns:
        A total between ``done`` (no time left) and ``max_epochs``.
    """
    more = int(seconds_left // max(seconds_per_epoch, 1e-6))
    return max(done, min(max_epochs, done + more))


def ensemble_logits(logits: list[torch.Tensor], temperature: float) -> torch.Tensor:
    """Logits whose softened distribution is the mean of the members' softened distributions.

    ``softmax(ensemble_logits(z, T) / T) == mean_i softmax(z_i / T)``, so an ensemble of
    teachers plugs into :func:`distillation_loss` like a single one.
    """
    if len(logits) == 1:
        return logits[0]
    mean = torch.stack([F.softmax(z / temperature, dim=1) for z in logits]).mean(dim=0)
    return temperature * torch.log(mean.clamp_min(1e-12))


def lr_at(step: float, total: float, warmup: float, base: float) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return base * (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1.0)
    return base * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


@torch.no_grad()
def predict_logits(model: EmotionNet, pixels: np.ndarray, device: torch.device, batch: int = 512) -> np.ndarray:
    """Float logits for ``(N, 48, 48)`` uint8 pixels through the shared input scaling."""
    model.eval()
    out = []
    for start in range(0, len(pixels), batch):
        x = torch.from_numpy(pixels_to_float(pixels[start : start + batch]))[:, None].to(device)
        out.append(model(x).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, NUM_CLASSES), np.float32)


def save_checkpoint(path: Path, model: EmotionNet, extra: dict[str, object], half: bool = False) -> None:
    """Write a checkpoint atomically (temp file, then rename)."""
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in model.state_dict().items()}
    payload = {"model_state": state, "model_config": model.config.to_dict(), "labels": list(LABELS), **extra}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_model(path: Path, device: torch.device | str = "cpu") -> EmotionNet:
    """Load an :class:`EmotionNet` from a checkpoint written by :func:`save_checkpoint`.

    Raises:
        ValueError: The checkpoint was trained with another label order.
    """
    payload = torch.load(path, map_location=device, weights_only=False)
    if tuple(payload.get("labels", LABELS)) != LABELS:
        raise ValueError(f"{path}: trained with labels {payload['labels']}, expected {list(LABELS)}")
    model = EmotionNet(ModelConfig.from_dict(payload["model_config"]))
    model.load_state_dict({k: v.float() for k, v in payload["model_state"].items()})
    return model.to(device).eval()


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, object]:
    """Train (or resume) a model; returns the final epoch's metrics.

    Writes ``last.pt`` (resumable) after every epoch, ``history.jsonl`` (one line per epoch)
    and ``final.pt`` (weights only) at the end, all under ``cfg.out``.
    """
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)

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
    weights = class_weights(counts, cfg.balance_power)
    log.info(
        "training on %d images (%s), validating on %d",
        len(labels),
        dict(zip(LABELS, counts.tolist(), strict=True)),
        len(val_set) if val_set else 0,
    )

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
    history: list[dict[str, object]] = []
    start_epoch = 0
    planned_epochs = cfg.epochs
    last = out / "last.pt"
    if last.exists():
        payload = torch.load(last, map_location=device, weights_only=False)
        if payload.get("train_config") != asdict(cfg):
            log.warning("%s was written by a run with other settings; resuming it with the new settings", last)
        model.load_state_dict(payload["model_state"])
        optimizer.load_state_dict(payload["optimizer_state"])
        start_epoch = int(payload["epoch"])
        history = list(payload.get("history", []))
        if cfg.time_budget > 0 and history:
            planned_epochs = _replan(history, start_epoch, cfg)
        torch.set_rng_state(payload["rng_cpu"])
        np.random.set_state(payload["rng_numpy"])
        log.info("resumed from %s at epoch %d", last, start_epoch)

    x_all = pixels
    t_all = torch.from_numpy(targets)
    w_all = torch.from_numpy(weights[labels]) if cfg.balance == "weights" else torch.ones(len(labels))
    sample_p = None
    if cfg.balance == "sampler":
        p = (1.0 / np.maximum(counts, 1)) ** cfg.balance_power
        sample_p = p[labels] / p[labels].sum()
    steps_per_epoch = max(1, len(labels) // cfg.batch_size)
    aug_cfg = AugmentConfig()
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=cfg.amp)
    metrics: dict[str, object] = {}

    epoch = start_epoch
    while epoch < planned_epochs:
        model.train()
        started = time.time()
        total_steps = planned_epochs * steps_per_epoch
        if sample_p is not None:
            order = np.random.choice(len(labels), size=steps_per_epoch * cfg.batch_size, p=sample_p)
        else:
            order = np.random.permutation(len(labels))[: steps_per_epoch * cfg.batch_size]
        bar = _progress(steps_per_epoch, f"epoch {epoch + 1}/{planned_epochs}", progress)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device)
        seen = 0
        for step in range(steps_per_epoch):
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x = torch.from_numpy(pixels_to_float(x_all[idx])).unsqueeze(1).to(device, non_blocking=True)
            x = augment(x, aug_cfg).contiguous(memory_format=torch.channels_last)
            t = t_all[idx].to(device, non_blocking=True)
            w = w_all[idx].to(device, non_blocking=True)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(
                    epoch * steps_per_epoch + step, total_steps, cfg.warmup_epochs * steps_per_epoch, cfg.lr
                )
            with autocast:
                logits = model(x).float()
                per_sample = -(t * F.log_softmax(logits, dim=1)).sum(dim=1)
                if teachers:
                    with torch.no_grad():
                        teacher_logits = ensemble_logits(
                            [teacher(x).float() for teacher in teachers], cfg.kd_temperature
                        )
                    kd = distillation_loss(logits, teacher_logits, cfg.kd_temperature)
                    per_sample = (1 - cfg.kd_weight) * per_sample + cfg.kd_weight * kd
                loss = (per_sample * w).mean()
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
        metrics = {
            "epoch": epoch + 1,
            "train_loss": float(loss_sum) / seen,
            "train_acc": float(correct) / seen,
            "lr": optimizer.param_groups[0]["lr"],
        }
        if val_set is not None and len(val_set):
            metrics.update(_val_metrics(model, val_set, device))
        metrics["seconds"] = time.time() - started  # training and validation: what the time budget pays for
        history.append(metrics)
        epoch += 1
        if cfg.time_budget > 0:
            planned_epochs = _replan(history, epoch, cfg)
            metrics["planned_epochs"] = planned_epochs
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
            model,
            {
                "optimizer_state": optimizer.state_dict(),
                "epoch": epoch,
                "history": history,
                "train_config": asdict(cfg),
                "rng_cpu": torch.get_rng_state(),
                "rng_numpy": np.random.get_state(),
            },
        )
    save_checkpoint(
        out / "final.pt",
        model,
        {"history": history, "train_config": asdict(cfg), "parameters": count_parameters(model), "device": str(device)},
        half=True,
    )
    return metrics


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
