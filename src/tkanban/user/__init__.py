"""What belongs to the user rather than to a board: their settings file, their key map, their
editor and the folders their files live in. Both faces read these; no Textual here."""
