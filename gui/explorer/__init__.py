"""The computation-graph explorer: two widgets the main window shows as tabs.

- `ExpressionExplorer`: type an expression, see its graph, step through backward, verify with PyTorch.
- `ModelGraphPanel`: the current network's forward graph for one sample; `update_model(config,
  state_dict, sample)` is safe to call several times a second (builds run on a worker thread).
"""

from .canvas import GraphCanvas
from .expression_explorer import ExpressionExplorer
from .model_panel import ModelGraphPanel

__all__ = ["ExpressionExplorer", "ModelGraphPanel", "GraphCanvas"]
