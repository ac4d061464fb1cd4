"""The Textual face of tkanban: the board, card details, forms and the countdown bar."""
