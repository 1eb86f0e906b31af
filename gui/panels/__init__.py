"""The playground's panels: data, network builder, training controls, network view.

The pyqtgraph plots (`gui.panels.plots`) are imported separately, after the window is up,
because pyqtgraph is the slowest import of the app.
"""

from .data_panel import DataPanel
from .network_builder import NetworkBuilder
from .network_view import NetworkView
from .training_controls import TrainingControls

__all__ = ["DataPanel", "NetworkBuilder", "NetworkView", "TrainingControls"]
