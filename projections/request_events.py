"""What each request event means for the request's status, shared by the request read models."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.lifecycle import FINAL, Status

from .decoding import decode_value

S = Status
# The status a request is in after each event (None: unchanged). FeeAssessed and
# PickupCentreChanged depend on the event's state: see ``status_after``.
_AFTER: dict[str, Status | None] = {
    "Submitted": S.SUBMITTED,
    "FeeAssessed": None,
    "PaymentRecorded": S.PAID,
    "SentToAgency": S.SENT_TO_AGENCY,
    "AcceptedByAgency": S.AGENCY_PROCESSING,
    "InformationRequested": S.INFO_REQUIRED,
    "InformationProvided": S.AGENCY_PROCESSING,
    "Issued": S.ISSUED,
    "Rejected": S.REJECTED,
    "Refunded": S.REFUNDED,
    "Cancelled": S.CANCELLED,
    "ClerkAssigned": None,
    "NoteAdded": None,
    "Certified": S.CERTIFIED,
    "ReadyForPickup": S.READY_FOR_PICKUP,
    "PickupCentreChanged": None,
    "Collected": S.COLLECTED,
    "Dispatched": S.DISPATCHED,
    "Delivered": S.DELIVERED,
    "Expired": S.EXPIRED,
}
KNOWN = frozenset(_AFTER)


class UnhandledEvent(LookupError):
    """A request event this read model does not know (a newer event type)."""


# The same, as plain strings (an enum member's ``.value`` is a slow descriptor in a hot loop).
_AFTER_VALUES: dict[str, str | None] = {k: v and v._value_ for k, v in _AFTER.items()}
_AWAITING_PAYMENT, _CERTIFIED = S.AWAITING_PAYMENT._value_, S.CERTIFIED._value_
_READY = S.READY_FOR_PICKUP._value_


def status_after(name: str, state: dict[str, Any], current: str) -> str:
    """The request's status (its value) after event ``name`` with ``state``."""
    try:
        after = _AFTER_VALUES[name]
    except KeyError:
        raise UnhandledEvent(f"no rule for request event {name!r}") from None
    if after is not None:
        return after
    if name == "FeeAssessed" and state["total"] > 0:
        return _AWAITING_PAYMENT
    if name == "PickupCentreChanged" and state["transfer"] and current == _READY:
        return _CERTIFIED  # ready again once it arrives
    return current


_FINAL = frozenset(s._value_ for s in FINAL)
_REFUNDABLE = frozenset({S.CANCELLED._value_, S.REJECTED._value_})


def is_closed(status: str, paid: bool) -> bool:
    """Nothing more will happen (a cancelled or rejected paid request still awaits its refund)."""
    if status in _FINAL:
        return True
    return status in _REFUNDABLE and not paid


_SYRIA_OFFSET = SYRIA_TIME.utcoffset(None)


def syria_day(at: datetime) -> date:
    """The calendar day in Syria of a moment (centres and reports count days there)."""
    zone = at.tzinfo
    # Moments logged in Syria's own offset (nearly all) are already on its calendar: converting
    # them costs a datetime each, and several projections ask for every event's day.
    if type(zone) is timezone and zone.utcoffset(None) == _SYRIA_OFFSET:
        return at.date()
    return at.astimezone(SYRIA_TIME).date()


def plain(value: Any) -> Any:
    """Enum members as their values, for columns."""
    return value._value_ if isinstance(value, Enum) else value


def due_on(state: dict[str, Any]) -> date | None:
    clock = state.get("clock")
    if not clock:
        return None
    due = decode_value(clock["due_on"])  # the clock is left as stored: see decoding.UNREAD
    return date.fromisoformat(due) if isinstance(due, str) else due
