-- One round trip for a batch of appends: insert, commit (durably), then a sequencer pass that
-- logs them, whose result comes back with the inserted events. A writer that counts an append
-- as done only once it is in the log waits one round trip instead of two. If another process
-- holds the sequencer's lock, the pass is skipped (its seq_* outputs stay NULL) and the writer
-- waits for that sequencer as before. Each row keeps its append's expected-version check.
CREATE PROCEDURE append_events(
    p_streams uuid[], p_versions bigint[], p_topics text[], p_data bytea[], p_metadata jsonb[],
    p_hashes bytea[], p_expected bigint[], p_lock_key bigint, p_batch_limit integer,
    p_channel text,
    INOUT ids bigint[] DEFAULT NULL, INOUT tx text DEFAULT NULL,
    INOUT w_streams uuid[] DEFAULT NULL, INOUT w_versions bigint[] DEFAULT NULL,
    INOUT seq_count integer DEFAULT NULL, INOUT seq_position bigint DEFAULT NULL,
    INOUT seq_tx text DEFAULT NULL, INOUT seq_event_id bigint DEFAULT NULL,
    INOUT seq_txs text[] DEFAULT NULL, INOUT seq_firsts bigint[] DEFAULT NULL,
    INOUT seq_error text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    WITH ins AS (
        INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)
        SELECT u.s, u.v, u.t, u.d, u.m, u.h
        FROM unnest(p_streams, p_versions, p_topics, p_data, p_metadata, p_hashes, p_expected)
             WITH ORDINALITY AS u(s, v, t, d, m, h, e, n)
        WHERE (SELECT coalesce(max(x.version), 0) FROM events x WHERE x.stream_id = u.s) = u.e
        ORDER BY u.n
        RETURNING events.event_id, events.tx_id, events.stream_id, events.version
    )
    SELECT array_agg(ins.event_id ORDER BY ins.event_id), (array_agg(ins.tx_id::text))[1],
           array_agg(ins.stream_id ORDER BY ins.event_id),
           array_agg(ins.version ORDER BY ins.event_id)
    INTO ids, tx, w_streams, w_versions
    FROM ins;
    COMMIT;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- The events are committed: a pass that fails must not look like a failed append. The
    -- caller logs seq_error; the background sequencer meets the same problem and reports it.
    BEGIN
        SELECT * INTO r FROM sequence_events(p_lock_key, p_batch_limit, p_channel);
        IF FOUND THEN
            seq_count := r.sequenced;
            seq_position := r.last_position;
            seq_tx := r.last_tx;
            seq_event_id := r.last_event_id;
            seq_txs := r.txs;
            seq_firsts := r.firsts;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        seq_error := SQLSTATE || ' ' || SQLERRM;
    END;
END;
$$;
