"""What a board is made of, as plain values and pure rules: records, exit criteria, time
boxes, text rules, filters. Nothing here reads or writes a database."""
