"""The PyTorch Mini desktop playground (PySide6 + pyqtgraph views over minitorch)."""

import os

from ._qt_check import check_qt_binding as _check_qt_binding

# The playground's arrays are small and two threads (training, drawing) already share the
# cores: a BLAS thread pool only fights them (a 10,000 x 8 matmul took 26 ms with it on a
# busy 2-core machine, 0.4 ms without). Set before numpy loads; an explicit setting wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

_check_qt_binding()
