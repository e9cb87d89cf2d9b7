"""OrjsonTranscoder: eventsourcing's JSON transcoder contract, serialised by orjson."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import NoneType
from typing import Any
from uuid import UUID

import orjson
from asyncpg.pgproto.pgproto import UUID as FastUUID
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    Mapper,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic, resolve_topic

_TYPE = "_type_"
_DATA = "_data_"
_ENUM = "enum_topic"
_DATACLASS = "dataclass_topic"
_FLOAT = "float_str"
# Types orjson writes and reads back unchanged (exact types only: subclasses need a transcoding).
# Integers outside 64 bits are refused by orjson with a TypeError rather than written.
_PLAIN = frozenset({str, int, bool, NoneType})


class DateAsISO(Transcoding):
    """Dates as ISO 8601 strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TupleAsList(Transcoding):
    """Tuples as lists, tagged so they come back as tuples."""

    type = tuple
    name = "tuple_as_list"

    def encode(self, obj: tuple[Any, ...]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> tuple[Any, ...]:
        return tuple(data)


def _tag_uuid(obj: UUID) -> dict[str, Any]:
    return {_TYPE: "uuid_hex", _DATA: obj.hex}


def _tag_decimal(obj: Decimal) -> dict[str, Any]:
    return {_TYPE: "decimal_str", _DATA: str(obj)}


def _tag_datetime(obj: datetime) -> dict[str, Any]:
    return {_TYPE: "datetime_iso", _DATA: obj.isoformat()}


def _tag_date(obj: date) -> dict[str, Any]:
    return {_TYPE: "date_iso", _DATA: obj.isoformat()}


def _decode_enum(data: list[Any]) -> Enum:
    topic, value = data
    return resolve_topic(topic)(value)


def _decode_items(data: list[list[Any]]) -> dict[Any, Any]:
    return {_hashable(k): v for k, v in data}


def _hashable(key: Any) -> Any:
    """A decoded key: JSON gives lists where the key was a tuple."""
    return tuple(_hashable(k) for k in key) if type(key) is list else key


def _decode_dataclass(data: list[Any]) -> Any:
    topic, fields = data
    return resolve_topic(topic)(**fields)


def _not_registered(obj: object) -> TranscodingNotRegisteredError:
    return TranscodingNotRegisteredError(
        f"Object of type {type(obj)} is not serializable. Please define and register "
        "a custom transcoding for this type."
    )


class OrjsonTranscoder(Transcoder):
    """A drop-in for eventsourcing's JSONTranscoder that walks each value once and uses orjson."""

    def __init__(self) -> None:
        builtins = (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), TupleAsList())
        self.types: dict[type, Transcoding] = {t.type: t for t in builtins}
        self.names: dict[str, Transcoding] = {t.name: t for t in builtins}
        # Fast paths for the built-in transcodings above; register() replaces them.
        self._encoders: dict[type, Callable[[Any], Any]] = {
            dict: self._encode_dict,
            list: self._encode_list,
            float: self._encode_float,
            tuple: self._encode_tuple,
            frozenset: self._encode_frozenset,
            set: self._encode_set,
            UUID: _tag_uuid,
            FastUUID: _tag_uuid,
            Decimal: _tag_decimal,
            datetime: _tag_datetime,
            date: _tag_date,
        }
        self._members_encoded: dict[Enum, dict[str, Any]] = {}
        self._decoders: dict[str, Callable[[Any], Any]] = {
            _ENUM: _decode_enum,
            _DATACLASS: _decode_dataclass,
            _FLOAT: float,
            "uuid_hex": FastUUID,  # see core/domain/ids.py
            "decimal_str": Decimal,
            "datetime_iso": datetime.fromisoformat,
            "date_iso": date.fromisoformat,
            "tuple_as_list": tuple,
            "frozenset_as_list": frozenset,
            "set_as_list": set,
            "dict_items": _decode_items,
        }

    def register(self, transcoding: Transcoding) -> None:
        """Use ``transcoding`` for objects of exactly its type (replacing any built-in one)."""
        self.types[transcoding.type] = transcoding
        self.names[transcoding.name] = transcoding
        name, encode, walk = transcoding.name, transcoding.encode, self._encode_value

        def tagged(obj: Any) -> dict[str, Any]:
            return {_TYPE: name, _DATA: walk(encode(obj))}

        self._encoders[transcoding.type] = tagged
        self._decoders[transcoding.name] = transcoding.decode

    def encode(self, obj: Any) -> bytes:
        """Encode ``obj`` as UTF-8 JSON bytes."""
        return orjson.dumps(self._encode_value(obj))

    def encode_state(self, state: dict[str, Any]) -> bytes:
        """Encode an event's attributes (a dict keyed by attribute names, so by strings)."""
        return orjson.dumps(self._encode_fields(state))

    def decode(self, data: bytes) -> Any:
        """Decode bytes written by :meth:`encode` (or by eventsourcing's JSONTranscoder)."""
        obj = orjson.loads(data)
        kind = type(obj)
        if kind is dict:
            return self._decode_dict(obj)
        if kind is list:
            return self._decode_list(obj)
        return obj

    # -- encoding: build a plain, tagged copy for orjson -------------------------------------

    def _encode_value(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return obj
        encoder = self._encoders.get(kind)
        if encoder is None:
            encoder = self._encoder_for(obj)
        return encoder(obj)

    def _encoder_for(self, obj: Any) -> Callable[[Any], Any]:
        # Remember the class, so its next instance is found by the exact-type lookup.
        if isinstance(obj, Enum):
            self._encoders[type(obj)] = self._encode_enum
            return self._encode_enum
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            # The domain's value objects (a catalog's services, a calendar's holidays) as they
            # sit in an aggregate's state, for snapshots: rebuilt through their constructor.
            self._encoders[type(obj)] = self._encode_dataclass
            return self._encode_dataclass
        raise _not_registered(obj)

    def _encode_dict(self, obj: dict[Any, Any]) -> Any:
        if all(type(k) is str for k in obj):
            return self._encode_fields(obj)
        # Keyed by dates, enums or numbers (a calendar's days, a queue's categories).
        walk = self._encode_value
        return {_TYPE: "dict_items", _DATA: [[walk(k), walk(v)] for k, v in obj.items()]}

    def _encode_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A dict keyed by strings, its values encoded (plain ones as they are)."""
        walk = self._encode_value
        return {k: v if type(v) in _PLAIN else walk(v) for k, v in obj.items()}

    def _encode_list(self, obj: list[Any]) -> list[Any]:
        walk = self._encode_value
        return [v if type(v) in _PLAIN else walk(v) for v in obj]

    def _encode_tuple(self, obj: tuple[Any, ...]) -> dict[str, Any]:
        walk = self._encode_value
        return {_TYPE: "tuple_as_list", _DATA: [v if type(v) in _PLAIN else walk(v) for v in obj]}

    def _encode_frozenset(self, obj: frozenset[Any]) -> dict[str, Any]:
        return {_TYPE: "frozenset_as_list", _DATA: self._members(obj)}

    def _encode_set(self, obj: set[Any]) -> dict[str, Any]:
        return {_TYPE: "set_as_list", _DATA: self._members(obj)}

    def _members(self, obj: frozenset[Any] | set[Any]) -> list[Any]:
        """A set's members in a stable order where they have one, so equal sets encode alike."""
        walk = self._encode_value
        try:
            members = sorted(obj)
        except TypeError:
            members = sorted(obj, key=repr)
        return [v if type(v) in _PLAIN else walk(v) for v in members]

    def _encode_float(self, obj: float) -> Any:
        # orjson would write NaN and infinities as null.
        return obj if math.isfinite(obj) else {_TYPE: _FLOAT, _DATA: repr(obj)}

    def _encode_dataclass(self, obj: Any) -> dict[str, Any]:
        walk = self._encode_value
        fields = {f.name: walk(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return {_TYPE: _DATACLASS, _DATA: [get_topic(type(obj)), fields]}

    def _encode_enum(self, obj: Enum) -> dict[str, Any]:
        # Members are few and immutable: each is encoded once (orjson only reads the result).
        encoded = self._members_encoded.get(obj)
        if encoded is None:
            value = self._encode_value(obj.value)
            encoded = {_TYPE: _ENUM, _DATA: [get_topic(type(obj)), value]}
            self._members_encoded[obj] = encoded
        return encoded

    # -- decoding: orjson's fresh containers are updated in place -----------------------------

    def _decode_dict(self, obj: dict[str, Any]) -> Any:
        if len(obj) == 2 and _TYPE in obj and _DATA in obj:
            name, data = obj[_TYPE], obj[_DATA]
            kind = type(data)
            if kind is dict:
                data = self._decode_dict(data)
            elif kind is list:
                data = self._decode_list(data)
            decoder = self._decoders.get(name)
            if decoder is None:
                raise TranscodingNotRegisteredError(
                    f"Data serialized with name '{name}' is not deserializable. "
                    "Please register a custom transcoding for this type."
                )
            return decoder(data)
        for key, value in obj.items():
            kind = type(value)
            if kind is dict:
                obj[key] = self._decode_dict(value)
            elif kind is list:
                obj[key] = self._decode_list(value)
        return obj

    def _decode_list(self, obj: list[Any]) -> list[Any]:
        for i, value in enumerate(obj):
            kind = type(value)
            if kind is dict:
                obj[i] = self._decode_dict(value)
            elif kind is list:
                obj[i] = self._decode_list(value)
        return obj


def new_mapper(*transcodings: Transcoding) -> Mapper[UUID]:
    """An eventsourcing Mapper over a fresh OrjsonTranscoder with ``transcodings`` registered."""
    transcoder = OrjsonTranscoder()
    for transcoding in transcodings:
        transcoder.register(transcoding)
    return Mapper(transcoder)
