"""The playground's panels: data, network builder, training controls, plots, network view."""

from .data_panel import DataPanel
from .network_builder import NetworkBuilder
from .network_view import NetworkView
from .plots import AccuracyPlot, LossPlot, OutputView
from .training_controls import TrainingControls

__all__ = ["DataPanel", "NetworkBuilder", "NetworkView", "LossPlot", "AccuracyPlot", "OutputView", "TrainingControls"]
