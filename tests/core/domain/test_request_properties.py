"""ServiceRequest events round-trip through the store's mapper and replay after any commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from khidma.core.domain.calendar import ClockRule
from khidma.core.domain.catalog import Collector, Delivery
from khidma.core.domain.errors import DomainError
from khidma.core.domain.lifecycle import ALLOWED_FROM, Relation, Status
from khidma.core.domain.request import ServiceRequest

from .request_helpers import (
    AT,
    CALENDAR,
    CENTRE,
    CITIZEN,
    CLERK,
    COMMANDS,
    DAY,
    NN,
    NN_ARABIC_INDIC,
    OTHER_CENTRE,
    OTHER_CLERK,
    OTHER_PERSON,
    THIRD_CENTRE,
    S,
    reach,
    replay,
    state,
    submit,
    typed,
)

Arg = Any  # a value, or a function of the request giving one at call time


def fee_total(r: ServiceRequest) -> int:
    return 0 if r.fee is None else r.fee["total"]


def fee_total_plus_one(r: ServiceRequest) -> int:
    return fee_total(r) + 1


def pickup_centre(r: ServiceRequest) -> str | None:
    return r.pickup_centre


def document_centre(r: ServiceRequest) -> str:
    """The centre holding the printed document, else the one it will be sent to."""
    held = r.document_at or ""
    return held.removeprefix("centre:") if held.startswith("centre:") else r.certifying_centre


def document_centre_typed(r: ServiceRequest) -> str:
    return typed(document_centre(r))


def days_after_ready(n: int) -> Callable[[ServiceRequest], date]:
    def on(r: ServiceRequest) -> date:
        return (r.ready_since or DAY) + timedelta(days=n)

    on.__name__ = f"ready_since_plus_{n}"
    return on


def one_of(*values: Arg) -> st.SearchStrategy[Arg]:
    return st.sampled_from(values)


dates = st.integers(-3, 60).map(lambda n: DAY + timedelta(days=n))
NAIVE = AT.replace(tzinfo=None)
# Now and then a clock without a time zone, which every command refuses.
moments = st.integers(0, 420).map(lambda n: NAIVE if n > 400 else AT + timedelta(hours=n))
centres = one_of(pickup_centre, CENTRE, OTHER_CENTRE, THIRD_CENTRE, "C" * 21, " ", "dam-٠٢")
# Mostly where the document is (as typed, sometimes), so that certification goes through.
certify_centres = one_of(
    document_centre,
    document_centre,
    document_centre,
    document_centre_typed,
    *(CENTRE, THIRD_CENTRE),
)
texts = one_of("نص", "", "x" * 2001)
refs = one_of("REF-1", "", "R" * 101)
clerks = one_of(CLERK, OTHER_CLERK)

ARGUMENTS: dict[str, tuple[str, dict[str, st.SearchStrategy[Arg]]]] = {
    "assess the fee of": (
        "assess_fee",
        {
            "agency_fee": one_of(0, 1_000, 2_500, -1, 1.5),
            "surcharge": one_of(0, 500, -5, 0.5),
            "decision_ref": one_of(None, "DAM-2026/17"),
            "on": dates,
        },
    ),
    "record payment for": (
        "record_payment",
        {
            "payment_ref": refs,
            "provider": one_of("bemo", ""),
            "amount": one_of(fee_total, fee_total, fee_total_plus_one, 0, -1, 1_000.0),
            "on": dates,
        },
    ),
    "send to the agency": ("send_to_agency", {"by": one_of(CLERK, None)}),
    "record the agency's acceptance of": ("accept_at_agency", {"agency_reference": refs}),
    "ask for information on": ("ask_for_information", {"what": texts, "on": dates}),
    "provide information for": (
        "provide_information",
        {"answer": one_of({"id_card": "scan.pdf"}, {}, {"purpose": "سفر"}), "on": dates},
    ),
    "issue": ("issue", {"document_reference": refs}),
    "reject": ("reject", {"reason": texts}),
    "refund": ("record_refund", {"refund_ref": refs}),
    "certify": ("certify", {"clerk_id": clerks, "centre": certify_centres}),
    "mark ready": ("mark_ready", {"clerk_id": clerks, "on": dates}),
    "change the pickup centre of": ("change_pickup_centre", {"centre": centres, "by": clerks}),
    "hand over": (
        "hand_over",
        {
            "recipient": one_of("self", "first_degree_relative", "proxy", "stranger"),
            "recipient_citizen_id": one_of(CITIZEN, OTHER_PERSON),
            "recipient_national_number": one_of(NN, NN_ARABIC_INDIC, "123"),
            "relation": one_of("father", "spouse", "أم", " ابنة ", "cousin", None),
            "proxy_document": one_of("V-1", None, ""),
            "clerk_id": clerks,
            "centre": centres,
        },
    ),
    "dispatch by post": ("dispatch_by_post", {"postal_tracking": refs, "clerk_id": clerks}),
    "record delivery of": ("record_delivery", {}),
    "cancel": ("cancel", {"reason": texts, "by": one_of(CITIZEN, None)}),
    "expire": ("expire", {"on": st.integers(-2, 45).map(days_after_ready)}),
    "assign a clerk to": ("assign_clerk", {"clerk_id": clerks}),
    "add a note to": ("add_note", {"text": texts, "by": clerks}),
}
NEEDS_CALENDAR = {"assess_fee", "record_payment", "ask_for_information", "provide_information"}
COMMAND_NAMES = sorted(ALLOWED_FROM)


@st.composite
def new_requests(draw: st.DrawFn) -> ServiceRequest:
    delivery = draw(one_of("pickup", "post_office", "home"))
    channel = draw(one_of("counter", "portal", "app"))
    origin = CENTRE if channel == "counter" else draw(one_of(None, THIRD_CENTRE))
    pickup = draw(one_of(CENTRE, OTHER_CENTRE)) if delivery == "pickup" else None
    # Needed only by post from the portal or the app; otherwise given or not, it is not used.
    needed = origin is None and pickup is None
    processing = draw(one_of(OTHER_CENTRE, typed(THIRD_CENTRE), *([] if needed else [None])))
    return submit(
        direct_access=draw(st.booleans()),
        channel=channel,
        origin_centre=origin,
        delivery=delivery,
        pickup_centre=pickup,
        processing_centre=processing,
        post_office="البريد المركزي" if delivery == "post_office" else None,
        home_address="المزة، بناء 12" if delivery == "home" else None,
        collectors=sorted(draw(st.sets(st.sampled_from(list(Collector)), min_size=1))),
        turnaround_days=draw(st.integers(0, 15)),
        clock_rule=draw(st.sampled_from(list(ClockRule))),
        validity_days=draw(st.integers(0, 40)),
    )


# Commands that move a request along its usual path, drawn more often so that requests get far.
ONWARDS = frozenset(
    {"assess the fee of", "record payment for", "send to the agency", "issue", "certify"}
    | {"record the agency's acceptance of", "provide information for", "mark ready"}
    | {"hand over", "dispatch by post", "record delivery of", "refund", "expire"}
)


def command_call(
    data: st.DataObject, r: ServiceRequest
) -> tuple[str, Callable[[ServiceRequest], None]]:
    """A command and its call: mostly one the status allows with valid arguments, so requests
    move on; sometimes any command, or random (often invalid) arguments."""
    mode = data.draw(st.integers(0, 9), label="mode")
    allowed = [c for c in COMMAND_NAMES if r.status in ALLOWED_FROM[c]]
    if mode >= 3 and data.draw(st.integers(0, 3), label="onwards"):
        allowed = [c for c in allowed if c in ONWARDS] or allowed
    command = data.draw(st.sampled_from(COMMAND_NAMES if mode == 0 else allowed), label="command")
    if mode >= 3:
        return command, COMMANDS[command]
    method, strategies = ARGUMENTS[command]
    drawn = data.draw(st.fixed_dictionaries(strategies), label=command)
    at: datetime = data.draw(moments, label="at")

    def call(request: ServiceRequest) -> None:
        args = {k: v(request) if callable(v) else v for k, v in drawn.items()}
        if method in NEEDS_CALENDAR:
            args["calendar"] = CALENDAR
        getattr(request, method)(**args, at=at)

    return command, call


CLOCK_RUNS = frozenset(Status) - {S.SUBMITTED, S.AWAITING_PAYMENT, S.CANCELLED}
AFTER_THE_AGENCY = frozenset(
    {S.ISSUED, S.CERTIFIED, S.READY_FOR_PICKUP, S.DISPATCHED, S.COLLECTED, S.DELIVERED, S.EXPIRED}
)
AT_A_CENTRE = frozenset({S.ISSUED, S.CERTIFIED, S.READY_FOR_PICKUP, S.EXPIRED})


def check_step(command: str, before: dict[str, Any], r: ServiceRequest) -> None:
    """What a command that went through did to the document."""
    if command == "certify":
        assert r.custody == before["custody"]  # stamped where it is: no hand-off
        assert r.document_at == before["document_at"] == f"centre:{r.certifying_centre}"
    if command == "change the pickup centre of":
        printed = before["document_at"] is not None
        assert len(r.custody) == len(before["custody"]) + printed
        if printed:
            assert r.document_at == f"centre:{r.pickup_centre}" != before["document_at"]
        after = S.CERTIFIED if before["status"] is S.READY_FOR_PICKUP else before["status"]
        assert r.status is after


def check_invariants(r: ServiceRequest) -> None:
    assert isinstance(r.status, Status)
    assert r.updated_at.tzinfo is not None  # no command takes a clock without a time zone
    if r.fee is not None:
        fee = r.fee
        assert all(type(fee[k]) is int and fee[k] >= 0 for k in ("agency_fee", "surcharge"))
        assert fee["total"] == fee["agency_fee"] + fee["surcharge"]
    # Paid means the whole fee, in whole pounds.
    if r.payment is not None:
        assert r.fee is not None and r.payment["amount"] == r.fee["total"] > 0
    # Refunds only what was paid, once.
    if r.refund is not None:
        assert r.payment is not None and r.refund["amount"] == r.payment["amount"]
    assert (r.status is S.REFUNDED) == (r.refund is not None)
    # The clock runs once the fee is paid, or at once for a free request.
    started = r.payment is not None or (r.fee is not None and r.fee["total"] == 0)
    assert (r.due_on is not None) == started
    if r.status in CLOCK_RUNS:
        assert r.due_on is not None, r.status
    clock = r.due_clock
    if r.status is S.INFO_REQUIRED:
        assert clock is not None and clock.is_paused
    if r.status in AFTER_THE_AGENCY | {S.SENT_TO_AGENCY, S.AGENCY_PROCESSING}:
        assert clock is not None and not clock.is_paused
    if clock is not None:
        assert clock.working_days_used >= 0
        if clock.is_paused and clock.since is not None:
            assert clock.paused_since is not None and clock.since <= clock.paused_since
    # Every request is processed somewhere named; the document goes where it is stamped.
    assert r.processing_centre in {CENTRE, OTHER_CENTRE, THIRD_CENTRE}
    pickup = r.delivery is Delivery.PICKUP
    assert r.certifying_centre == (r.pickup_centre if pickup else r.processing_centre)
    # The document's custody is one unbroken chain from the agency, between named places.
    assert bool(r.custody) == (r.document_reference is not None) == (r.status in AFTER_THE_AGENCY)
    if r.custody:
        assert r.custody[0]["from"] == f"agency:{r.agency_code}"
        if not pickup:
            assert r.custody[0]["to"] == f"centre:{r.processing_centre}"
        for before, after in zip(r.custody, r.custody[1:], strict=False):
            assert after["from"] == before["to"]
        assert r.document_at == r.custody[-1]["to"]
        assert all("None" not in h["from"] + h["to"] for h in r.custody)
    if r.status in AT_A_CENTRE:
        assert r.document_at == f"centre:{r.certifying_centre}"
    if r.status is S.READY_FOR_PICKUP:
        assert r.ready_since is not None and r.document_at == f"centre:{r.pickup_centre}"
    if r.status in {S.COLLECTED, S.DELIVERED}:
        assert r.custody[-1]["to"].startswith("citizen:")
    assert (r.status is S.COLLECTED) == (r.collected_by is not None)
    if r.collected_by is not None:
        taken = r.collected_by
        assert taken["recipient"] in r.collectors
        assert taken["national_number"] == NN
        assert (taken["citizen_id"] == r.citizen_id) == (taken["recipient"] is Collector.SELF)
        relative = taken["recipient"] is Collector.FIRST_DEGREE_RELATIVE
        assert isinstance(taken["relation"], Relation) if relative else taken["relation"] is None


@settings(max_examples=200)
@given(request=new_requests(), data=st.data())
def test_random_commands_keep_the_invariants_and_replay_to_the_same_state(
    request: ServiceRequest, data: st.DataObject
) -> None:
    check_invariants(request)
    for _ in range(data.draw(st.integers(0, 30), label="steps")):
        before = state(request)
        command, call = command_call(data, request)
        try:
            call(request)
        except DomainError:
            assert state(request) == before, command  # a failed command records nothing
        else:
            assert len(request.pending_events) == before["pending"] + 1
            assert before["status"] in ALLOWED_FROM[command]
            if before["clock"] is not None:
                assert request.clock is not None  # once started, the clock is never lost
            check_step(command, before, request)
        check_invariants(request)
    event(f"ended {request.status.value}")
    happened = {type(e).__name__ for e in request.pending_events}
    for name in ("Certified", "PickupCentreChanged", "Collected"):
        if name in happened:
            event(f"recorded {name}")
    if any(
        h["from"].startswith("centre:") and h["to"].startswith("centre:") for h in request.custody
    ):
        event("moved between centres")
    assert vars(replay(request)) == vars(request)


# -- events ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_events_round_trip_through_the_store_mapper_and_replay(status: Status) -> None:
    request = reach(status)
    request.add_note(text="ملاحظة", by=CLERK, at=AT)
    assert vars(replay(request)) == vars(request)


def test_info_loop_and_pickup_change_replay() -> None:
    request = reach(S.INFO_REQUIRED, clock_rule="restart", channel="app", origin_centre=None)
    COMMANDS["provide information for"](request)
    COMMANDS["assign a clerk to"](request)
    COMMANDS["issue"](request)
    COMMANDS["certify"](request)
    COMMANDS["change the pickup centre of"](request)
    assert vars(replay(request)) == vars(request)
