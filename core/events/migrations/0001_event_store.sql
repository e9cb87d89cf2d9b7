-- The event store: events written by any number of concurrent writers without a table lock,
-- and the gap-free event log that the one sequencer fills (see DESIGN.md, "The event store").

CREATE TABLE events (
    event_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id    uuid        NOT NULL,
    version      bigint      NOT NULL,
    topic        text        NOT NULL,
    data         bytea       NOT NULL,
    metadata     jsonb       NOT NULL DEFAULT '{}',
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    content_hash bytea       NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX events_tx_order ON events (tx_id, event_id);

CREATE TABLE event_log (
    position     bigint      PRIMARY KEY,
    event_id     bigint      NOT NULL UNIQUE REFERENCES events (event_id),
    chain_hash   bytea       NOT NULL,
    sequenced_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sequencer_state (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_tx         xid8    NOT NULL,
    last_event_id   bigint  NOT NULL,
    last_position   bigint  NOT NULL,
    last_chain_hash bytea   NOT NULL
);
INSERT INTO sequencer_state VALUES (true, '0', 0, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE snapshots (
    stream_id   uuid        NOT NULL,
    version     bigint      NOT NULL,
    topic       text        NOT NULL,
    data        bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (stream_id, version)
);

-- One sequencer pass. Returns no row when another sequencer holds the lock. The lock is taken
-- in one statement and the events are read in the next, so under READ COMMITTED the read sees
-- the previous sequencer's commit. Only transactions older than every running one are read
-- (tx_id < xmin), in (tx_id, event_id) order: a transaction that commits late is waited for,
-- never skipped, and each transaction's events stay together.
CREATE FUNCTION sequence_events(lock_key bigint, batch_limit integer, channel text)
RETURNS TABLE (sequenced integer, last_position bigint, last_tx text, last_event_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    state     sequencer_state;
    chain     bytea;
    pos       bigint;
    positions bigint[] := '{}';
    ids       bigint[] := '{}';
    chains    bytea[]  := '{}';
    tx        xid8;
    eid       bigint;
    r         record;
BEGIN
    IF NOT pg_try_advisory_xact_lock(lock_key) THEN
        RETURN;
    END IF;
    SELECT * INTO state FROM sequencer_state;
    chain := state.last_chain_hash;
    pos := state.last_position;
    tx := state.last_tx;
    eid := state.last_event_id;
    FOR r IN
        SELECT e.tx_id, e.event_id, e.content_hash
        FROM events e
        WHERE (e.tx_id, e.event_id) > (state.last_tx, state.last_event_id)
          AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.tx_id, e.event_id
        LIMIT batch_limit
    LOOP
        pos := pos + 1;
        chain := sha256(chain || r.content_hash);
        positions := positions || pos;
        ids := ids || r.event_id;
        chains := chains || chain;
        tx := r.tx_id;
        eid := r.event_id;
    END LOOP;
    IF pos > state.last_position THEN
        INSERT INTO event_log (position, event_id, chain_hash)
        SELECT * FROM unnest(positions, ids, chains);
        UPDATE sequencer_state
        SET last_tx = tx, last_event_id = eid, last_position = pos, last_chain_hash = chain;
        PERFORM pg_notify(channel, pos::text || ':' || tx::text || ':' || eid::text);
    END IF;
    RETURN QUERY SELECT (pos - state.last_position)::integer, pos, tx::text, eid;
END;
$$;
