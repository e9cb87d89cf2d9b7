"""OrjsonTranscoder: a drop-in for eventsourcing's JSONTranscoder, plus khidma's value types."""

from __future__ import annotations

import dataclasses
import enum
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from asyncpg.pgproto.pgproto import UUID as FastUUID
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    JSONTranscoder,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
)
from eventsourcing.tests import persistence as es_tests
from eventsourcing.utils import TopicError
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.events.transcoder import OrjsonTranscoder, new_mapper


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Kind(enum.StrEnum):
    CITIZEN = "citizen"


class Pair(enum.Enum):
    ORIGIN = (0, 0)


class _AsDict(Transcoding):
    """Transcodes a builtin subclass through its base type (for the inherited subclass tests)."""

    def __init__(self, cls: type, base: type, name: str) -> None:
        self.type, self.base, self.name = cls, base, name

    def encode(self, obj: Any) -> Any:
        return self.base(obj)

    def decode(self, data: Any) -> Any:
        return self.type(data)


class TestOrjsonTranscoderIsADropIn(es_tests.TranscoderTestCase):
    """eventsourcing's own transcoder test case; nothing is skipped or overridden."""

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        transcoder.register(es_tests.CustomType1AsDict())
        transcoder.register(es_tests.CustomType2AsDict())
        # JSONTranscoder skips the subclass tests (json flattens subclasses into their base
        # types); this transcoder only tags exact types, so subclasses work once registered.
        transcoder.register(_AsDict(es_tests.Mydict, dict, "mydict"))
        transcoder.register(_AsDict(es_tests.MyList, list, "mylist"))
        transcoder.register(_AsDict(es_tests.MyStr, str, "mystr"))
        transcoder.register(_AsDict(es_tests.MyInt, int, "myint"))
        return transcoder


@pytest.fixture
def transcoder() -> OrjsonTranscoder:
    return OrjsonTranscoder()


def round_trip(transcoder: Transcoder, obj: Any) -> Any:
    return transcoder.decode(transcoder.encode(obj))


@pytest.mark.parametrize(
    "value",
    [
        Decimal("12.50"),
        Decimal("-0.000001"),
        Decimal("1E+30"),
        datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(2024, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=3))),
        datetime(2024, 3, 1, 9, 30, 15, 1),
        date(2024, 3, 1),
        Colour.RED,
        Level.HIGH,
        Kind.CITIZEN,
        Pair.ORIGIN,
        (),
        (1, ("a", (2.5, None))),
        [1, [2, (3,)]],
        {"a": {"b": [True, False, None]}},
        "نص عربي",
        2**63 - 1,
        -(2**63),
        0.1,
    ],
    ids=repr,
)
def test_round_trips_value_and_type(transcoder: OrjsonTranscoder, value: Any) -> None:
    copy = round_trip(transcoder, value)
    assert copy == value
    assert type(copy) is type(value)
    if isinstance(value, datetime):
        assert copy.utcoffset() == value.utcoffset()  # naive stays naive, offsets are kept


@pytest.mark.parametrize(
    "value", [UUID("b2723fe2-c01a-40d2-875e-a3aac6a09ff5"), FastUUID(bytes(16))]
)
def test_uuids_come_back_as_asyncpgs_uuid(transcoder: OrjsonTranscoder, value: UUID) -> None:
    """Ids decode to asyncpg's UUID (as the database's uuid columns do): a ``uuid.UUID``,
    equal, hashing alike, written again the same way."""
    copy = round_trip(transcoder, value)
    assert type(copy) is FastUUID and isinstance(copy, UUID)
    assert copy == value and hash(copy) == hash(value) and str(copy) == str(value)
    assert transcoder.encode(copy) == transcoder.encode(value)
    assert {value: 1}[copy] == 1


def test_types_are_kept_inside_containers(transcoder: OrjsonTranscoder) -> None:
    value = {
        "ids": [uuid4(), uuid4()],
        "fee": Decimal("3.75"),
        "seen": {"at": datetime.now(UTC), "on": date.today(), "colour": Colour.BLUE},
        "pair": (Level.LOW, Kind.CITIZEN),
    }
    copy = round_trip(transcoder, value)
    assert copy == value
    assert isinstance(copy["ids"][0], UUID)
    assert type(copy["seen"]["on"]) is date
    assert copy["seen"]["colour"] is Colour.BLUE
    assert copy["pair"] == (Level.LOW, Kind.CITIZEN)
    assert type(copy["pair"][0]) is Level


