"""The log as a rebuild reads it: a batch at a time, decoded for the projections being rebuilt.

The pass over the whole log reads its rows through one cursor and decodes them as they come
(decoding.ROW_COLUMNS: no RecordedEvent per row); what was logged meanwhile is read with
``EventStore.read_all``, which also runs the sequencer at the end of the log. Should an event
not decode, it is decoded again one by one, and ProjectionError names it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from khidma.core.events import EventStore, RecordedEvent

from .decoding import ROW_COLUMNS, Decoded, Decoder, recorded_from_row, undecoded
from .projection import ProjectionError


async def pages(
    store: EventStore, decoder: Decoder, after: int, until: int | None, batch: int, head: int
) -> AsyncIterator[tuple[int, list[Decoded]]]:
    """The log after ``after``, up to ``until`` or else until caught up, a batch at a time:
    the last position of each batch and its events some projection follows, decoded.

    A pass over the whole log reads up to the head it started from through one cursor, then
    what was logged meanwhile page by page.
    """
    if until is None and head > after:
        async for last, events in read_through(store, decoder, after, head, batch):
            yield last, events
            after = last
    while until is None or after < until:
        limit = batch if until is None else min(batch, until - after)
        records = await store.read_all(after, limit)
        if not records:
            return
        after = records[-1].position or after
        yield after, _decode_all(decoder, records)
        if until is None and len(records) < limit:
            return  # caught up


async def read_through(
    store: EventStore, decoder: Decoder, after: int, until: int, batch: int
) -> AsyncIterator[tuple[int, list[Decoded]]]:
    """The log after ``after`` up to ``until``, decoded a batch at a time, as pages yields it:
    through ``EventStore.read_rows``'s cursor, the rows decoded as they come, without a
    RecordedEvent each (see decoding.ROW_COLUMNS)."""
    async for rows in store.read_rows(after, until, ROW_COLUMNS, batch):
        yield rows[-1][0], _decode_rows(decoder, rows)


def _decode_all(decoder: Decoder, records: list[RecordedEvent]) -> list[Decoded]:
    """The records some projection follows, decoded; ProjectionError names one that is not."""
    decode = decoder.decode
    try:
        return [e for r in records if (e := decode(r)) is not None]
    except Exception:  # decoding is deterministic: again one by one, to name the event
        return [e for r in records if (e := _decode(decoder, r)) is not None]


def _decode_rows(decoder: Decoder, rows: list[asyncpg.Record]) -> list[Decoded]:
    """The rows (of ROW_COLUMNS) some projection follows, decoded, as _decode_all does."""
    decode = decoder.decode_row
    try:
        return [e for r in rows if (e := decode(r)) is not None]
    except Exception:  # to name the event, as _decode_all does (the event id is not read)
        return _decode_all(decoder, [recorded_from_row(row) for row in rows])


def _decode(decoder: Decoder, record: RecordedEvent) -> Decoded | None:
    try:
        return decoder.decode(record)
    except Exception as error:
        raise ProjectionError(
            "replay", undecoded(record, decoder.kind(record.topic)), error
        ) from error
