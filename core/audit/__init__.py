"""Audit: signed Merkle checkpoints over the event log, proofs, exports and their verification."""
