-- Faster sequencing, measured by benchmarks/append.py (see README, Performance).
--
-- 1. The sequencer pass also returns the first position of each transaction it logged, so a
--    writer learns its positions without another query.
-- 2. The pass commits asynchronously: the log is a pure function of durably committed events
--    (their (tx_id, event_id) order and their content hashes), so a pass lost in a crash is
--    redone with the same positions and chain hashes; any later synchronous commit flushes it.
-- 3. No foreign key from event_log to events: its key-share row locks wrote to the pages the
--    writers insert into. Events are append-only instead (a trigger refuses UPDATE, DELETE and
--    TRUNCATE), and verify_chain reports a log row whose event is gone.

ALTER TABLE event_log DROP CONSTRAINT event_log_event_id_fkey;

CREATE FUNCTION refuse_event_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_changes();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_changes();

DROP FUNCTION sequence_events(bigint, integer, text);
CREATE FUNCTION sequence_events(lock_key bigint, batch_limit integer, channel text)
RETURNS TABLE (sequenced integer, last_position bigint, last_tx text, last_event_id bigint,
               txs text[], firsts bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    state     sequencer_state;
    chain     bytea;
    pos       bigint;
    positions bigint[] := '{}';
    ids       bigint[] := '{}';
    chains    bytea[]  := '{}';
    tx_list   text[]   := '{}';
    first_list bigint[] := '{}';
    tx        xid8;
    eid       bigint;
    r         record;
BEGIN
    IF NOT pg_try_advisory_xact_lock(lock_key) THEN
        RETURN;
    END IF;
    PERFORM set_config('synchronous_commit', 'off', true);
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
        IF r.tx_id <> tx THEN
            tx_list := tx_list || r.tx_id::text;
            first_list := first_list || pos;
        END IF;
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
    RETURN QUERY SELECT (pos - state.last_position)::integer, pos, tx::text, eid, tx_list, first_list;
END;
$$;
