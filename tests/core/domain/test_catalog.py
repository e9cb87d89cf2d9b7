"""The catalog of services: definitions, withdrawal, surcharge decisions and fee assessment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khidma.core.domain.catalog import (
    Catalog,
    ClockRule,
    Collector,
    Delivery,
    Fee,
    Handling,
)
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.governorate import Governorate
from khidma.core.events.transcoder import new_mapper

AT = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
RECORD = "civil.individual_record"
CRIMINAL = "justice.criminal_record"
FORM = {
    "fields": [
        {
            "name": "national_number",
            "type": "digits",
            "length": 11,
            "label": {"ar": "الرقم الوطني", "en": "National number"},
        }
    ]
}


def definition(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": RECORD,
        "name_ar": "بيان قيد فردي",
        "name_en": "Individual civil record statement",
        "agency": "civil_registry",
        "form_schema": FORM,
        "agency_fee": 1500,
        "handling": Handling.DIRECT,
        "turnaround_days": 0,
        "clock_rule": ClockRule.CONTINUE,
        "collectors": [Collector.SELF, Collector.FIRST_DEGREE_RELATIVE],
        "delivery": [Delivery.PICKUP],
        "validity_days": 30,
    }
    return {**base, **changes}


def new_catalog() -> Catalog:
    catalog = Catalog.create(at=AT)
    catalog.add_service(**definition(), at=AT)
    catalog.add_service(
        **definition(
            code=CRIMINAL,
            name_ar="السجل العدلي",
            name_en="Criminal record certificate",
            agency="justice",
            agency_fee=2000,
            handling="reply_later",
            turnaround_days=3,
            clock_rule="restart",
            collectors=["self", "proxy"],
            delivery=["pickup", "post_office", "home"],
        ),
        at=AT,
    )
    return catalog


def refused(catalog: Catalog, call: Callable[[], Any]) -> ValidationError:
    """Run ``call``, expect a ValidationError, and check that no event was triggered."""
    before = len(catalog.pending_events), catalog.version
    with pytest.raises(ValidationError) as caught:
        call()
    assert (len(catalog.pending_events), catalog.version) == before
    return caught.value


def field(catalog: Catalog, call: Callable[[], Any]) -> str:
    return refused(catalog, call).field


def replayed(events: Any) -> Catalog:
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert isinstance(copy, Catalog)
    return copy


# Services.


def test_id_is_derived_from_the_network_name() -> None:
    assert Catalog.id_for("national") == Catalog.create(at=AT).id == Catalog.id_for()
    assert Catalog.id_for("homs") != Catalog.id_for()


def test_services_are_added_with_their_definition() -> None:
    catalog = new_catalog()
    record = catalog.service(RECORD)
    assert (record.name.ar, record.agency) == ("بيان قيد فردي", "civil_registry")
    assert record.agency_fee == 1500
    criminal = catalog.service(CRIMINAL)
    assert criminal.handling is Handling.REPLY_LATER
    assert criminal.clock_rule is ClockRule.RESTART
    assert criminal.collectors == {Collector.SELF, Collector.PROXY}
    assert criminal.delivery == set(Delivery)
    assert criminal.form.names == ("national_number",)
    assert criminal.form_schema["fields"][0]["required"] is True  # stored canonical
    assert [s.code for s in catalog.offered()] == [RECORD, CRIMINAL]


def test_to_dict_gives_back_add_service_keywords() -> None:
    catalog = new_catalog()
    plain = catalog.service(CRIMINAL).to_dict()
    assert plain.pop("withdrawn") is False
    other = Catalog.create("copy", at=AT)
    other.add_service(**plain, at=AT)
    assert other.service(CRIMINAL) == catalog.service(CRIMINAL)


def test_unknown_service_is_refused() -> None:
    catalog = new_catalog()
    caught = refused(catalog, lambda: catalog.service("civil.nothing"))
    assert caught.field == "service" and "unknown service" in caught.message
    assert (
        field(catalog, lambda: catalog.assess_fee("civil.nothing", "DAM", AT.date())) == "service"
    )
    caught = refused(catalog, lambda: catalog.update_service("civil.nothing", at=AT, agency_fee=1))
    assert caught.field == "service"


def test_a_code_is_added_once() -> None:
    catalog = new_catalog()
    assert refused(catalog, lambda: catalog.add_service(**definition(), at=AT)).field == "code"


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"code": "Civil.Record"}, "code"),
        ({"code": "record"}, "code"),
        ({"name_ar": " "}, "name.ar"),
        ({"name_en": "x" * 201}, "name.en"),
        ({"agency": "Civil Registry"}, "agency"),
        ({"agency_fee": -1}, "agency_fee"),
        ({"agency_fee": 1500.5}, "agency_fee"),
        ({"agency_fee": 1500.0}, "agency_fee"),
        ({"agency_fee": Decimal("1500")}, "agency_fee"),
        ({"agency_fee": "1500"}, "agency_fee"),
        ({"agency_fee": True}, "agency_fee"),
        ({"handling": "sometimes"}, "handling"),
        ({"turnaround_days": -1}, "turnaround_days"),
        ({"turnaround_days": 2.5}, "turnaround_days"),
        ({"clock_rule": "pause"}, "clock_rule"),
        ({"collectors": []}, "collectors"),
        ({"collectors": "self"}, "collectors"),
        ({"collectors": ["self", "neighbour"]}, "collectors[1]"),
        ({"delivery": ["drone"]}, "delivery[0]"),
        ({"validity_days": 0}, "validity_days"),
        ({"form_schema": {"fields": [{"name": "x", "type": "?"}]}}, "form_schema.fields[0].type"),
    ],
)
def test_bad_definitions_are_named(changes: dict[str, Any], where: str) -> None:
    catalog = Catalog.create(at=AT)
    assert field(catalog, lambda: catalog.add_service(**definition(**changes), at=AT)) == where


def test_update_changes_only_what_is_given() -> None:
    catalog = new_catalog()
    catalog.update_service(RECORD, agency_fee=1750, delivery=["pickup", "home"], at=AT)
    record = catalog.service(RECORD)
    assert record.agency_fee == 1750
    assert record.delivery == {Delivery.PICKUP, Delivery.HOME}
    assert record.name.en == "Individual civil record statement"
    bad_fee = field(catalog, lambda: catalog.update_service(RECORD, agency_fee=-5, at=AT))
    assert bad_fee == "agency_fee"
    not_a_setting = field(catalog, lambda: catalog.update_service(RECORD, withdrawn=True, at=AT))
    assert not_a_setting == "withdrawn"


def test_withdrawn_services_are_kept_but_not_offered() -> None:
    catalog = new_catalog()
    catalog.withdraw_service(RECORD, at=AT)
    assert catalog.service(RECORD).withdrawn
    assert [s.code for s in catalog.offered()] == [CRIMINAL]
    caught = refused(catalog, lambda: catalog.assess_fee(RECORD, "DAM", AT.date()))
    assert (caught.field, "withdrawn" in caught.message) == ("service", True)
    assert refused(catalog, lambda: catalog.withdraw_service(RECORD, at=AT)).field == "service"
    catalog.add_service(**definition(agency_fee=900), at=AT)  # brought back
    assert catalog.assess_fee(RECORD, "DAM", AT.date()).agency_fee == 900


# Surcharges and fees.


def with_decisions() -> Catalog:
    catalog = new_catalog()
    catalog.decide_surcharge("HMS", None, 500, date(2026, 2, 1), "HMS-2026/11", at=AT)
    catalog.decide_surcharge("HMS", RECORD, 300, date(2026, 3, 1), "HMS-2026/19", at=AT)
    catalog.decide_surcharge("HMS", None, 700, date(2026, 3, 1), "HMS-2026/20", at=AT)
    return catalog


def test_fee_without_a_decision_is_the_agency_fee() -> None:
    catalog = with_decisions()
    assert catalog.assess_fee(RECORD, "DAM", date(2026, 6, 1)) == Fee(1500, 0, 1500, None)
    assert catalog.assess_fee(RECORD, "HMS", date(2026, 1, 31)) == Fee(1500, 0, 1500, None)


def test_fees_on_both_sides_of_a_decision_date() -> None:
    catalog = with_decisions()
    before, on, after = date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 20)
    assert catalog.assess_fee(CRIMINAL, "HMS", before) == Fee(2000, 0, 2000, None)
    assert catalog.assess_fee(CRIMINAL, "HMS", on) == Fee(2000, 500, 2500, "HMS-2026/11")
    assert catalog.assess_fee(CRIMINAL, "HMS", after) == Fee(2000, 500, 2500, "HMS-2026/11")


def test_service_specific_beats_all_services_on_the_same_date() -> None:
    catalog = with_decisions()
    march = date(2026, 3, 1)
    assert catalog.assess_fee(RECORD, "HMS", march) == Fee(1500, 300, 1800, "HMS-2026/19")
    assert catalog.assess_fee(CRIMINAL, "HMS", march) == Fee(2000, 700, 2700, "HMS-2026/20")
    assert catalog.assess_fee(RECORD, "HMS", date(2026, 2, 28)).decision_ref == "HMS-2026/11"


def test_a_later_all_services_decision_replaces_an_earlier_specific_one() -> None:
    catalog = with_decisions()
    catalog.decide_surcharge("HMS", None, 800, date(2026, 4, 1), "HMS-2026/30", at=AT)
    assert catalog.assess_fee(RECORD, "HMS", date(2026, 4, 1)) == Fee(
        1500, 800, 2300, "HMS-2026/30"
    )


def test_a_correction_for_the_same_date_and_scope_wins() -> None:
    catalog = with_decisions()
    catalog.decide_surcharge("HMS", RECORD, 350, date(2026, 3, 1), "HMS-2026/19b", at=AT)
    assert catalog.assess_fee(RECORD, "HMS", date(2026, 3, 5)).surcharge == 350


def test_a_request_assessed_before_a_later_decision_keeps_its_figure() -> None:
    catalog = new_catalog()
    filed_on = date(2026, 2, 10)
    assessed = catalog.assess_fee(RECORD, "DAM", filed_on)
    catalog.decide_surcharge("DAM", RECORD, 400, date(2026, 2, 15), "DAM-2026/7", at=AT)
    # The catalog still answers the same for the filing date; later dates get the new figure.
    assert catalog.assess_fee(RECORD, "DAM", filed_on) == assessed == Fee(1500, 0, 1500, None)
    assert catalog.assess_fee(RECORD, "DAM", date(2026, 2, 15)) == Fee(
        1500, 400, 1900, "DAM-2026/7"
    )
    assert assessed.to_dict() == {
        "agency_fee": 1500,
        "surcharge": 0,
        "total": 1500,
        "decision_ref": None,
    }


def test_surcharges_are_per_governorate() -> None:
    catalog = with_decisions()
    assert catalog.assess_fee(RECORD, "DAM", date(2026, 3, 1)).surcharge == 0
    assert catalog.assess_fee(RECORD, "hms", date(2026, 3, 1)).surcharge == 300


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("XXX", None, 500, date(2026, 2, 1), "r1"), "governorate"),
        (("HMS", "civil.nothing", 500, date(2026, 2, 1), "r1"), "service"),
        (("HMS", None, -500, date(2026, 2, 1), "r1"), "amount_syp"),
        (("HMS", None, 500.5, date(2026, 2, 1), "r1"), "amount_syp"),
        (("HMS", None, Decimal("0.5"), date(2026, 2, 1), "r1"), "amount_syp"),
        (("HMS", None, 500, "2026-02-01", "r1"), "effective_from"),
        (("HMS", None, 500, datetime(2026, 2, 1, tzinfo=UTC), "r1"), "effective_from"),
        (("HMS", None, 500, date(2026, 2, 1), " "), "decision_ref"),
        (("HMS", None, 500, date(2026, 2, 1), "HMS-2026/11"), "decision_ref"),  # recorded
    ],
)
def test_bad_surcharge_decisions_are_named(args: tuple[Any, ...], where: str) -> None:
    catalog = with_decisions()
    assert refused(catalog, lambda: catalog.decide_surcharge(*args, at=AT)).field == where


def test_assessing_needs_a_known_governorate_and_a_date() -> None:
    catalog = new_catalog()
    assert (
        field(catalog, lambda: catalog.assess_fee(RECORD, "Atlantis", AT.date())) == "governorate"
    )
    assert refused(catalog, lambda: catalog.assess_fee(RECORD, "HMS", AT)).field == "on"


def test_commands_need_an_aware_clock() -> None:
    catalog = new_catalog()
    naive = datetime(2026, 1, 1)
    assert refused(catalog, lambda: catalog.withdraw_service(RECORD, at=naive)).field == "at"
    assert field(catalog, lambda: catalog.add_service(**definition(code="a.b"), at=naive)) == "at"


def test_replay_and_the_store_mapper_rebuild_the_catalog() -> None:
    catalog = with_decisions()
    catalog.update_service(RECORD, agency_fee=1600, at=AT)
    catalog.withdraw_service(CRIMINAL, at=AT)
    events = catalog.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Created",
        "ServiceAdded",
        "ServiceAdded",
        "SurchargeDecided",
        "SurchargeDecided",
        "SurchargeDecided",
        "ServiceUpdated",
        "ServiceWithdrawn",
    ]
    assert vars(replayed(events)) == vars(catalog)
    mapper = new_mapper()
    loaded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]
    assert vars(replayed(loaded)) == vars(catalog)


# Property: assess_fee follows the documented rule, and replay rebuilds the same answers.

decisions = st.lists(
    st.tuples(
        st.sampled_from(["HMS", "DAM"]),
        st.sampled_from([None, RECORD]),
        st.integers(min_value=0, max_value=5000),
        st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 20)),
    ),
    max_size=12,
)


@settings(max_examples=60)
@given(decisions, st.dates(min_value=date(2025, 12, 25), max_value=date(2026, 1, 25)))
def test_fee_follows_the_rule(made: list[tuple[str, str | None, int, date]], on: date) -> None:
    catalog = new_catalog()
    for i, (gov, code, amount, start) in enumerate(made):
        catalog.decide_surcharge(gov, code, amount, start, f"ref-{i}", at=AT)
    in_force = [
        (start, code is not None, i, amount)
        for i, (gov, code, amount, start) in enumerate(made)
        if gov == "HMS" and start <= on
    ]
    expected = max(in_force)[3] if in_force else 0
    fee = catalog.assess_fee(RECORD, "HMS", on)
    assert (fee.surcharge, fee.total) == (expected, 1500 + expected)
    copy = replayed(catalog.collect_events())
    assert copy.assess_fee(RECORD, "HMS", on) == fee
    for gov in Governorate:
        assert copy.assess_fee(CRIMINAL, gov, on).agency_fee == 2000
