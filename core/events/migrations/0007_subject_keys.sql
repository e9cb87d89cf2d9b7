-- Crypto-shredding (core/privacy): one AES-256-GCM data key per data subject (a citizen),
-- stored only wrapped by the master key (RFC 3394 AES key wrap). Forgetting a citizen
-- overwrites ``wrapped`` with NULL and keeps when and why; every sealed value of that citizen,
-- in events and snapshots alike, can then never be opened again. Events are hashed over their
-- ciphertext, so no chain or checkpoint changes.
CREATE TABLE subject_keys (
    subject_id   uuid        PRIMARY KEY,
    wrapped      bytea       CHECK (wrapped IS NULL OR length(wrapped) = 40),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    destroyed_at timestamptz,
    reason       text,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);
