"""tkanban: a keyboard-driven terminal Kanban board for machine-learning teams."""

__version__ = "0.1.0"
