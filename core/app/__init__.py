"""Command handlers: the only writers of events."""
