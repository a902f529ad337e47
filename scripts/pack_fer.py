#!/usr/bin/env python3
"""Pack a FER2013 CSV into a smaller lossless bundle, to move it to a training machine, and back.

The Kaggle CSV spells every pixel as text (~85 MB gzipped for Training + PublicTest); the
bundle stores each 48x48 face as lossless WebP (~53 MB), with its label and Usage, in one
``.npz``. ``unpack`` writes a plain FER2013 CSV again, row for row in the original order (so
FER+ votes stay aligned), and the pixels are bit-identical.

Examples:
    python scripts/pack_fer.py pack ../shared/data/fer2013/fer2013_train_publictest.csv.gz fer.npz
    python scripts/pack_fer.py unpack fer.npz fer2013.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import cv2
import numpy as np

from edge.data.datasets import DatasetError, iter_fer_csv

_WEBP_LOSSLESS = [cv2.IMWRITE_WEBP_QUALITY, 101]  # quality above 100 selects lossless WebP


def pack(source: Path, bundle: Path, usages: list[str]) -> int:
    """Write the rows of ``source`` with the given usages (in file order) to ``bundle``."""
    wanted = {u.lower() for u in usages}
    blobs: list[bytes] = []
    labels: list[int] = []
    usage_of_row: list[str] = []
    for sample in iter_fer_csv(source):
        usage = sample.usage
        if usage.lower() not in wanted:
            continue
        ok, encoded = cv2.imencode(".webp", sample.image, _WEBP_LOSSLESS)
        if not ok:
            raise DatasetError(f"{sample.origin}: could not be encoded")
        blobs.append(encoded.tobytes())
        labels.append(sample.label)
        usage_of_row.append(usage)
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    np.savez(
        bundle,
        webp=np.frombuffer(b"".join(blobs), np.uint8),
        offsets=offsets,
        labels=np.asarray(labels, np.int8),
        usage=np.asarray(usage_of_row),
    )
    return len(labels)


def unpack(bundle: Path, target: Path) -> int:
    """Write the bundle back as a plain FER2013 CSV (``emotion,pixels,Usage``)."""
    with np.load(bundle) as data:
        webp, offsets, labels, usage = data["webp"], data["offsets"], data["labels"], data["usage"]
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        for row, label in enumerate(labels):
            image = cv2.imdecode(webp[offsets[row] : offsets[row + 1]], cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise DatasetError(f"{bundle}: row {row} does not decode")
            writer.writerow([int(label), " ".join(map(str, image.ravel().tolist())), str(usage[row])])
    return len(labels)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pack", help="FER2013 CSV -> bundle")
    a.add_argument("source", type=Path)
    a.add_argument("bundle", type=Path)
    a.add_argument("--usages", nargs="+", default=["Training", "PublicTest"])
    b = sub.add_parser("unpack", help="bundle -> FER2013 CSV")
    b.add_argument("bundle", type=Path)
    b.add_argument("target", type=Path)
    args = p.parse_args(argv)
    try:
        if args.command == "pack":
            count = pack(args.source, args.bundle, args.usages)
            print(f"packed {count} faces into {args.bundle} ({args.bundle.stat().st_size / 1e6:.1f} MB)")
        else:
            count = unpack(args.bundle, args.target)
            print(f"wrote {count} rows to {args.target}")
    except (DatasetError, OSError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
