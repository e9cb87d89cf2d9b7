-- Indexes for the auditors' event log (GraphQL eventLog; core/app/history.py): its filters by
-- actor, centre, event name and time each start from an index on events, then meet the log by
-- event_id. By stream, UNIQUE (stream_id, version) already serves. Partial where the metadata
-- may be absent (workers act with no centre), so those events cost no index entry.
CREATE INDEX events_actor ON events ((metadata ->> 'actor_id'))
    WHERE metadata ->> 'actor_id' IS NOT NULL;
CREATE INDEX events_centre ON events ((metadata ->> 'centre'))
    WHERE metadata ->> 'centre' IS NOT NULL;
-- The event's name, the last part of its topic: `FeeAssessed` in
-- `khidma.core.domain.request_agency:RequestAtAgency.FeeAssessed`.
CREATE INDEX events_name ON events ((substring(topic FROM '[^.:]+$')));
CREATE INDEX events_recorded_at ON events (recorded_at);
