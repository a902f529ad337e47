#!/usr/bin/env bash
# Train candidate expression models side by side on one lent GPU, within a fixed time.
#
# This is how the shipped model was trained (models/MODEL_CARD.md). A small CNN leaves most of a
# data-centre GPU idle, so several runs share it, each fitting its epochs into BUDGET seconds
# (scripts/train.py --time-budget). The last lane trains a large teacher first, then a student
# distilled from it. Candidates are then exported and compared on PublicTest on any machine.
#
# Usage: scripts/gpu_train.sh BUNDLE FERPLUS_CSV OUT_DIR [BUDGET_SECONDS]
#   BUNDLE: FER2013 Training + PublicTest packed by scripts/pack_fer.py (the CSV is too big to ship)
#   EXTRA="--limit 500" scripts/gpu_train.sh ...   adds options to every run (quick local checks)
set -u
bundle=$1 ferplus=$2 out=$3 budget=${4:-420}
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
work=$(mktemp -d)
"$py" "$here/scripts/pack_fer.py" unpack "$bundle" "$work/fer2013.csv" || exit 2
# Parse the CSV once, so the parallel runs read the array cache instead of racing to write it.
"$py" - "$work/fer2013.csv" <<'PY' || exit 2
import sys
from pathlib import Path
sys.path.insert(0, ".")
from edge.training.trainer import cached_arrays
for usage in ("Training", "PublicTest"):
    print(usage, cached_arrays(Path(sys.argv[1]), usage).pixels.shape)
PY

student_b=(--widths 32 64 128 256 --repeats 2 2 2 2)
run() {  # run NAME BUDGET [train.py options...]
    local name=$1 seconds=$2
    shift 2
    # shellcheck disable=SC2086  # EXTRA is a list of options
    timeout $((seconds + 60)) "$py" "$here/scripts/train.py" --data "$work/fer2013.csv" --ferplus "$ferplus" \
        --epochs 300 --threads 2 --no-progress --out "$out/$name" --time-budget "$seconds" ${EXTRA:-} "$@" \
        >"$out/$name.log" 2>&1
    echo "$name: exit $? after $SECONDS s; $(tail -n 1 "$out/$name/history.jsonl" 2>/dev/null | cut -c 1-200)"
}
run a-16-48-128-256 "$budget" --widths 16 48 128 256 --repeats 1 2 2 2 &
run b-32-64-128-256 "$budget" "${student_b[@]}" &
run b-32-64-128-256-seed1 "$budget" "${student_b[@]}" --seed 1 &
(
    run teacher-64-128-256-512 $((budget * 45 / 100)) --widths 64 128 256 512 --repeats 2 2 2 2 --amp &&
        run kd-b-32-64-128-256 $((budget * 55 / 100 - 20)) "${student_b[@]}" --kd-weight 0.7 --kd-temperature 4 \
            --teacher "$out/teacher-64-128-256-512/final.pt"
) &
wait
rm -rf "$work"
