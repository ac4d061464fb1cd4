"""The board's control, without widgets: the controller (reads, the write queue, moves), the
flows that open forms and save them, undo history, the background sync and what rings."""
