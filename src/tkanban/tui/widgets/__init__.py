"""The widgets drawn on the line API: lanes of cards, the countdown bar, the retro's charts."""
