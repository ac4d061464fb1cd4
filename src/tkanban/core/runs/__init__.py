"""Experiment runs on hypothesis cards: the links, the trackers they are read from (MLflow,
DVCLive), and the sync that writes their numbers into the research log."""
