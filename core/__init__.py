"""khidma's core: the domain model, the event store and the command handlers."""
