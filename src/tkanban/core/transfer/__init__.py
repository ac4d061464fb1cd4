"""Boards moving out and in: the export format as a typed model, the lossless JSON backup and
its import, and the readable Markdown report."""
