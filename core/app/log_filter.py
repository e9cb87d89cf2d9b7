"""What an auditor narrows the event log by, checked, and as SQL conditions on ``events e``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from khidma.core.domain.centre import parse_centre_code
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.text import moment
from khidma.core.domain.tracking import parse_tracking_number, request_id

# An event's name is the last part of its topic: ``FeeAssessed`` in
# ``khidma.core.domain.request_agency:RequestAtAgency.FeeAssessed``. The expression is the
# one indexed by migration 0008 (events_name); it must stay written exactly so.
NAME_SQL = "substring(e.topic FROM '[^.:]+$')"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_QUALIFIED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}(\.[A-Za-z_][A-Za-z0-9_]{0,99}){1,4}$")
_TOPIC = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,299}:[A-Za-z_][A-Za-z0-9_.]{0,199}$")


def event_name(topic: str) -> str:
    """``FeeAssessed`` for ``khidma.core.domain.request_agency:RequestAtAgency.FeeAssessed``."""
    return re.split(r"[.:]", topic)[-1]


@dataclass(frozen=True, slots=True)
class Topic:
    """An event name as typed: ``FeeAssessed``, ``Citizen.Registered`` or a whole topic."""

    name: str
    qualified: str | None = None  # ``Citizen.Registered``: the part of the topic after ``:``
    topic: str | None = None

    @classmethod
    def parse(cls, text: object, field: str = "topic") -> Topic:
        if not isinstance(text, str):
            raise ValidationError(field, "expected an event name such as FeeAssessed")
        typed = text.strip()
        if _NAME.match(typed):
            return cls(typed)
        if _QUALIFIED.match(typed):
            return cls(event_name(typed), qualified=typed)
        if _TOPIC.match(typed):
            return cls(event_name(typed), topic=typed)
        raise ValidationError(
            field,
            f"{text!r} is not an event name (FeeAssessed), an aggregate and event name"
            " (Citizen.Registered) or a topic (module:Class.Event)",
        )


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Every field optional; those given must all hold (AND). ``recorded_to`` is exclusive."""

    stream_id: UUID | None = None
    topic: Topic | None = None
    actor_id: UUID | None = None
    centre: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None

    @classmethod
    def build(
        cls,
        *,
        stream_id: object = None,
        tracking_number: object = None,
        topic: object = None,
        actor_id: object = None,
        centre: object = None,
        recorded_from: object = None,
        recorded_to: object = None,
        prefix: str = "",
    ) -> LogFilter:
        """Check what was typed; ValidationError naming the field (``prefix`` + name)."""
        stream = _uuid(f"{prefix}stream_id", stream_id)
        if tracking_number is not None:
            number = parse_tracking_number(tracking_number, f"{prefix}tracking_number")
            of_request = request_id(number)
            if stream is not None and stream != of_request:
                raise ValidationError(
                    f"{prefix}tracking_number", "names another stream than stream_id"
                )
            stream = of_request
        start = None if recorded_from is None else moment(f"{prefix}recorded_from", recorded_from)
        end = None if recorded_to is None else moment(f"{prefix}recorded_to", recorded_to)
        if start is not None and end is not None and end <= start:
            raise ValidationError(f"{prefix}recorded_to", "must be after recorded_from")
        return cls(
            stream_id=stream,
            topic=None if topic is None else Topic.parse(topic, f"{prefix}topic"),
            actor_id=_uuid(f"{prefix}actor_id", actor_id),
            centre=None if centre is None else parse_centre_code(centre, f"{prefix}centre"),
            recorded_from=start,
            recorded_to=end,
        )

    @property
    def empty(self) -> bool:
        return self == LogFilter()

    @property
    def selective(self) -> bool:
        """Whether one stream is asked for: its index then finds every match at once."""
        return self.stream_id is not None

    def conditions(self, args: list[Any]) -> list[str]:
        """SQL conditions on ``events e``, their values appended to ``args`` ($n in order)."""

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        found: list[str] = []
        if self.stream_id is not None:
            found.append(f"e.stream_id = {arg(self.stream_id)}")
        if self.topic is not None:
            found.append(f"{NAME_SQL} = {arg(self.topic.name)}")
            if self.topic.qualified is not None:
                found.append(f"split_part(e.topic, ':', 2) = {arg(self.topic.qualified)}")
            if self.topic.topic is not None:
                found.append(f"e.topic = {arg(self.topic.topic)}")
        if self.actor_id is not None:
            found.append(f"e.metadata ->> 'actor_id' = {arg(str(self.actor_id))}")
        if self.centre is not None:
            found.append(f"e.metadata ->> 'centre' = {arg(self.centre)}")
        if self.recorded_from is not None:
            found.append(f"e.recorded_at >= {arg(self.recorded_from)}")
        if self.recorded_to is not None:
            found.append(f"e.recorded_at < {arg(self.recorded_to)}")
        return found


def _uuid(field: str, value: object) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a UUID") from None
