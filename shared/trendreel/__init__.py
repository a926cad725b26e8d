"""trendreel: trending topics in, finished vertical short videos out."""

__version__ = "0.1.0"
