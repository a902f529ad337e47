#!/usr/bin/env python3
"""Measure the face-crop framing that makes live crops look like FER2013's.

Runs the app's face detector on FER2013 images (upscaled, since the faces fill the frame) and
prints the median margin and vertical shift that map a detector box back onto FER2013's own
crop. The numbers go into ``edge/preprocess.py`` (CROP_MARGIN, CROP_SHIFT_UP).

Example:
    python scripts/calibrate_crop.py --data ../shared/data/fer2013/fer2013_train_publictest.csv.gz
"""

from __future__ import annotations

import argparse
from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from edge.data.datasets import iter_samples
from edge.faces.base import PHOTO_SETTINGS
from edge.faces.registry import DETECTORS, make_detector


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--usage", default="Training")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--detector", default=PHOTO_SETTINGS.name, choices=tuple(DETECTORS))
    args = p.parse_args(argv)
    detector = make_detector(
        args.detector, PHOTO_SETTINGS.min_size, PHOTO_SETTINGS.threshold, zoom=False
    )  # boxes of the whole-frame pass
    pad, scale = 48, 4  # put the 48x48 face in a larger frame so the detector sees context
    margins, shifts, offsets, rolls = [], [], [], []
    for sample in islice(iter_samples(args.data, args.usage), args.n):
        big = cv2.resize(sample.image, (48 * scale, 48 * scale), interpolation=cv2.INTER_LINEAR)
        frame = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        faces = detector.detect(frame)
        if not faces:
            continue
        f = faces[0]
        side = max(f.w, f.h)
        crop = 48 * scale
        margins.append((crop / side - 1.0) / 2.0)
        shifts.append((f.y + f.h / 2 - (pad + crop / 2)) / side)
        offsets.append((f.x + f.w / 2 - (pad + crop / 2)) / side)
        if f.eyes is not None:
            (lx, ly), (rx, ry) = f.eyes
            rolls.append(np.degrees(np.arctan2(ry - ly, rx - lx)))
    found = len(margins)
    print(f"faces found in {found} of {args.n} images")
    if found:
        print(
            f"CROP_MARGIN   = {np.median(margins):.3f}  (IQR {np.percentile(margins, 25):.3f}..{np.percentile(margins, 75):.3f})"
        )
        print(
            f"CROP_SHIFT_UP = {np.median(shifts):.3f}  (IQR {np.percentile(shifts, 25):.3f}..{np.percentile(shifts, 75):.3f})"
        )
        print(f"horizontal offset {np.median(offsets):.3f} (should be about 0)")
    if rolls:
        # FER2013's own head roll: edge/core/preprocess.py levels only the roll beyond ROLL_DEADZONE_DEG.
        low, high = np.percentile(rolls, [25, 75])
        p50, p90 = np.percentile(np.abs(rolls), [50, 90])
        print(
            f"head roll (deg) median {np.median(rolls):.1f}, IQR {low:.1f}..{high:.1f}; |roll| median {p50:.1f}, 90th pct {p90:.1f}"
        )
    return 0 if found else 1


if __name__ == "__main__":
    raise SystemExit(main())
