"""The core: storage and operations, with no knowledge of any user interface."""
