"""Types every area shares: bilingual names, typed errors, Relay ids and pages."""
