-- Tracking: how far each consumer (``tracker``) has processed another log (``upstream``),
-- written in the same transaction as the events it recorded from it, so that processing is
-- exactly-once (eventsourcing's tracking and process recorders, through the bridge).

CREATE TABLE tracking (
    tracker     text        NOT NULL,
    upstream    text        NOT NULL,
    position    bigint      NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tracker, upstream)
);
