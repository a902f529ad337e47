#!/usr/bin/env python3
"""Train the expression model (thin wrapper around :mod:`edge.training.trainer`).

Examples:
    python scripts/train.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz \\
        --ferplus ../shared/data/fer2013/ferplus_train_publictest.csv --epochs 50 --out runs/emotion
    python scripts/train.py ... --out runs/emotion   # again: resumes from runs/emotion/last.pt
    python scripts/train.py ... --epochs 400 --time-budget 3600   # as many epochs as fit an hour
    python scripts/train.py ... --teacher runs/big/final.pt --out runs/student   # distillation
"""

from __future__ import annotations

import argparse
import logging

from edge.paths import FLOAT_CHECKPOINT
from edge.training.trainer import BALANCE_MODES, TrainConfig, train


def main(argv: list[str] | None = None) -> int:
    defaults = TrainConfig(data="")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="FER2013 CSV (.csv/.csv.gz) or image folder")
    p.add_argument("--out", default=defaults.out, help="run folder (checkpoints, history); an existing run resumes")
    p.add_argument("--train-usage", default=defaults.train_usage, help="Usage/split to train on (default Training)")
    p.add_argument("--val-usage", default=defaults.val_usage, help="Usage/split to validate on (default PublicTest)")
    p.add_argument("--val-data", help="validation data set when it is not in --data")
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    p.add_argument("--balance", choices=BALANCE_MODES, default=defaults.balance, help="class imbalance handling")
    p.add_argument("--balance-power", type=float, default=defaults.balance_power)
    p.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing)
    p.add_argument("--ferplus", help="FER+ vote CSV aligned with --data, mixed into the targets")
    p.add_argument("--ferplus-weight", type=float, default=defaults.ferplus_weight)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--threads", type=int, default=defaults.threads, help="CPU threads (0: PyTorch default)")
    p.add_argument("--device", default=defaults.device, help="auto, cpu or cuda")
    p.add_argument("--limit", type=int, help="use only the first N images of each split (quick runs)")
    p.add_argument("--widths", type=int, nargs="+", help="channels per stage")
    p.add_argument("--repeats", type=int, nargs="+", help="conv blocks per stage")
    p.add_argument(
        "--finetune", action="append", default=[], metavar="DIR", help="add your captured faces (repeatable)"
    )
    p.add_argument("--finetune-repeat", type=int, default=10, help="how often each captured face is repeated per epoch")
    p.add_argument("--init", help="start from this checkpoint (default with --finetune: models/emotion_float.pt)")
    p.add_argument(
        "--time-budget",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="fit the run into this many seconds: after every epoch the number of epochs (at most --epochs) "
        "is re-planned so that the learning-rate schedule ends on time",
    )
    p.add_argument(
        "--teacher",
        action="append",
        default=[],
        help="distil from this checkpoint's predictions on the augmented batches; repeat for an ensemble",
    )
    p.add_argument("--kd-weight", type=float, default=defaults.kd_weight, help="weight of the distillation loss")
    p.add_argument("--kd-temperature", type=float, default=defaults.kd_temperature)
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast (GPU runs)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    model = dict(defaults.model)
    if args.widths:
        model["widths"] = args.widths
    if args.repeats:
        model["repeats"] = args.repeats
    init = args.init
    if args.finetune and not init:
        init = str(FLOAT_CHECKPOINT)
    cfg = TrainConfig(
        data=args.data,
        out=args.out,
        train_usage=args.train_usage or None,
        val_usage=args.val_usage or None,
        val_data=args.val_data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        balance=args.balance,
        balance_power=args.balance_power,
        label_smoothing=args.label_smoothing,
        ferplus=args.ferplus,
        ferplus_weight=args.ferplus_weight,
        seed=args.seed,
        threads=args.threads,
        device=args.device,
        limit=args.limit,
        extra_data=args.finetune,
        extra_repeat=args.finetune_repeat,
        init_checkpoint=init,
        time_budget=args.time_budget,
        teachers=args.teacher,
        kd_weight=args.kd_weight,
        kd_temperature=args.kd_temperature,
        amp=args.amp,
        model=model,
    )
    metrics = train(cfg, progress=not args.no_progress)
    print({k: v for k, v in metrics.items() if k != "val_recall"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
