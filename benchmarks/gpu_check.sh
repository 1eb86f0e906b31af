#!/usr/bin/env bash
# On a CUDA machine (with CuPy: pip install "cupy-cuda12x>=13"), prove the GPU path in one go:
#   1. the GPU tests (tests/test_gpu.py) must pass, not skip;
#   2. the whole n-d test suite runs again (CPU path unaffected by CuPy being importable);
#   3. the GPU benchmark: 784-1024-1024-10 @ 512 and 4096-4096-4096-10 @ 4096, ours vs PyTorch CUDA
#      (target: ratio minitorch/torch <= 1.3), then the CPU benchmark for reference.
# Usage: bash benchmarks/gpu_check.sh [python]   (default: .venv/bin/python if present, else python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"

echo "== device"
"$PY" - <<'PYEOF'
from minitorch import backend
print("cuda available:", backend.cuda_available(), backend.cuda_unavailable_reason())
if backend.cuda_available():
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(0)
    print("GPU:", props["name"].decode(), "| CuPy", cupy.__version__)
PYEOF

echo "== GPU tests (skips are failures here)"
QT_QPA_PLATFORM=offscreen "$PY" -m pytest -q -rs tests/test_gpu.py -p no:cacheprovider 2>&1 | tee /tmp/gpu_tests.log
if grep -q "skipped" /tmp/gpu_tests.log; then
    echo "GPU tests were skipped: CuPy/CUDA not usable here" >&2
    exit 1
fi

echo "== n-d test suite"
QT_QPA_PLATFORM=offscreen "$PY" -m pytest -q -p no:cacheprovider tests/test_ndtensor.py tests/test_layers.py \
    tests/test_tensor_functional.py tests/test_tensor_training.py

echo "== GPU benchmark (ours vs PyTorch CUDA vs CuPy floor)"
"$PY" benchmarks/bench_tensor_vs_torch.py --device cuda --rounds 10 --steps 10

echo "== CPU benchmark (ours vs PyTorch CPU vs numpy floor)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" benchmarks/bench_tensor_vs_torch.py --device cpu --rounds 10 --steps 10
