"""Subscriptions over graphql-transport-ws, fed by one LISTEN connection per process."""
