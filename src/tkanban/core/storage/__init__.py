"""Where boards are kept: the engine protocol (``base``), the schema and its migrations, the
tables, a SQLite file with its checks and mounts, a PostgreSQL server, and salvage of a damaged
file. Nothing here knows what a board's operations are."""
