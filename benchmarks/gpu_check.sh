#!/usr/bin/env bash
# On a CUDA machine with CuPy, prove the GPU path in one go (each stage time-boxed):
#   1. the GPU tests (tests/test_gpu.py) must pass, not skip;
#   2. the whole test suite except the Qt GUI tests runs with CuPy importable (the GUI never
#      touches the GPU path, and a GPU machine need not have Qt);
#   3. the GPU benchmark: 784-1024-1024-10 @ 512 and 4096-4096-4096-10 @ 4096, ours vs PyTorch
#      CUDA vs a CuPy floor (target: ratio minitorch/torch <= 1.3);
#   4. a profile of one GPU step (Python time, kernels launched: ours vs PyTorch);
#   5. the digits CNN example trained on the GPU, twice, to see whether seeded runs repeat.
# Usage: bash benchmarks/gpu_check.sh [python]   (default: .venv/bin/python if present, else python3)
# Set GPU_CHECK_CPU_BENCH=1 to also run the CPU benchmark there.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${1:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 QT_QPA_PLATFORM=offscreen
failed=()
LOG="${OUT:-/tmp}"

echo "== device"
nvidia-smi -L 2>/dev/null || true
"$PY" - <<'PYEOF'
import sys, numpy, torch
from minitorch import backend
print("python", sys.version.split()[0], "| numpy", numpy.__version__, "| torch", torch.__version__)
print("cuda available:", backend.cuda_available(), backend.cuda_unavailable_reason())
if backend.cuda_available():
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(0)
    print("GPU:", props["name"].decode(), "| CuPy", cupy.__version__)
PYEOF

echo "== 1. GPU tests (skips are failures here)"
timeout 240 "$PY" -m pytest -q -rs -p no:cacheprovider tests/test_gpu.py 2>&1 | tee "$LOG/gpu_tests.log"
if [ "${PIPESTATUS[0]}" -ne 0 ] || grep -q "skipped" "$LOG/gpu_tests.log"; then failed+=("GPU tests"); fi

echo "== 2. test suite without the Qt GUI tests"
xdist=$("$PY" -c "import xdist" 2>/dev/null && echo "-n 8")
timeout 300 "$PY" -m pytest -q -p no:cacheprovider $xdist \
    --ignore=tests/test_explorer_gui.py --ignore=tests/test_gui_playground.py \
    --ignore=tests/test_gui_units.py --ignore=tests/test_qt_binding.py 2>&1 | tail -25 || failed+=("test suite")

echo "== 3. GPU benchmark (ours vs PyTorch CUDA vs CuPy floor)"
timeout 240 "$PY" benchmarks/bench_tensor_vs_torch.py --device cuda --rounds 10 --steps 10 || failed+=("GPU benchmark")

echo "== 4. profile of one GPU step"
timeout 120 "$PY" benchmarks/profile_tensor_step.py --device cuda --steps 200 --top 25 || failed+=("profile")

echo "== 5. digits CNN on the GPU, twice with the same seed"
timeout 120 "$PY" examples/digits_cnn.py --device cuda | tee "$LOG/digits_1.log" || failed+=("digits CNN")
timeout 120 "$PY" examples/digits_cnn.py --device cuda > "$LOG/digits_2.log" || failed+=("digits CNN (second run)")
if diff <(sed 's/(.*s)//' "$LOG/digits_1.log") <(sed 's/(.*s)//' "$LOG/digits_2.log") > /dev/null; then
    echo "second run: the same losses and accuracies (manual_seed makes GPU runs reproducible)"
else
    echo "second run differs:"; cat "$LOG/digits_2.log"
fi

if [ "${GPU_CHECK_CPU_BENCH:-0}" = 1 ]; then
    echo "== CPU benchmark (ours vs PyTorch CPU vs numpy floor)"
    "$PY" benchmarks/bench_tensor_vs_torch.py --device cpu --rounds 10 --steps 10 || failed+=("CPU benchmark")
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all GPU checks passed"
