#!/usr/bin/env bash
# Train candidate expression models side by side on one lent GPU, within a fixed time.
#
# This is how the shipped model was trained (models/MODEL_CARD.md). A small CNN leaves most of a
# data-centre GPU idle, so several runs share it, each fitting its epochs into BUDGET seconds
# (scripts/train.py --time-budget). Candidates are then exported and compared on PublicTest on
# any machine (scripts/export.py, scripts/evaluate.py).
#
# Usage: scripts/gpu_train.sh PHASE BUNDLE FERPLUS_CSV OUT_DIR [BUDGET_SECONDS] [TEACHER_DIR]
#   PHASE scratch: four lanes from scratch: the 1.12 M model, the 1.17 M model (two seeds), and a
#                  4.7 M teacher followed by a student distilled from it.
#   PHASE distill: fine-tune the best two scratch students with distillation from the ensemble of
#                  TEACHER_DIR/*.pt (checkpoints of the scratch lanes), starting from
#                  TEACHER_DIR/init-*.pt.
#   BUNDLE: FER2013 rows packed by scripts/pack_fer.py (the CSV is too big to ship); without
#           PublicTest rows the runs skip per-epoch validation.
#   EXTRA="--limit 500" scripts/gpu_train.sh ...   adds options to every run (quick local checks)
set -u
phase=$1 bundle=$2 ferplus=$3 out=$4 budget=${5:-420} teachers=${6:-}
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
work=$(mktemp -d)
"$py" "$here/scripts/pack_fer.py" unpack "$bundle" "$work/fer2013.csv" || exit 2
# Parse the CSV once, so the parallel runs read the array cache instead of racing to write it.
"$py" - "$work/fer2013.csv" "$here" <<'PY' || exit 2
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from edge.datasets import DatasetError
from edge.training.checkpoints import cached_arrays
for usage in ("Training", "PublicTest"):
    try:
        print(usage, cached_arrays(Path(sys.argv[1]), usage).pixels.shape)
    except DatasetError:
        print(usage, "absent: no per-epoch validation")
        Path(sys.argv[1] + ".noval").touch()
PY
validation=()
[ -e "$work/fer2013.csv.noval" ] && validation=(--val-usage "")

student_b=(--widths 32 64 128 256 --repeats 2 2 2 2)
run() {  # run NAME BUDGET [train.py options...]
    local name=$1 seconds=$2
    shift 2
    # shellcheck disable=SC2086  # EXTRA is a list of options
    timeout $((seconds + 60)) "$py" "$here/scripts/train.py" --data "$work/fer2013.csv" --ferplus "$ferplus" \
        --epochs 300 --threads 2 --no-progress --out "$out/$name" --time-budget "$seconds" "${validation[@]}" \
        ${EXTRA:-} "$@" >"$out/$name.log" 2>&1
    echo "$name: exit $? after $SECONDS s; $(tail -n 1 "$out/$name/history.jsonl" 2>/dev/null | cut -c 1-200)"
}
case $phase in
scratch)
    run a-16-48-128-256 "$budget" --widths 16 48 128 256 --repeats 1 2 2 2 &
    run b-32-64-128-256 "$budget" "${student_b[@]}" &
    run b-32-64-128-256-seed1 "$budget" "${student_b[@]}" --seed 1 &
    (
        run teacher-64-128-256-512 $((budget * 45 / 100)) --widths 64 128 256 512 --repeats 2 2 2 2 --amp &&
            run kd-b-32-64-128-256 $((budget * 55 / 100 - 20)) "${student_b[@]}" --kd-weight 0.7 \
                --kd-temperature 4 --teacher "$out/teacher-64-128-256-512/final.pt"
    ) &
    ;;
distill)
    ensemble=()
    for t in "$teachers"/*.pt; do
        case $t in */init-*) ;; *) ensemble+=(--teacher "$t") ;; esac
    done
    for init in "$teachers"/init-*.pt; do
        name=$(basename "$init" .pt)
        run "distill-${name#init-}" "$budget" "${student_b[@]}" --init "$init" --lr 0.01 --kd-weight 0.7 \
            --kd-temperature 4 "${ensemble[@]}" &
    done
    ;;
*)
    echo "unknown phase $phase (scratch or distill)" >&2
    exit 2
    ;;
esac
wait
rm -rf "$work"
