"""Agency connectors and other integrations, as pluggy plugins."""
