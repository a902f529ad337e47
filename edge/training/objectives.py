"""What training minimises and when: class weights, soft targets, distillation and the schedule."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from edge.core.labels import NUM_CLASSES


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
