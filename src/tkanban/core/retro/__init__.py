"""The monthly retro: its figures, its charts as data, and the retro as one HTML page."""
