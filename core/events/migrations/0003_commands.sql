-- Commands by idempotency key: a retried command returns its first result and writes nothing.
CREATE TABLE commands (
    idempotency_key text        PRIMARY KEY,
    command         text        NOT NULL,
    actor_id        text,
    result          jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Per prefix (governorate) and year, the last number given to a request's tracking number.
CREATE TABLE request_numbers (
    prefix text    NOT NULL,
    year   integer NOT NULL,
    last   integer NOT NULL,
    PRIMARY KEY (prefix, year)
);
