"""The screens: the board, a card's pane, help, archived cards, the retro, a confirmation."""
