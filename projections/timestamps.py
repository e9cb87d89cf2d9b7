"""timestamptz values for a rebuild's connections, encoded in a third of asyncpg's time.

asyncpg encodes a timestamptz by comparing it with two infinities, converting it to UTC and
subtracting its epoch: four aware-datetime operations, each asking the zone for its offset,
about 1.5 µs. A rebuild writes one or more per event (the timeline's ``at``, a request's
moments); for the fixed offsets events carry (``+03:00``), the count of microseconds is
computed here from the fields instead. Values come back as asyncpg gives them (in UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import asyncpg

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL's
_EPOCH_DAY = _EPOCH.toordinal()
_MICROSECOND = timedelta(microseconds=1)
_INFINITY, _NEGATIVE_INFINITY = 2**63 - 1, -(2**63)  # PostgreSQL's 'infinity', '-infinity'
# What asyncpg also writes as the infinities: the microseconds of datetime.max and .min.
_INFINITE = {252455615999999999: _INFINITY, -63082281600000000: _NEGATIVE_INFINITY}
_OFFSETS: dict[tzinfo, int] = {}  # microseconds east of UTC, per fixed offset seen


def _encode(value: datetime) -> tuple[int]:
    offset = _OFFSETS.get(value.tzinfo) if type(value) is datetime else None
    if offset is None:
        return _encode_otherwise(value)
    day = value.toordinal() - _EPOCH_DAY
    seconds = ((day * 24 + value.hour) * 60 + value.minute) * 60 + value.second
    microseconds = seconds * 1_000_000 + value.microsecond - offset
    return (_INFINITE.get(microseconds, microseconds),)


def _encode_otherwise(value: datetime | date) -> tuple[int]:
    """A value of a zone not seen yet, of a zone with rules, naive or a date: asyncpg's way."""
    if not isinstance(value, datetime):
        local = datetime.now(UTC).astimezone().tzinfo
        value = datetime(value.year, value.month, value.day, tzinfo=local)
    zone = value.tzinfo
    if type(zone) is timezone:
        _OFFSETS[zone] = zone.utcoffset(None) // _MICROSECOND
        return _encode(value)
    if value == datetime.max:  # naive only: an aware datetime equals no naive one
        return (_INFINITY,)
    if value == datetime.min:
        return (_NEGATIVE_INFINITY,)
    microseconds = (value.astimezone(UTC) - _EPOCH) // _MICROSECOND
    return (_INFINITE.get(microseconds, microseconds),)


def _decode(value: tuple[int]) -> datetime:
    microseconds = value[0]
    if microseconds == _INFINITY:
        return datetime.max
    if microseconds == _NEGATIVE_INFINITY:
        return datetime.min
    return _EPOCH + timedelta(microseconds=microseconds)


async def encode_faster(conn: asyncpg.Connection) -> None:
    """Use this module's timestamptz codec on ``conn`` (until :func:`encode_as_usual`)."""
    await conn.set_type_codec(
        "timestamptz", schema="pg_catalog", encoder=_encode, decoder=_decode, format="tuple"
    )


async def encode_as_usual(conn: asyncpg.Connection) -> None:
    """Back to asyncpg's own timestamptz codec (before ``conn`` goes back to the pool)."""
    await conn.reset_type_codec("timestamptz", schema="pg_catalog")
