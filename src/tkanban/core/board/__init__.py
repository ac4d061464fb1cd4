"""A board's reads and writes: the queries, the write transaction, cards and lanes, what ties
or blocks cards, phases, undo, and the board's own settings."""
