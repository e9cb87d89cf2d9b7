-- Signed checkpoints (core/audit): the Merkle root (RFC 9162 hashing) of the log's first
-- ``size`` entries, signed with Ed25519 over (size, root, signed time). ``frontier`` holds the
-- roots of the perfect subtrees of that tree, so the next checkpoint reads only newer entries;
-- ``published_at`` is set once the checkpoint was written outside the database.
CREATE TABLE checkpoints (
    size         bigint      PRIMARY KEY CHECK (size > 0),
    root         bytea       NOT NULL CHECK (length(root) = 32),
    signed_at    timestamptz NOT NULL,
    signature    bytea       NOT NULL CHECK (length(signature) = 64),
    key_id       text        NOT NULL,
    frontier     bytea       NOT NULL,
    published_at timestamptz
);
CREATE INDEX checkpoints_unpublished ON checkpoints (size) WHERE published_at IS NULL;