def test_non_finite_floats_are_not_turned_into_null(transcoder: OrjsonTranscoder) -> None:
    nan, inf, minus_inf = round_trip(transcoder, [math.nan, math.inf, -math.inf])
    assert math.isnan(nan)
    assert (inf, minus_inf) == (math.inf, -math.inf)


def test_tags_match_jsontranscoder_names(transcoder: OrjsonTranscoder) -> None:
    """Data written by a JSONTranscoder with the same transcodings reads back identically."""
    json = JSONTranscoder()
    for transcoding in transcoder.types.values():
        json.register(transcoding)
    value = {"id": uuid4(), "fee": Decimal("1.5"), "at": datetime.now(UTC), "on": date.today()}
    assert transcoder.decode(json.encode(value)) == value
    assert json.decode(transcoder.encode(value)) == value


def test_registered_transcoding_replaces_a_builtin_one(transcoder: OrjsonTranscoder) -> None:
    class UUIDAsInt(Transcoding):
        type = UUID
        name = "uuid_int"

        def encode(self, obj: UUID) -> int:
            return obj.int % 2**60

        def decode(self, data: int) -> UUID:
            return UUID(int=data)

    transcoder.register(UUIDAsInt())
    value = UUID(int=12345)
    assert transcoder.encode(value) == b'{"_type_":"uuid_int","_data_":12345}'
    assert round_trip(transcoder, value) == value
    # Data written earlier under the built-in name still reads.
    assert transcoder.decode(b'{"_type_":"uuid_hex","_data_":"%s"}' % value.hex.encode()) == value


def test_unregistered_type_is_refused(transcoder: OrjsonTranscoder) -> None:
    with pytest.raises(TranscodingNotRegisteredError, match="not serializable"):
        transcoder.encode({"x": [object()]})
    with pytest.raises(TranscodingNotRegisteredError, match="'nowhere'"):
        transcoder.decode(b'[{"_type_":"nowhere","_data_":1}]')


def test_unknown_enum_topic_fails_loudly(transcoder: OrjsonTranscoder) -> None:
    with pytest.raises(TopicError, match=r"nowhere\.module"):
        transcoder.decode(b'{"_type_":"enum_topic","_data_":["nowhere.module:Gone","x"]}')


class Counter(Aggregate):
    @event("Opened")
    def __init__(self, owner: UUID, fee: Decimal, due: date, colour: Colour) -> None:
        self.owner = owner
        self.fee = fee
        self.due = due
        self.colour = colour


def test_mapper_round_trips_domain_events() -> None:
    mapper = new_mapper()
    counter = Counter(uuid4(), Decimal("2.25"), date(2024, 5, 1), Colour.RED)
    (created,) = counter.collect_events()
    stored = mapper.to_stored_event(created)
    assert stored.topic.endswith("test_transcoder:Counter.Opened")
    copy = mapper.to_domain_event(stored)
    assert copy == created
    assert copy.mutate(None) == counter


offsets = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
plain = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text() | st.floats()
typed = (
    st.uuids()
    | st.decimals(allow_nan=False)
    | st.datetimes(timezones=st.none() | offsets)
    | st.dates()
    | st.sampled_from([*Colour, *Level, *Kind])
)
values = st.recursive(
    plain | typed,
    lambda inner: (
        st.lists(inner, max_size=4).map(tuple)
        | st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, UUID):  # ids come back as asyncpg's UUID (above)
        return isinstance(b, UUID) and a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


@given(values)
def test_round_trip_property(value: Any) -> None:
    transcoder = OrjsonTranscoder()
    assert _same(round_trip(transcoder, value), value)


@dataclasses.dataclass(frozen=True)
class Holiday:
    on: date
    names: tuple[str, str]
    kinds: frozenset[Colour]
    derived: int = dataclasses.field(init=False, default=0)


def test_value_objects_sets_and_non_text_keys_round_trip(transcoder: OrjsonTranscoder) -> None:
    """What aggregates hold and snapshots carry: dataclasses, sets, dicts keyed by dates."""
    state = {
        "holidays": {date(2026, 5, 1): Holiday(date(2026, 5, 1), ("عيد", "Day"), frozenset())},
        "by_colour": {Colour.RED: {1, 2}, Colour.BLUE: set()},
        "pairs": {(1, "a"): frozenset({Colour.BLUE, Colour.RED})},
    }
    back = transcoder.decode(transcoder.encode(state))
    assert back == state
    assert type(back["by_colour"][Colour.RED]) is set
    assert type(back["pairs"][1, "a"]) is frozenset
    # Equal sets encode alike whatever order they were built in.
    assert transcoder.encode(frozenset({3, 1, 2})) == transcoder.encode(frozenset({2, 3, 1}))
