"""ServiceRequest: the printed document's custody, who may collect it, expiry, and due dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from khidma.core.domain.calendar import ClockRule, DueClock
from khidma.core.domain.catalog import Collector
from khidma.core.domain.errors import DomainError, InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.lifecycle import FIRST_DEGREE, Relation, Status
from khidma.core.domain.request import ServiceRequest

from .request_helpers import (
    ANSWERED_ON,
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
    PAID_ON,
    PATHS,
    READY_ON,
    THIRD_CENTRE,
    S,
    assess_free,
    by_post,
    reach,
    refused,
    refused_field,
    replay,
    submit,
    typed,
)

LATER = AT + timedelta(days=20)
HOME = {"delivery": "home", "post_office": None, "home_address": "دمشق، المزة، بناء 12"}


def hops(request: ServiceRequest) -> list[tuple[str, str, Any]]:
    """The custody chain as (from, to, by)."""
    return [(h["from"], h["to"], h["by"]) for h in request.custody]


def change_to(request: ServiceRequest, centre: str, by: Any = CITIZEN) -> None:
    request.change_pickup_centre(centre=centre, by=by, at=LATER)


# -- the chain of custody --------------------------------------------------------------------


def test_agency_to_pickup_centre_to_the_citizen() -> None:
    request = reach(S.ISSUED)
    assert hops(request) == [("agency:civil_registry", f"centre:{CENTRE}", None)]
    assert request.document_at == f"centre:{CENTRE}"
    COMMANDS["certify"](request)  # stamped where it already is: no hand-off
    COMMANDS["mark ready"](request)
    assert (request.status, request.ready_since) == (S.READY_FOR_PICKUP, READY_ON)
    COMMANDS["hand over"](request)
    assert hops(request) == [
        ("agency:civil_registry", f"centre:{CENTRE}", None),
        (f"centre:{CENTRE}", "citizen:self", CLERK),
    ]
    assert request.custody[-1]["at"] == AT + timedelta(days=15)
    assert request.document_at == "citizen:self"


@pytest.mark.parametrize(
    "status",
    [S.SUBMITTED, S.AWAITING_PAYMENT, S.PAID, S.SENT_TO_AGENCY, S.AGENCY_PROCESSING],
    ids=str,
)
def test_pickup_centre_changed_before_issue_moves_nothing(status: Status) -> None:
    request = reach(status)
    change_to(request, typed(OTHER_CENTRE))
    assert request.status is status and request.custody == []
    assert request.pickup_centre == OTHER_CENTRE and request.document_at is None
    assert request.processing_centre == CENTRE  # still filed and processed at the counter
    for name in PATHS[S.ISSUED][len(PATHS[status]) :]:
        COMMANDS[name](request)
    assert hops(request) == [("agency:civil_registry", f"centre:{OTHER_CENTRE}", None)]


def test_pickup_centre_changed_while_information_is_required_moves_nothing() -> None:
    request = reach(S.INFO_REQUIRED)
    change_to(request, OTHER_CENTRE)
    assert request.status is S.INFO_REQUIRED and request.custody == []
    COMMANDS["provide information for"](request)
    COMMANDS["issue"](request)
    assert request.document_at == f"centre:{OTHER_CENTRE}"  # the agency sends it there


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (S.ISSUED, S.ISSUED),  # still to be stamped, now at the new centre
        (S.CERTIFIED, S.CERTIFIED),
        (S.READY_FOR_PICKUP, S.CERTIFIED),  # ready again once marked so at the new centre
    ],
    ids=str,
)
def test_a_pickup_change_moves_a_printed_document_with_a_hand_off(
    status: Status, after: Status
) -> None:
    request = reach(status)
    before = hops(request)
    change_to(request, typed(OTHER_CENTRE), by=OTHER_CLERK)
    assert request.status is after and request.pickup_centre == OTHER_CENTRE
    assert hops(request) == [*before, (f"centre:{CENTRE}", f"centre:{OTHER_CENTRE}", OTHER_CLERK)]
    assert request.custody[-1]["at"] == LATER
    assert request.document_at == f"centre:{OTHER_CENTRE}" == f"centre:{request.certifying_centre}"
    assert vars(replay(request)) == vars(request)


def test_pickup_centre_changed_after_certification_transfers_the_document() -> None:
    request = reach(S.CERTIFIED)
    change_to(request, OTHER_CENTRE, by=OTHER_CLERK)
    assert request.status is S.CERTIFIED and request.pickup_centre == OTHER_CENTRE
    assert hops(request)[-1] == (f"centre:{CENTRE}", f"centre:{OTHER_CENTRE}", OTHER_CLERK)
    assert request.custody[-1]["at"] == LATER
    COMMANDS["mark ready"](request)
    assert request.status is S.READY_FOR_PICKUP
    request.hand_over(
        recipient="self",
        recipient_citizen_id=CITIZEN,
        recipient_national_number=NN,
        clerk_id=OTHER_CLERK,
        centre=OTHER_CENTRE,
        at=LATER,
    )
    assert hops(request)[-1] == (f"centre:{OTHER_CENTRE}", "citizen:self", OTHER_CLERK)
    assert vars(replay(request)) == vars(request)


def test_pickup_centre_changed_when_ready_goes_back_to_certified() -> None:
    request = reach(S.READY_FOR_PICKUP)
    change_to(request, OTHER_CENTRE)
    assert request.status is S.CERTIFIED
    assert request.document_at == f"centre:{OTHER_CENTRE}"
    # Not collectable, nor expiring, until marked ready at the new centre.
    refused(request, lambda: COMMANDS["hand over"](request), InvalidTransition)
    refused(request, lambda: COMMANDS["expire"](request), InvalidTransition)
    request.mark_ready(clerk_id=CLERK, on=READY_ON + timedelta(days=3), at=LATER)
    assert request.ready_since == READY_ON + timedelta(days=3)


@pytest.mark.parametrize("centre", [OTHER_CENTRE, THIRD_CENTRE])
def test_certify_away_from_the_document_is_refused_and_records_nothing(centre: str) -> None:
    request = reach(S.ISSUED)
    call = lambda: request.certify(clerk_id=OTHER_CLERK, centre=typed(centre), at=LATER)  # noqa: E731
    error = refused(request, call, NotAllowed)
    assert error.action == "certify"
    assert error.reason == f"the document is at centre:{CENTRE}, not at {centre}"
    request.certify(clerk_id=OTHER_CLERK, centre=typed(CENTRE), at=LATER)  # where it is
    assert (request.status, request.certified_by) == (S.CERTIFIED, OTHER_CLERK)
    assert hops(request) == [("agency:civil_registry", f"centre:{CENTRE}", None)]


@pytest.mark.parametrize(
    ("overrides", "processing", "certifying"),
    [
        ({}, CENTRE, CENTRE),
        ({"pickup_centre": OTHER_CENTRE}, CENTRE, OTHER_CENTRE),  # filed here, collected there
        (
            {"channel": "app", "origin_centre": None, "pickup_centre": OTHER_CENTRE},
            OTHER_CENTRE,
            OTHER_CENTRE,
        ),
        (by_post(), CENTRE, CENTRE),
        (
            {
                **by_post(),
                "channel": "portal",
                "origin_centre": None,
                "processing_centre": THIRD_CENTRE,
            },
            THIRD_CENTRE,
            THIRD_CENTRE,
        ),
        (
            {**by_post(), **HOME, "origin_centre": THIRD_CENTRE},
            THIRD_CENTRE,
            THIRD_CENTRE,
        ),
    ],
)
def test_the_agency_sends_the_document_to_the_certifying_centre(
    overrides: dict[str, Any], processing: str, certifying: str
) -> None:
    request = reach(S.ISSUED, **overrides)
    assert (request.processing_centre, request.certifying_centre) == (processing, certifying)
    assert hops(request) == [("agency:civil_registry", f"centre:{certifying}", None)]
    request.certify(clerk_id=CLERK, centre=certifying, at=LATER)
    assert request.status is S.CERTIFIED and request.document_at == f"centre:{certifying}"


def test_posted_document_is_dispatched_then_delivered() -> None:
    request = reach(S.DELIVERED, **HOME)
    assert [h[1] for h in hops(request)] == [f"centre:{CENTRE}", "post", "citizen:home"]
    assert hops(request)[1] == (f"centre:{CENTRE}", "post", CLERK)
    assert request.postal_tracking == "SYP-123456"


def test_delivery_by_post_is_neither_marked_ready_nor_moved_between_centres() -> None:
    request = reach(S.CERTIFIED, post=True)
    error = refused(request, lambda: COMMANDS["mark ready"](request), InvalidTransition)
    assert "by post" in str(error)
    refused(request, lambda: change_to(request, OTHER_CENTRE), InvalidTransition)


def test_a_document_for_pickup_is_not_posted() -> None:
    request = reach(S.CERTIFIED)
    error = refused(request, lambda: COMMANDS["dispatch by post"](request), InvalidTransition)
    assert error.command == "dispatch by post"


@pytest.mark.parametrize("channel", ["portal", "app"])
@pytest.mark.parametrize("delivery", [by_post(), {**by_post(), **HOME}])
def test_a_remote_request_by_post_is_refused_without_a_processing_centre(
    channel: str, delivery: dict[str, Any]
) -> None:
    for missing in (None, "", "   "):
        with pytest.raises(ValidationError) as raised:
            submit(channel=channel, origin_centre=None, processing_centre=missing, **delivery)
        assert raised.value.field == "processing_centre"
        assert "required" in raised.value.message


def test_a_portal_request_delivered_by_post_goes_through_its_processing_centre() -> None:
    request = reach(
        S.DELIVERED, channel="portal", origin_centre=None, processing_centre=typed(THIRD_CENTRE)
    )
    assert request.processing_centre == THIRD_CENTRE == request.certifying_centre
    assert hops(request) == [
        ("agency:civil_registry", f"centre:{THIRD_CENTRE}", None),
        (f"centre:{THIRD_CENTRE}", "post", CLERK),
        ("post", "citizen:post_office", None),
    ]


def test_a_pickup_change_after_issue_is_certified_at_the_new_centre_only() -> None:
    request = reach(S.ISSUED)
    change_to(request, OTHER_CENTRE)
    assert request.status is S.ISSUED
    assert request.document_at == f"centre:{OTHER_CENTRE}"
    call = lambda: request.certify(clerk_id=CLERK, centre=CENTRE, at=LATER)  # noqa: E731
    error = refused(request, call, NotAllowed)  # the paper has left the old centre
    assert error.reason == f"the document is at centre:{OTHER_CENTRE}, not at {CENTRE}"
    custody = hops(request)
    request.certify(clerk_id=CLERK, centre=OTHER_CENTRE, at=LATER)
    assert hops(request) == custody  # stamped where it is: no hand-off
    assert custody[-1] == (f"centre:{CENTRE}", f"centre:{OTHER_CENTRE}", CITIZEN)
    COMMANDS["mark ready"](request)
    hand_over(request, centre=OTHER_CENTRE)
    assert request.document_at == "citizen:self"


# -- who may collect -------------------------------------------------------------------------


def hand_over(request: ServiceRequest, **overrides: Any) -> None:
    args: dict[str, Any] = {
        "recipient": "self",
        "recipient_citizen_id": CITIZEN,
        "recipient_national_number": NN,
        "clerk_id": CLERK,
        "centre": CENTRE,
        "at": LATER,
    }
    request.hand_over(**{**args, **overrides})


RELATIVE = {"recipient": "first_degree_relative", "recipient_citizen_id": OTHER_PERSON}
PROXY = {"recipient": "proxy", "recipient_citizen_id": OTHER_PERSON}


def test_the_citizen_themself_collects() -> None:
    request = reach(S.READY_FOR_PICKUP, collectors=["self"])
    hand_over(request)
    assert request.status is S.COLLECTED
    assert request.collected_by == {
        "recipient": Collector.SELF,
        "citizen_id": CITIZEN,
        "national_number": NN,
        "relation": None,
        "proxy_document": None,
    }
    assert vars(replay(request)) == vars(request)


def test_national_number_in_arabic_indic_digits_is_accepted() -> None:
    request = reach(S.READY_FOR_PICKUP)
    hand_over(request, recipient_national_number=f" {NN_ARABIC_INDIC[:5]}-{NN_ARABIC_INDIC[5:]}")
    assert request.collected_by is not None and request.collected_by["national_number"] == NN


@pytest.mark.parametrize("number", ["0123456789", "012345678901", "0123456789a", ""])
def test_malformed_national_number_is_refused(number: str) -> None:
    request = reach(S.READY_FOR_PICKUP)
    refused_field(
        request,
        "recipient_national_number",
        lambda: hand_over(request, recipient_national_number=number),
    )


def test_someone_else_collecting_as_the_citizen_is_refused() -> None:
    request = reach(S.READY_FOR_PICKUP)
    error = refused(
        request, lambda: hand_over(request, recipient_citizen_id=OTHER_PERSON), NotAllowed
    )
    assert error.action == "hand over"
    assert "not the citizen who filed the request" in error.reason


@pytest.mark.parametrize("relation", sorted(FIRST_DEGREE))
def test_a_first_degree_relative_collects_when_the_service_allows(relation: str) -> None:
    request = reach(S.READY_FOR_PICKUP, collectors=["self", "first_degree_relative"])
    hand_over(request, **RELATIVE, relation=relation, proxy_document="ignored")
    assert request.collected_by == {
        "recipient": Collector.FIRST_DEGREE_RELATIVE,
        "citizen_id": OTHER_PERSON,
        "national_number": NN,
        "relation": Relation(relation),
        "proxy_document": None,
    }
    assert request.collected_by["relation"] is Relation(relation)
    assert request.custody[-1]["to"] == "citizen:first_degree_relative"
    rebuilt = replay(request)
    assert vars(rebuilt) == vars(request) and rebuilt.collected_by["relation"] is Relation(relation)


@pytest.mark.parametrize(
    ("typed_relation", "relation"),
    [
        ("أب", Relation.FATHER),
        ("الأب", Relation.FATHER),
        ("أم", Relation.MOTHER),
        ("الأم", Relation.MOTHER),
        ("ابن", Relation.SON),
        ("ابنة", Relation.DAUGHTER),
        ("بنت", Relation.DAUGHTER),
        ("زوج", Relation.SPOUSE),
        (" زوجة ", Relation.SPOUSE),
        ("MOTHER", Relation.MOTHER),
        (" Daughter ", Relation.DAUGHTER),
        (Relation.SON, Relation.SON),
    ],
)
def test_a_relation_is_given_in_arabic_or_english(typed_relation: str, relation: Relation) -> None:
    assert Relation.parse(typed_relation) is relation
    request = reach(S.READY_FOR_PICKUP)
    hand_over(request, **RELATIVE, relation=typed_relation)
    assert request.collected_by is not None and request.collected_by["relation"] is relation
    assert request.pending_events[-1].relation is relation  # the event holds the member
    assert vars(replay(request)) == vars(request)


@pytest.mark.parametrize("relation", ["brother", "uncle", "cousin", "neighbour", "أخ", "عم", 3])
def test_other_relations_are_refused_naming_the_field(relation: object) -> None:
    request = reach(S.READY_FOR_PICKUP)
    refused_field(request, "relation", lambda: hand_over(request, **RELATIVE, relation=relation))
    with pytest.raises(ValidationError) as raised:
        hand_over(request, **RELATIVE, relation=relation)
    assert all(r in raised.value.message for r in FIRST_DEGREE)  # says what is accepted


@pytest.mark.parametrize("relation", ["", "   ", None])
def test_a_relative_must_say_how_they_are_related(relation: str | None) -> None:
    request = reach(S.READY_FOR_PICKUP)
    refused_field(request, "relation", lambda: hand_over(request, **RELATIVE, relation=relation))
    with pytest.raises(ValidationError) as raised:
        hand_over(request, **RELATIVE, relation=relation)
    assert raised.value.message == "required for a first-degree relative"


def test_a_relative_is_refused_when_the_service_does_not_allow_it() -> None:
    request = reach(S.READY_FOR_PICKUP, collectors=["self", "proxy"])
    error = refused(request, lambda: hand_over(request, **RELATIVE, relation="mother"), NotAllowed)
    assert "collected only by: proxy, self" in error.reason


def test_a_proxy_with_a_proxy_document_collects_when_the_service_allows() -> None:
    request = reach(S.READY_FOR_PICKUP, collectors=["self", "proxy"])
    hand_over(request, **PROXY, proxy_document=" وكالة 1234/2026 ", relation="friend")
    assert request.collected_by == {
        "recipient": Collector.PROXY,
        "citizen_id": OTHER_PERSON,
        "national_number": NN,
        "relation": None,  # only a relative's relation is recorded
        "proxy_document": "وكالة 1234/2026",
    }


@pytest.mark.parametrize("document", [None, "", "   ", "P" * 51])
def test_a_proxy_needs_a_proxy_document(document: str | None) -> None:
    request = reach(S.READY_FOR_PICKUP)
    refused_field(
        request, "proxy_document", lambda: hand_over(request, **PROXY, proxy_document=document)
    )


def test_a_proxy_is_refused_when_the_service_does_not_allow_it() -> None:
    request = reach(S.READY_FOR_PICKUP, collectors=["self", "first_degree_relative"])
    error = refused(request, lambda: hand_over(request, **PROXY, proxy_document="V-1"), NotAllowed)
    assert "collected only by: first_degree_relative, self" in error.reason


@pytest.mark.parametrize("kind", [RELATIVE, PROXY])
def test_the_citizen_does_not_collect_as_a_relative_or_proxy(kind: dict[str, Any]) -> None:
    request = reach(S.READY_FOR_PICKUP)
    call = lambda: hand_over(  # noqa: E731
        request, **{**kind, "recipient_citizen_id": CITIZEN}, relation="son", proxy_document="V-1"
    )
    refused_field(request, "recipient", call)


def test_an_unknown_kind_of_recipient_is_refused() -> None:
    request = reach(S.READY_FOR_PICKUP)
    refused_field(request, "recipient", lambda: hand_over(request, recipient="friend"))


def test_collection_at_the_wrong_centre_is_refused() -> None:
    request = reach(S.READY_FOR_PICKUP)
    error = refused(request, lambda: hand_over(request, centre=OTHER_CENTRE), NotAllowed)
    assert error.reason == f"the document is collected at {CENTRE}"


@pytest.mark.parametrize("centre", ["", "DAM 01", "DAM--01", "01-DAM", "C" * 21])
def test_a_malformed_hand_over_centre_is_refused_naming_it(centre: str) -> None:
    request = reach(S.READY_FOR_PICKUP)
    refused_field(request, "centre", lambda: hand_over(request, centre=centre))


def test_the_hand_over_centre_is_read_as_typed() -> None:
    request = reach(S.READY_FOR_PICKUP)
    hand_over(request, centre=typed(CENTRE))
    assert hops(request)[-1] == (f"centre:{CENTRE}", "citizen:self", CLERK)


def test_relation_is_normalised_like_other_choices() -> None:
    request = reach(S.READY_FOR_PICKUP)
    hand_over(request, **RELATIVE, relation=" Father ")
    assert request.collected_by is not None
    assert request.collected_by["relation"] is Relation.FATHER


# -- expiry ----------------------------------------------------------------------------------


def test_expiry_only_after_validity_days_since_ready() -> None:
    request = reach(S.READY_FOR_PICKUP, validity_days=10)
    for days in (-1, 0, 9):
        on = READY_ON + timedelta(days=days)
        error = refused(request, lambda on=on: request.expire(on=on, at=LATER), InvalidTransition)
        assert (error.command, error.state) == ("expire", "ready_for_pickup")
        assert "valid 10 days" in str(error)
    request.expire(on=READY_ON + timedelta(days=10), at=LATER)
    assert request.status is S.EXPIRED
    refused(request, lambda: hand_over(request), InvalidTransition)


def test_expiry_counts_from_the_latest_ready_date() -> None:
    request = reach(S.READY_FOR_PICKUP, validity_days=10)
    change_to(request, OTHER_CENTRE)
    request.mark_ready(clerk_id=CLERK, on=READY_ON + timedelta(days=5), at=LATER)
    refused(request, lambda: request.expire(on=READY_ON + timedelta(days=10), at=LATER))
    request.expire(on=READY_ON + timedelta(days=15), at=LATER)
    assert request.status is S.EXPIRED


# -- due dates on working days ---------------------------------------------------------------


def test_free_request_clock_starts_at_assessment_and_skips_weekend_and_holiday() -> None:
    request = submit(turnaround_days=5)
    assess_free(request)  # Sunday 1 March
    # Mon 2 .. Thu 5 are days 1-4; Fri 6, Sat 7 and the holiday on Sun 8 are off.
    assert request.due_clock == DueClock(5, DAY, 0, None, date(2026, 3, 9))
    assert request.due_on == date(2026, 3, 9)


def test_paid_request_clock_starts_at_payment() -> None:
    request = reach(S.AWAITING_PAYMENT)
    assert request.due_clock is None  # waiting on the citizen's payment
    COMMANDS["record payment for"](request)  # Monday 2 March
    assert request.due_on == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("rule", "due"),
    [
        ("continue", date(2026, 3, 17)),  # 2 days used, 3 left after Thursday 12 March
        ("restart", date(2026, 3, 19)),  # the full 5 from Thursday 12 March
    ],
)
def test_clock_pauses_on_information_required_then_continues_or_restarts(
    rule: str, due: date
) -> None:
    request = reach(S.AGENCY_PROCESSING, clock_rule=rule)  # paid Mon 2, due Tue 10 March
    COMMANDS["ask for information on"](request)  # Wednesday 4 March
    clock = request.due_clock
    assert clock is not None and clock.is_paused
    assert (clock.paused_since, clock.working_days_used) == (date(2026, 3, 4), 2)
    assert request.due_on == date(2026, 3, 10)  # what was due when the clock stopped
    COMMANDS["provide information for"](request)  # Thursday 12 March
    assert request.due_clock is not None and not request.due_clock.is_paused
    assert request.due_on == due


def test_a_second_pause_adds_to_the_days_used() -> None:
    request = reach(S.INFO_REQUIRED)
    COMMANDS["provide information for"](request)  # due Tue 17 March
    request.ask_for_information(what="?", on=date(2026, 3, 15), calendar=CALENDAR, at=LATER)
    assert request.due_clock is not None and request.due_clock.working_days_used == 3
    request.provide_information(answer={"a": 1}, on=date(2026, 3, 16), calendar=CALENDAR, at=LATER)
    assert request.due_on == date(2026, 3, 18)


def test_restart_skips_the_next_holiday() -> None:
    request = reach(S.INFO_REQUIRED, clock_rule="restart")
    request.provide_information(answer={"a": 1}, on=date(2026, 3, 19), calendar=CALENDAR, at=LATER)
    # Thu 19 → Mon 23 .. Thu 26 are days 1-4 (Sun 22 is a holiday), Sun 29 is day 5.
    assert request.due_on == date(2026, 3, 29)


def test_information_asked_before_the_clock_last_resumed_is_refused() -> None:
    request = reach(S.INFO_REQUIRED)
    COMMANDS["provide information for"](request)  # resumed Thu 12 March, 2 days used
    call = lambda: request.ask_for_information(  # noqa: E731
        what="?", on=date(2026, 3, 5), calendar=CALENDAR, at=LATER
    )
    refused_field(request, "on", call)  # else it would count -2 working days used
    assert request.due_clock is not None and request.due_clock.since == ANSWERED_ON
    # On the day it resumed is fine: nothing more is used.
    request.ask_for_information(what="?", on=ANSWERED_ON, calendar=CALENDAR, at=LATER)
    clock = request.due_clock
    assert clock is not None and (clock.paused_since, clock.working_days_used) == (ANSWERED_ON, 2)


def test_the_clock_remembers_when_it_last_ran() -> None:
    request = reach(S.AGENCY_PROCESSING)  # paid Monday 2 March
    assert request.due_clock is not None and request.due_clock.since is None  # never resumed
    refused_field(  # the day before payment: the clock was not running yet
        request,
        "on",
        lambda: request.ask_for_information(
            what="?", on=PAID_ON - timedelta(days=1), calendar=CALENDAR, at=LATER
        ),
    )
    COMMANDS["ask for information on"](request)
    assert request.due_clock is not None and request.due_clock.since is None  # a pause keeps it
    COMMANDS["provide information for"](request)
    assert request.clock is not None and request.clock["since"] == ANSWERED_ON
    assert request.due_clock == DueClock(5, PAID_ON, 2, None, date(2026, 3, 17), ANSWERED_ON)
    assert DueClock.from_dict(request.due_clock.to_dict()) == request.due_clock
    assert vars(replay(request)) == vars(request)


def test_a_clock_stored_before_since_existed_still_loads() -> None:
    raw = DueClock(5, PAID_ON, 2, None, date(2026, 3, 17), ANSWERED_ON).to_dict()
    del raw["since"]
    clock = DueClock.from_dict(raw)
    assert clock.since is None
    # Without ``since`` the start date is the earliest a pause may be dated.
    with pytest.raises(ValidationError) as raised:
        clock.pause(PAID_ON - timedelta(days=1), CALENDAR)
    assert raised.value.field == "on"
    assert clock.pause(PAID_ON, CALENDAR).working_days_used == 0


def test_working_days_used_is_never_negative() -> None:
    # A clock whose due date lies beyond its turnaround (as a hand-edited or old one might).
    clock = DueClock(2, PAID_ON, 0, None, date(2026, 4, 30))
    paused = clock.pause(PAID_ON, CALENDAR)
    assert paused.working_days_used == 0
    resumed = paused.resume(ANSWERED_ON, ClockRule.CONTINUE, CALENDAR)
    assert resumed.due_on == CALENDAR.add_working_days(ANSWERED_ON, 2)
    assert resumed.since == ANSWERED_ON


def test_a_clock_past_its_due_date_resumes_due_at_once() -> None:
    clock = DueClock.start(PAID_ON, 2, CALENDAR)  # due Wednesday 4 March
    paused = clock.pause(date(2026, 3, 12), CALENDAR)  # Tue 3 .. Thu 12, Sun 8 off
    assert paused.working_days_used == 7  # more than the turnaround: overdue
    assert paused.resume(date(2026, 3, 15), ClockRule.CONTINUE, CALENDAR).due_on == date(
        2026, 3, 15
    )


def test_an_unpaid_cancelled_request_never_started_its_clock() -> None:
    request = reach(S.AWAITING_PAYMENT)
    COMMANDS["cancel"](request)
    assert request.due_on is None


def test_replay_rebuilds_the_clock() -> None:
    request = reach(S.INFO_REQUIRED, **by_post())
    rebuilt = replay(request)
    assert rebuilt.due_clock == request.due_clock and rebuilt.due_clock.is_paused


def test_a_refused_hand_over_records_nothing_and_a_right_one_follows() -> None:
    request = reach(S.READY_FOR_PICKUP)
    before = len(request.pending_events)
    with pytest.raises(DomainError):
        hand_over(request, recipient_citizen_id=OTHER_PERSON)
    with pytest.raises(ValidationError):
        hand_over(request, recipient_national_number="1")
    hand_over(request)
    assert request.status is S.COLLECTED and len(request.pending_events) == before + 1
