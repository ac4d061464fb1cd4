"""What a board tells: every change as an event with a stable id, and its delivery to hooks
and webhooks."""
