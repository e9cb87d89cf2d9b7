"""ServiceRequest (معاملة): every transition and every illegal one, fees, payment, the agency."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from khidma.core.domain.calendar import ClockRule
from khidma.core.domain.catalog import Collector, Delivery
from khidma.core.domain.errors import InvalidTransition, ValidationError
from khidma.core.domain.lifecycle import ALLOWED_FROM, FINAL, Channel, Status
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import request_id

from .request_helpers import (
    AGENCY_FEE,
    ANSWERED_ON,
    AT,
    CALENDAR,
    CENTRE,
    CITIZEN,
    CLERK,
    COMMANDS,
    DAY,
    FEE,
    OTHER_CENTRE,
    OTHER_CLERK,
    PAID_ON,
    PATHS,
    SURCHARGE,
    THIRD_CENTRE,
    TRACKING,
    S,
    assess_free,
    by_post,
    names,
    reach,
    refused,
    refused_field,
    submit,
    typed,
)

# -- the table of transitions ----------------------------------------------------------------

RESULT: dict[str, Status] = {
    "assess the fee of": S.AWAITING_PAYMENT,
    "record payment for": S.PAID,
    "send to the agency": S.SENT_TO_AGENCY,
    "record the agency's acceptance of": S.AGENCY_PROCESSING,
    "ask for information on": S.INFO_REQUIRED,
    "provide information for": S.AGENCY_PROCESSING,
    "issue": S.ISSUED,
    "reject": S.REJECTED,
    "refund": S.REFUNDED,
    "certify": S.CERTIFIED,
    "mark ready": S.READY_FOR_PICKUP,
    "hand over": S.COLLECTED,
    "dispatch by post": S.DISPATCHED,
    "record delivery of": S.DELIVERED,
    "cancel": S.CANCELLED,
    "expire": S.EXPIRED,
}


def expected_after(command: str, status: Status) -> Status:
    if command == "change the pickup centre of":
        # A printed document is transferred; once ready, it must be marked ready again there.
        return S.CERTIFIED if status is S.READY_FOR_PICKUP else status
    return RESULT.get(command, status)  # a clerk or a note leaves the status as it was


ALLOWED = [(c, s) for c, states in ALLOWED_FROM.items() for s in Status if s in states]
ILLEGAL = [(c, s) for c, states in ALLOWED_FROM.items() for s in Status if s not in states]


def test_the_tables_cover_every_command_and_every_status() -> None:
    assert set(COMMANDS) == set(ALLOWED_FROM)
    keep_status = {"change the pickup centre of", "assign a clerk to", "add a note to"}
    assert set(RESULT) | keep_status == set(ALLOWED_FROM)
    assert set(PATHS) == set(Status)
    assert len(ALLOWED) + len(ILLEGAL) == len(ALLOWED_FROM) * len(Status)


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_every_status_is_reached_by_a_valid_path(status: Status) -> None:
    request = reach(status)
    assert request.status is status
    assert len(request.pending_events) == 1 + len(PATHS[status])


@pytest.mark.parametrize(("command", "status"), ALLOWED, ids=lambda v: str(v).replace(" ", "_"))
def test_each_allowed_transition(command: str, status: Status) -> None:
    # A free request is sent from SUBMITTED; only postal requests are dispatched.
    free = command == "send to the agency" and status is S.SUBMITTED
    request = reach(status, free=free, post=command == "dispatch by post")
    before = len(request.pending_events)
    COMMANDS[command](request)
    assert request.status is expected_after(command, status)
    assert len(request.pending_events) == before + 1


@pytest.mark.parametrize(("command", "status"), ILLEGAL, ids=lambda v: str(v).replace(" ", "_"))
def test_each_illegal_transition_is_refused_naming_command_and_state(
    command: str, status: Status
) -> None:
    request = reach(status)
    error = refused(request, lambda: COMMANDS[command](request), InvalidTransition)
    assert error.command == command
    assert error.state == status.value
    assert f"cannot {command} while {status.value}" in str(error)


# -- fee and payment -------------------------------------------------------------------------


def test_paid_service_waits_for_payment_then_starts_its_clock() -> None:
    request = reach(S.AWAITING_PAYMENT)
    assert request.fee == {
        "agency_fee": AGENCY_FEE,
        "surcharge": SURCHARGE,
        "total": FEE,
        "decision_ref": "DAM-2026/17",
        "assessed_on": DAY,
    }
    assert request.due_on is None and not request.is_paid
    COMMANDS["record payment for"](request)
    assert request.status is S.PAID and request.is_paid
    assert request.payment == {
        "payment_ref": "SEP-778812",
        "provider": "syrian_e_payments",
        "amount": FEE,
        "paid_at": AT + timedelta(days=1),
    }
    assert request.due_clock is not None and request.due_clock.started_on == PAID_ON


def test_free_service_skips_payment_and_is_sent_from_submitted() -> None:
    request = submit()
    assess_free(request)
    assert request.status is S.SUBMITTED
    assert request.fee is not None and request.fee["total"] == 0
    clock = request.due_clock
    assert clock is not None and clock.started_on == DAY  # the clock starts at assessment
    refused(request, lambda: COMMANDS["record payment for"](request), InvalidTransition)
    COMMANDS["send to the agency"](request)
    assert request.status is S.SENT_TO_AGENCY
    assert names(request) == ["Submitted", "FeeAssessed", "SentToAgency"]


def test_a_request_is_not_sent_before_its_fee_is_assessed() -> None:
    request = submit()
    error = refused(request, lambda: COMMANDS["send to the agency"](request), InvalidTransition)
    assert "fee not assessed" in str(error)


def test_the_fee_is_assessed_once() -> None:
    request = submit()
    assess_free(request)
    error = refused(request, lambda: assess_free(request), InvalidTransition)
    assert "already assessed" in str(error)


@pytest.mark.parametrize("bad", [-1, 1.5, 1000.0, "1000", True, None])
@pytest.mark.parametrize("field", ["agency_fee", "surcharge"])
def test_fee_must_be_whole_pounds_and_not_negative(field: str, bad: Any) -> None:
    request = submit()
    args: dict[str, Any] = {"agency_fee": 1000, "surcharge": 500, field: bad}
    call = lambda: request.assess_fee(  # noqa: E731
        **args, decision_ref=None, on=DAY, calendar=CALENDAR, at=AT
    )
    refused_field(request, field, call)


@pytest.mark.parametrize("amount", [FEE - 1, FEE + 1, 0, -FEE, float(FEE), 1500.5, True])
def test_payment_must_equal_the_fee_in_whole_pounds(amount: Any) -> None:
    request = reach(S.AWAITING_PAYMENT)
    call = lambda: request.record_payment(  # noqa: E731
        payment_ref="P-1", provider="bemo", amount=amount, on=PAID_ON, calendar=CALENDAR, at=AT
    )
    refused_field(request, "amount", call)


# -- the agency ------------------------------------------------------------------------------


def test_direct_access_goes_from_sent_to_issued_at_once() -> None:
    request = reach(S.SENT_TO_AGENCY, direct_access=True)
    COMMANDS["issue"](request)
    assert request.status is S.ISSUED
    assert request.document_reference == "DOC-99"
    assert request.agency_reference is None
    assert names(request) == [
        "Submitted",
        "FeeAssessed",
        "PaymentRecorded",
        "SentToAgency",
        "Issued",
    ]


def test_reply_later_agency_accepts_then_answers() -> None:
    request = reach(S.AGENCY_PROCESSING)
    assert request.agency_reference == "CR-2026-77"
    COMMANDS["issue"](request)
    assert request.status is S.ISSUED


def test_information_required_and_provided() -> None:
    request = reach(S.INFO_REQUIRED)
    assert request.information_requested == "صورة عن البطاقة الشخصية"
    refused_field(
        request,
        "answer",
        lambda: request.provide_information(answer={}, on=DAY, calendar=CALENDAR, at=AT),
    )
    COMMANDS["provide information for"](request)  # the clock resumes on ANSWERED_ON
    assert request.status is S.AGENCY_PROCESSING
    assert request.information_requested is None
    assert request.form == {"purpose": "عمل", "copies": 1, "id_card_copy": "scan-1.pdf"}
    # Asked again: not dated before the clock resumed, but on or after.
    refused_field(request, "on", lambda: COMMANDS["ask for information on"](request))
    request.ask_for_information(what="نسخة مصدقة", on=ANSWERED_ON, calendar=CALENDAR, at=AT)
    assert request.status is S.INFO_REQUIRED
    assert request.information_requested == "نسخة مصدقة"


def test_rejection_while_waiting_on_the_citizen() -> None:
    request = reach(S.INFO_REQUIRED)
    COMMANDS["reject"](request)
    assert request.status is S.REJECTED
    assert request.rejection_reason == "الطلاق غير مكتسب الدرجة القطعية"


def test_paid_then_rejected_is_refunded_the_amount_paid() -> None:
    request = reach(S.REJECTED)
    COMMANDS["refund"](request)
    assert request.status is S.REFUNDED
    assert request.refund == {
        "refund_ref": "RF-1",
        "amount": FEE,
        "refunded_at": AT + timedelta(days=13),
    }
    refused(request, lambda: COMMANDS["refund"](request), InvalidTransition)  # only once


def test_unpaid_rejected_request_is_not_refunded() -> None:
    request = reach(S.REJECTED, free=True)
    error = refused(request, lambda: COMMANDS["refund"](request), InvalidTransition)
    assert error.command == "refund" and "nothing was paid" in str(error)


# -- cancelling ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.SUBMITTED, S.AWAITING_PAYMENT, S.PAID])
def test_cancel_before_sending(status: Status) -> None:
    request = reach(status)
    COMMANDS["cancel"](request)
    assert request.status is S.CANCELLED


def test_paid_cancelled_request_is_refunded() -> None:
    request = reach(S.CANCELLED)
    COMMANDS["refund"](request)
    assert request.status is S.REFUNDED and request.refund is not None
    assert request.refund["amount"] == FEE


@pytest.mark.parametrize("free", [False, True])
def test_unpaid_cancelled_request_is_not_refunded(free: bool) -> None:
    request = submit()
    if free:
        assess_free(request)
    COMMANDS["cancel"](request)
    refused(request, lambda: COMMANDS["refund"](request), InvalidTransition)


def test_cancel_after_sending_is_refused() -> None:
    for status in (S.SENT_TO_AGENCY, S.AGENCY_PROCESSING, S.ISSUED, S.DISPATCHED):
        request = reach(status)
        error = refused(request, lambda r=request: COMMANDS["cancel"](r), InvalidTransition)
        assert (error.command, error.state) == ("cancel", status.value)


# -- clerks and notes ------------------------------------------------------------------------


def test_assign_clerk_and_add_notes() -> None:
    request = reach(S.SENT_TO_AGENCY)
    request.assign_clerk(clerk_id=CLERK, at=AT)
    assert request.clerk_id == CLERK
    refused_field(request, "clerk_id", lambda: request.assign_clerk(clerk_id=CLERK, at=AT))
    request.assign_clerk(clerk_id=OTHER_CLERK, at=AT)
    assert request.clerk_id == OTHER_CLERK
    request.add_note(text="  اتصل المواطن  ", by=CLERK, at=AT)
    assert request.notes == [{"text": "اتصل المواطن", "by": CLERK, "at": AT}]
    refused_field(request, "text", lambda: request.add_note(text="x" * 2001, by=CLERK, at=AT))
    refused_field(request, "text", lambda: request.add_note(text="   ", by=CLERK, at=AT))


# -- submission and its validation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "processing"),
    [
        ({}, CENTRE),  # filed at the counter
        ({"pickup_centre": OTHER_CENTRE}, CENTRE),  # the counter's centre comes first
        ({"pickup_centre": OTHER_CENTRE, "processing_centre": THIRD_CENTRE}, CENTRE),
        ({"channel": "portal", "origin_centre": None, "pickup_centre": OTHER_CENTRE}, OTHER_CENTRE),
        ({"channel": "app", "origin_centre": None, "processing_centre": THIRD_CENTRE}, CENTRE),
        (
            {
                **by_post(),
                "channel": "app",
                "origin_centre": None,
                "processing_centre": THIRD_CENTRE,
            },
            THIRD_CENTRE,
        ),
        ({**by_post(), "channel": "portal", "origin_centre": OTHER_CENTRE}, OTHER_CENTRE),
        (
            {
                **by_post(),
                "channel": "portal",
                "origin_centre": None,
                "processing_centre": "hms-٠١",
            },
            THIRD_CENTRE,
        ),
    ],
)
def test_every_request_has_a_processing_centre(overrides: dict[str, Any], processing: str) -> None:
    request = submit(**overrides)
    assert request.processing_centre == processing
    pickup = request.delivery is Delivery.PICKUP
    assert request.certifying_centre == (request.pickup_centre if pickup else processing)
    assert request.pending_events[0].processing_centre == processing


@pytest.mark.parametrize("field", ["origin_centre", "pickup_centre"])
def test_centre_codes_are_read_as_typed(field: str) -> None:
    request = submit(**{field: typed(OTHER_CENTRE)})
    assert getattr(request, field) == OTHER_CENTRE


@pytest.mark.parametrize("code", ["DAM 01", "DAM--01", "01-DAM", "DAM_01", "دمشق-01", "C" * 21])
@pytest.mark.parametrize("field", ["origin_centre", "pickup_centre", "processing_centre"])
def test_malformed_centre_codes_are_refused_naming_the_field(field: str, code: str) -> None:
    remote = {**by_post(), "channel": "portal", "origin_centre": None}
    with pytest.raises(ValidationError) as raised:
        submit(**(remote if field == "processing_centre" else {}), **{field: code})
    assert raised.value.field == field


def test_a_malformed_processing_centre_is_refused_even_when_it_is_not_needed() -> None:
    with pytest.raises(ValidationError) as raised:
        submit(processing_centre="C" * 21)
    assert raised.value.field == "processing_centre"


def test_the_pickup_centre_is_changed_as_typed_and_compared_normalised() -> None:
    request = reach(S.SUBMITTED)
    refused_field(
        request,
        "centre",
        lambda: request.change_pickup_centre(centre=typed(CENTRE), by=CITIZEN, at=AT),
    )
    request.change_pickup_centre(centre=typed(OTHER_CENTRE), by=CITIZEN, at=AT)
    assert request.pickup_centre == OTHER_CENTRE


def test_submit_normalises_and_derives_the_id_from_the_tracking_number() -> None:
    request = submit(
        tracking_number=" dam ٢٠٢٦ ٠٠٠٤٨٢١ ٣ ",
        channel="PORTAL",
        origin_centre=None,
        collectors=["self", Collector.PROXY, "SELF"],
        clock_rule="Restart",
    )
    assert request.tracking_number == TRACKING == "DAM-2026-0004821-3"
    assert request.id == request_id(TRACKING) == ServiceRequest.create_id(TRACKING)
    assert request.channel is Channel.PORTAL
    assert request.delivery is Delivery.PICKUP
    assert request.collectors == (Collector.PROXY, Collector.SELF)
    assert request.clock_rule is ClockRule.RESTART
    assert (request.status, request.submitted_at, request.version) == (S.SUBMITTED, AT, 1)


LONG = "x" * 1000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tracking_number": "DAM-2026-0004821-4"}, "tracking_number"),  # wrong check digit
        ({"tracking_number": "DAM-2026-4821-3"}, "tracking_number"),
        ({"tracking_number": 20260004821}, "tracking_number"),
        ({"channel": "fax"}, "channel"),
        ({"channel": None}, "channel"),
        ({"delivery": "drone"}, "delivery"),
        ({"collectors": ["self", "neighbour"]}, "collectors"),
        ({"collectors": []}, "collectors"),
        ({"clock_rule": "pause"}, "clock_rule"),
        ({"origin_centre": None}, "origin_centre"),  # filed at a counter
        ({"pickup_centre": None}, "pickup_centre"),
        ({"pickup_centre": ""}, "pickup_centre"),
        ({"delivery": "post_office", "post_office": None}, "post_office"),
        ({"delivery": "home", "home_address": None}, "home_address"),
        ({"delivery": "home", "home_address": "ش" * 301}, "home_address"),
        ({**by_post(), "post_office": "ب" * 201}, "post_office"),
        ({"service_code": LONG}, "service_code"),
        ({"service_code": "  "}, "service_code"),
        ({"agency_code": LONG}, "agency_code"),
        ({"turnaround_days": -1}, "turnaround_days"),
        ({"turnaround_days": 2.5}, "turnaround_days"),
        ({"turnaround_days": True}, "turnaround_days"),
        ({"validity_days": -30}, "validity_days"),
        ({"validity_days": "30"}, "validity_days"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_submission_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        submit(**overrides)
    assert raised.value.field == field, raised.value


def _command_with(name: str, **args: Any) -> Any:
    return lambda r: getattr(r, name)(**args)


@pytest.mark.parametrize(
    ("status", "call", "field"),
    [
        (S.SUBMITTED, _command_with("cancel", reason=LONG, by=CITIZEN, at=AT), "reason"),
        (S.SUBMITTED, _command_with("cancel", reason=" ", by=CITIZEN, at=AT), "reason"),
        (
            S.AWAITING_PAYMENT,
            _command_with(
                "record_payment",
                payment_ref="P" * 101,
                provider="bemo",
                amount=FEE,
                on=PAID_ON,
                calendar=CALENDAR,
                at=AT,
            ),
            "payment_ref",
        ),
        (
            S.AWAITING_PAYMENT,
            _command_with(
                "record_payment",
                payment_ref="P-1",
                provider="",
                amount=FEE,
                on=PAID_ON,
                calendar=CALENDAR,
                at=AT,
            ),
            "provider",
        ),
        (
            S.SENT_TO_AGENCY,
            _command_with("accept_at_agency", agency_reference="R" * 101, at=AT),
            "agency_reference",
        ),
        (
            S.SENT_TO_AGENCY,
            _command_with("ask_for_information", what=LONG * 2, on=DAY, calendar=CALENDAR, at=AT),
            "what",
        ),
        (
            S.SENT_TO_AGENCY,
            # before the clock started (on payment)
            _command_with("ask_for_information", what="?", on=DAY, calendar=CALENDAR, at=AT),
            "on",
        ),
        (
            S.INFO_REQUIRED,
            _command_with("provide_information", answer=["scan"], on=DAY, calendar=CALENDAR, at=AT),
            "answer",
        ),
        (
            S.INFO_REQUIRED,
            # before the clock stopped
            _command_with("provide_information", answer={"a": 1}, on=DAY, calendar=CALENDAR, at=AT),
            "on",
        ),
        (
            S.AGENCY_PROCESSING,
            _command_with("issue", document_reference="", at=AT),
            "document_reference",
        ),
        (S.AGENCY_PROCESSING, _command_with("reject", reason=LONG * 2, at=AT), "reason"),
        (S.REJECTED, _command_with("record_refund", refund_ref="R" * 101, at=AT), "refund_ref"),
        (S.ISSUED, _command_with("certify", clerk_id=CLERK, centre="C" * 21, at=AT), "centre"),
        (S.ISSUED, _command_with("certify", clerk_id=CLERK, centre="DAM 01", at=AT), "centre"),
        (
            S.CERTIFIED,
            _command_with("change_pickup_centre", centre=CENTRE, by=CITIZEN, at=AT),
            "centre",
        ),
        (
            S.SUBMITTED,
            _command_with("change_pickup_centre", centre="C" * 21, by=CITIZEN, at=AT),
            "centre",
        ),
    ],
)
def test_bad_command_arguments_are_refused_naming_the_field(
    status: Status, call: Any, field: str
) -> None:
    request = reach(status)
    refused_field(request, field, lambda: call(request))


def test_dispatch_arguments_are_checked() -> None:
    request = reach(S.CERTIFIED, post=True)
    call = lambda: request.dispatch_by_post(  # noqa: E731
        postal_tracking="T" * 51, clerk_id=CLERK, at=AT
    )
    refused_field(request, "postal_tracking", call)


# -- rules that look wrong (see the report) --------------------------------------------------


@pytest.mark.parametrize("field", ["origin_centre", "pickup_centre"])
def test_over_long_centre_codes_are_refused_at_submission(field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        submit(**{field: "C" * 500})
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({**by_post(), "post_office": "   "}, "post_office"),
        ({"delivery": "home", "home_address": " \t "}, "home_address"),
        ({"pickup_centre": "   "}, "pickup_centre"),
    ],
)
def test_blank_delivery_places_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        submit(**overrides)
    assert raised.value.field == field


def test_over_long_decision_ref_is_refused() -> None:
    request = submit()
    call = lambda: request.assess_fee(  # noqa: E731
        agency_fee=1, surcharge=0, decision_ref="D" * 500, on=DAY, calendar=CALENDAR, at=AT
    )
    refused_field(request, "decision_ref", call)


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        submit(at=datetime(2026, 3, 1, 9, 0))
    assert raised.value.field == "at"


def test_a_direct_access_request_is_not_left_waiting_for_the_agency() -> None:
    request = reach(S.SENT_TO_AGENCY, direct_access=True)
    error = refused(
        request, lambda: COMMANDS["record the agency's acceptance of"](request), InvalidTransition
    )
    assert (error.command, error.state) == ("record the agency's acceptance of", "sent_to_agency")
    assert "a direct-access agency issues at once" in str(error)
    COMMANDS["issue"](request)
    assert request.status is S.ISSUED


def test_nothing_but_a_note_runs_from_a_final_status() -> None:
    assert frozenset({S.COLLECTED, S.DELIVERED, S.EXPIRED, S.REFUNDED}) == FINAL
    for command, states in ALLOWED_FROM.items():
        if command != "add a note to":
            assert not states & FINAL, command


def test_a_cancelled_request_is_not_final_until_its_fee_is_refunded() -> None:
    assert S.CANCELLED not in FINAL
    assert S.CANCELLED in ALLOWED_FROM["refund"]
    request = reach(S.CANCELLED)
    COMMANDS["refund"](request)
    assert request.status in FINAL


def _spy_on(command: str, request: ServiceRequest) -> tuple[str, dict[str, Any]]:
    """The method COMMANDS[command] calls on ``request``, and its arguments, without calling it."""
    calls: list[tuple[str, dict[str, Any]]] = []

    class Spy:
        def __getattr__(self, name: str) -> Any:
            found = getattr(request, name)
            if not callable(found):
                return found
            return lambda **kwargs: calls.append((name, kwargs))

    COMMANDS[command](Spy())  # type: ignore[arg-type]
    assert len(calls) == 1, calls
    return calls[0]


NAIVE = datetime(2026, 3, 5, 9, 0)


@pytest.mark.parametrize(("command", "status"), ALLOWED, ids=lambda v: str(v).replace(" ", "_"))
@pytest.mark.parametrize("at", [NAIVE, NAIVE.date(), "2026-03-05T09:00:00+03:00", None])
def test_every_command_refuses_a_clock_without_a_time_zone(
    command: str, status: Status, at: Any
) -> None:
    free = command == "send to the agency" and status is S.SUBMITTED
    request = reach(status, free=free, post=command == "dispatch by post")
    method, args = _spy_on(command, request)
    assert isinstance(args["at"], datetime) and args["at"].tzinfo is not None
    refused_field(request, "at", lambda: getattr(request, method)(**{**args, "at": at}))
    getattr(request, method)(**args)  # the same call with an aware clock goes through
