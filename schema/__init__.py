"""The HTTP and GraphQL face of khidma."""
