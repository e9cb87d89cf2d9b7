-- Citizen ids are random (uuid4); this table is the only way from a national number to its
-- citizen. ``digest`` is HMAC-SHA256 of the normalised national number under a key derived
-- from the master key (core/privacy/numbers.py): no number is stored in clear, and without the
-- master key the table cannot be searched by trying every number. Forgetting a citizen deletes
-- their row in the transaction that destroys their key, so nothing links the number to the id.
CREATE TABLE citizen_numbers (
    digest     bytea       PRIMARY KEY CHECK (length(digest) = 32),
    citizen_id uuid        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
