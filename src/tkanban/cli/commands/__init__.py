"""The commands, one module per family, each adding its own to the parser (``register``):
cards, relations, runs, files (export/import/check/backup), events (events/watch), board
(mentions, phases, lanes, retro, demo), serve, settings (keys, config)."""
