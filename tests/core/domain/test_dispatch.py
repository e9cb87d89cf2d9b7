"""Dispatch: the dispatcher's record of one request — parked steps, fallback, payment, notices."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from khidma.core.domain.dispatch import Dispatch, NotificationKind
from khidma.core.domain.errors import InvalidTransition, ValidationError
from khidma.core.domain.governorate import SYRIA_TIME

from .aggregates import assert_refused, names, replay

AT = datetime(2026, 3, 10, 9, 0, tzinfo=SYRIA_TIME)
NUMBER = "HMS-2026-0000007-3"
SUPERVISOR = uuid.uuid4()


def opened() -> Dispatch:
    return Dispatch.open(NUMBER, at=AT)


def test_one_record_per_request_its_id_follows_from_the_tracking_number() -> None:
    dispatch = opened()
    assert dispatch.id == Dispatch.id_for(NUMBER)
    assert dispatch.tracking_number == NUMBER
    assert names(dispatch) == ["Opened"]
    with pytest.raises(ValidationError) as raised:
        Dispatch.open("HMS-2026-0000007-5", at=AT)  # wrong check digit
    assert raised.value.field == "tracking_number"


def test_a_parked_step_waits_for_a_supervisor_and_goes_back_once() -> None:
    dispatch = opened()
    dispatch.park(step="forward", error="HTTP 503", attempts=5, at=AT)
    assert dispatch.parked["forward"]["attempts"] == 5
    with pytest.raises(InvalidTransition):
        dispatch.park(step="forward", error="again", attempts=6, at=AT)
    dispatch.retry(step="forward", by=SUPERVISOR, at=AT)
    assert dispatch.parked == {} and dispatch.retries == {"forward": 1}
    with pytest.raises(InvalidTransition):
        dispatch.retry(step="forward", by=SUPERVISOR, at=AT)
    assert names(dispatch) == ["Opened", "DispatchFailed", "DispatchRetried"]
    again = replay(dispatch)
    assert isinstance(again, Dispatch)
    assert again.retries == {"forward": 1} and again.parked == {}


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("step", {"step": "Forward!"}),
        ("attempts", {"attempts": 0}),
        ("attempts", {"attempts": True}),
        ("error", {"error": "x" * 501}),
        ("at", {"at": datetime(2026, 3, 10, 9, 0)}),  # no time zone
    ],
)
def test_parking_refuses_bad_input_naming_the_field(field: str, changes: dict[str, object]) -> None:
    dispatch = opened()
    args: dict[str, object] = {"step": "forward", "error": "down", "attempts": 3, "at": AT}
    assert_refused(field, lambda: dispatch.park(**{**args, **changes}), dispatch)  # type: ignore[arg-type]


def test_a_retry_names_its_supervisor() -> None:
    dispatch = opened()
    dispatch.park(step="notify", error="no SMS gateway", attempts=3, at=AT)
    assert_refused("by", lambda: dispatch.retry(step="notify", by="boss", at=AT), dispatch)  # type: ignore[arg-type]


def test_falling_back_to_reply_later_and_back() -> None:
    dispatch = opened()
    with pytest.raises(InvalidTransition):
        dispatch.resume_direct(at=AT)
    assert_refused(
        "promised_on",
        lambda: dispatch.fall_back(agency="civil_registry", promised_on=AT, at=AT),  # type: ignore[arg-type]
        dispatch,
    )
    dispatch.fall_back(agency="civil_registry", promised_on=date(2026, 3, 13), at=AT)
    with pytest.raises(InvalidTransition):
        dispatch.fall_back(agency="civil_registry", promised_on=date(2026, 3, 16), at=AT)
    assert dispatch.fell_back and dispatch.fallback_until == date(2026, 3, 13)
    dispatch.resume_direct(at=AT)
    assert not dispatch.fell_back
    assert names(dispatch)[1:] == ["FellBackToReplyLater", "DirectHandlingResumed"]


def test_a_payment_is_started_once_per_reference() -> None:
    dispatch = opened()
    start = {
        "provider": "sep", "payment_ref": "P-1", "page_url": "https://pay.example/P-1",
        "amount": 3500, "at": AT,
    }  # fmt: skip
    assert_refused("amount", lambda: dispatch.start_payment(**{**start, "amount": -1}), dispatch)  # type: ignore[arg-type]
    assert_refused(
        "page_url",
        lambda: dispatch.start_payment(**{**start, "page_url": "javascript:alert(1)"}),  # type: ignore[arg-type]
        dispatch,
    )
    dispatch.start_payment(**start)  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition):
        dispatch.start_payment(**start)  # type: ignore[arg-type]
    dispatch.start_payment(**{**start, "payment_ref": "P-2"})  # type: ignore[arg-type]
    assert dispatch.payment is not None and dispatch.payment["payment_ref"] == "P-2"


def test_a_notification_is_recorded_with_its_receipt_or_its_error() -> None:
    dispatch = opened()
    notice = {"kind": "ready_for_pickup", "channel": "sms", "language": "ar", "at": AT}
    dispatch.record_notification(**notice, receipt="SMS-77", error=None)  # type: ignore[arg-type]
    dispatch.record_notification(**notice, receipt=None, error="gateway down")  # type: ignore[arg-type]
    for receipt, error in ((None, None), ("SMS-78", "and an error")):
        assert_refused(
            "receipt",
            lambda: dispatch.record_notification(**notice, receipt=receipt, error=error),  # type: ignore[arg-type]  # noqa: B023
            dispatch,
        )
    assert_refused(
        "kind",
        lambda: dispatch.record_notification(
            **{**notice, "kind": "gossip"}, receipt="x", error=None
        ),  # type: ignore[arg-type]
        dispatch,
    )
    assert [n["kind"] for n in dispatch.notifications] == [NotificationKind.READY_FOR_PICKUP]
    assert names(dispatch)[1:] == ["NotificationSent", "NotificationFailed"]
    again = replay(dispatch)
    assert isinstance(again, Dispatch)
    assert again.notifications == dispatch.notifications
