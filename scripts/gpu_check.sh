#!/usr/bin/env bash
# One GPU validation run: the GPU-marked tests, `rnnbench doctor -v --json`, the quick suite and
# a kernels grid on cuda in fp32 (TF32 on, then off), fp16 and bf16. About 4-5 minutes on an
# H100; every step has its own time limit, so the whole stays under 8 minutes. What it saw is
# appended to docs/gpu-validation.md (commit that file), and every log and results file is kept
# in the output folder.
#
#     scripts/gpu_check.sh [OUTPUT_FOLDER]        (default: gpu-check-<UTC time>)
#
# Run it from a checkout where `make test` has made .venv with a CUDA build of torch.
# Exit status: 0 when every step passed, 1 when some step failed (the record says which),
# 2 when there is no CUDA GPU for torch to use (nothing is run or written then).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${RNNBENCH_PYTHON:-$ROOT/.venv/bin/python}
DOC=${GPU_VALIDATION_DOC:-$ROOT/docs/gpu-validation.md}
OUT=${1:-$ROOT/gpu-check-$(date -u +%Y%m%d-%H%M%S)}

if [ ! -x "$PY" ]; then
    echo "gpu_check: $PY not found; run 'make test' first (it creates .venv)" >&2
    exit 2
fi
if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null
then
    echo "gpu_check: torch sees no CUDA GPU here (rnnbench doctor says why)" >&2
    exit 2
fi
mkdir -p "$OUT" || exit 2
cd "$ROOT" || exit 2

steps=()
failed=0
# step NAME SECONDS COMMAND...: run with a time limit; stdout in $OUT/NAME.out, stderr in
# $OUT/NAME.log
step() {
    local name=$1 limit=$2
    shift 2
    echo "gpu_check: $name (at most ${limit}s)" >&2
    timeout "$limit" "$@" >"$OUT/$name.out" 2>"$OUT/$name.log"
    local code=$?
    steps+=(--step "$name: exit $code")
    if [ "$code" -ne 0 ]; then
        failed=1
        echo "gpu_check: $name exited with $code (see $OUT/$name.log)" >&2
    fi
}

"$PY" - >"$OUT/machine.json" <<'PYEOF'
import json
import torch

props = torch.cuda.get_device_properties(0)
print(json.dumps({
    "gpu": props.name, "capability": f"{props.major}.{props.minor}",
    "driver": torch._C._cuda_getDriverVersion() if hasattr(torch._C, "_cuda_getDriverVersion")
    else None, "torch": torch.__version__, "cuda": torch.version.cuda,
    "cudnn": torch.backends.cudnn.version()}))
PYEOF

cat >"$OUT/kernels.toml" <<'TOML'
[settings]
budget_s = 0.5
processes = 3

[[kernels]]
cell = ["rnn", "gru", "lstm"]
impl = "torch"
mode = ["inference", "training"]
hidden = [256, 1024]
batch = 64
seq_len = 64
dtype = ["fp32", "fp16", "bf16"]

[[kernels]]
cell = "lstm"
impl = "loop"
mode = "inference"
hidden = 256
batch = 64
seq_len = 64
dtype = ["fp32", "bf16"]
TOML
# TF32 off for the second pass: NVIDIA's libraries honour NVIDIA_TF32_OVERRIDE=0, and rnnbench
# records TF32 as off under it (bench/workloads/base.py tf32_capable).
sed -e 's/dtype = \["fp32", "fp16", "bf16"\]/dtype = "fp32"/' \
    -e 's/dtype = \["fp32", "bf16"\]/dtype = "fp32"/' "$OUT/kernels.toml" >"$OUT/kernels-fp32.toml"

step pytest-gpu 120 "$PY" -m pytest -m gpu -q -p no:cacheprovider tests
step doctor 60 "$PY" -m rnnbench doctor -v --json
step quick 150 "$PY" -m rnnbench run --suite quick --device cuda --out "$OUT/runs" --json
step kernels 150 "$PY" -m rnnbench run --config "$OUT/kernels.toml" --device cuda \
    --out "$OUT/runs" --json
step kernels-tf32-off 60 env NVIDIA_TF32_OVERRIDE=0 "$PY" -m rnnbench run \
    --config "$OUT/kernels-fp32.toml" --device cuda --out "$OUT/runs" --json

# The results path is the "results" of the JSON summary a run prints with --json.
results_of() {
    "$PY" -c 'import json, sys
print(json.load(open(sys.argv[1], encoding="utf-8"))["results"])' "$OUT/$1.out" 2>/dev/null
}
runs=()
for name in quick kernels kernels-tf32-off; do
    path=$(results_of "$name")
    if [ -n "$path" ]; then
        runs+=(--run "$name=$path")
    fi
done

{
    echo
    "$PY" "$ROOT/scripts/gpu_summary.py" --machine "$OUT/machine.json" \
        --pytest "$OUT/pytest-gpu.out" --doctor "$OUT/doctor.out" "${runs[@]}" "${steps[@]}"
} >>"$DOC" || failed=1
echo "gpu_check: recorded in $DOC; logs and results in $OUT" >&2
exit "$failed"
