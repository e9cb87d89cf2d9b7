"""Staff: hiring, centres and agencies, and access permissions (سماحيات) granted and revoked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Employment, Staff, permission_for

from .aggregates import assert_refused, names, replay

AT = datetime(2026, 1, 4, 9, 0, tzinfo=SYRIA_TIME)
SUPERVISOR = uuid.uuid4()
ISSUE = "civil_registry.issue"
QUERY = "civil_registry.query"


def hire(**overrides: Any) -> Staff:
    args: dict[str, Any] = {
        "staff_number": "HMS-01-0042",
        "name_ar": "سارة الخطيب",
        "name_en": "Sara Al-Khatib",
        "role": Role.CLERK,
        "employment": Employment.SEASONAL,
        "centre_code": "HMS-01",
        "agency_code": "civil_registry",
        "at": AT,
    }
    args.update(overrides)
    return Staff.hire(**args)


# -- hiring ---------------------------------------------------------------------------------


def test_hire_a_clerk() -> None:
    clerk = hire(staff_number="hms-01-٠٠٤٢", role="clerk", employment="seasonal")
    assert clerk.staff_number == "HMS-01-0042"
    assert clerk.id == Staff.id_for("HMS-01-0042") == Staff.id_for("hms-01-٠٠٤٢")
    assert (clerk.role, clerk.employment) == (Role.CLERK, Employment.SEASONAL)
    assert (clerk.centre_code, clerk.agency_code) == ("HMS-01", "civil_registry")
    assert (clerk.name_ar, clerk.name_en) == ("سارة الخطيب", "Sara Al-Khatib")
    assert clerk.active
    assert clerk.permissions == ()
    assert names(clerk) == ["Hired"]


def test_hire_other_roles() -> None:
    supervisor = hire(role=Role.SUPERVISOR, agency_code=None, employment="permanent")
    assert supervisor.agency_code is None
    auditor = hire(role="auditor", centre_code=None, agency_code=None)
    assert auditor.centre_code is None


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("staff_number", "HMS 01", "staff_number"),
        ("staff_number", "", "staff_number"),
        ("staff_number", "A" * 33, "staff_number"),
        ("name_ar", "", "name.ar"),
        ("name_en", "x" * 201, "name.en"),
        ("role", "citizen", "role"),
        ("role", "agency", "role"),
        ("role", "mayor", "role"),
        ("employment", "intern", "employment"),
        ("centre_code", None, "centre_code"),
        ("centre_code", "HMS 01", "centre_code"),
        ("agency_code", None, "agency_code"),
        ("agency_code", "civil registry", "agency_code"),
        ("at", datetime(2026, 1, 4), "at"),
    ],
)
def test_bad_hiring_fields_are_named(field: str, value: object, named: str) -> None:
    assert_refused(named, lambda: hire(**{field: value}))


def test_only_clerks_serve_an_agency() -> None:
    assert_refused("agency_code", lambda: hire(role="supervisor"))
    supervisor = hire(role="supervisor", agency_code=None)
    assert_refused(
        "agency_code",
        lambda: supervisor.assign_agency("justice", by=SUPERVISOR, at=AT),
        supervisor,
    )


# -- centre and agency ----------------------------------------------------------------------


def test_transfer_to_another_centre_keeps_permissions() -> None:
    clerk = hire()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.transfer("hms-02", at=AT)
    clerk.transfer("HMS-02", at=AT)
    assert clerk.centre_code == "HMS-02"
    assert clerk.pending_events[-1].previous == "HMS-01"  # type: ignore[attr-defined]
    assert clerk.has(ISSUE)
    assert names(clerk) == ["Hired", "PermissionGranted", "Transferred"]
    assert_refused("centre_code", lambda: clerk.transfer("", at=AT), clerk)


def test_assigning_another_agency_revokes_the_old_agency_s_permissions() -> None:
    clerk = hire()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.grant(QUERY, SUPERVISOR, AT)
    clerk.assign_agency("civil_registry", by=SUPERVISOR, at=AT)  # already: nothing to record
    clerk.assign_agency("justice", by=SUPERVISOR, at=AT)
    assert clerk.agency_code == "justice"
    assert clerk.permissions == ()
    assert names(clerk)[-3:] == ["PermissionRevoked", "PermissionRevoked", "AgencyAssigned"]
    revoked = clerk.pending_events[-2]
    assert revoked.revoked_by == SUPERVISOR  # type: ignore[attr-defined]
    assert revoked.reason == "assigned to serve justice"  # type: ignore[attr-defined]
    clerk.grant("justice.issue", SUPERVISOR, AT)
    assert clerk.has("justice.issue")


# -- permissions ----------------------------------------------------------------------------


def test_grant_and_revoke() -> None:
    clerk = hire()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.grant(ISSUE, SUPERVISOR, AT)  # held already: nothing to record
    clerk.grant(permission_for("civil_registry", "query"), SUPERVISOR, AT)
    assert clerk.permissions == (ISSUE, QUERY)
    clerk.require(ISSUE)
    clerk.revoke(ISSUE, SUPERVISOR, AT, "training finished")
    clerk.revoke(ISSUE, SUPERVISOR, AT, "training finished")  # not held: nothing to record
    assert clerk.permissions == (QUERY,)
    assert names(clerk) == ["Hired", "PermissionGranted", "PermissionGranted", "PermissionRevoked"]
    granted, revoked = clerk.pending_events[1], clerk.pending_events[3]
    assert (granted.permission, granted.granted_by, granted.at) == (ISSUE, SUPERVISOR, AT)  # type: ignore[attr-defined]
    assert (revoked.permission, revoked.reason) == (ISSUE, "training finished")  # type: ignore[attr-defined]


def test_require_names_the_missing_permission() -> None:
    clerk = hire()
    with pytest.raises(NotAllowed) as raised:
        clerk.require(ISSUE)
    assert raised.value.action == ISSUE
    assert ISSUE in str(raised.value)
    assert not clerk.has(ISSUE)


def test_a_clerk_holds_only_permissions_of_their_agency() -> None:
    clerk = hire()
    assert_refused("permission", lambda: clerk.grant("justice.issue", SUPERVISOR, AT), clerk)
    assert_refused("permission", lambda: clerk.grant("civil_registry_x.issue", SUPERVISOR, AT))
    supervisor = hire(role="supervisor", agency_code=None)
    supervisor.grant("justice.issue", SUPERVISOR, AT)
    supervisor.grant(ISSUE, SUPERVISOR, AT)
    assert supervisor.permissions == (ISSUE, "justice.issue")


@pytest.mark.parametrize("permission", ["issue", "civil_registry.", ".issue", "a b.c", "", None])
def test_malformed_permissions_are_refused(permission: object) -> None:
    clerk = hire()
    assert_refused("permission", lambda: clerk.grant(permission, SUPERVISOR, AT), clerk)
    assert_refused("permission", lambda: clerk.revoke(permission, SUPERVISOR, AT, "x"), clerk)


def test_who_grants_and_revokes_is_named_and_checked() -> None:
    clerk = hire()
    assert_refused("granted_by", lambda: clerk.grant(ISSUE, "someone", AT), clerk)  # type: ignore[arg-type]
    assert_refused("revoked_by", lambda: clerk.revoke(ISSUE, None, AT, "x"), clerk)  # type: ignore[arg-type]
    assert_refused("reason", lambda: clerk.revoke(ISSUE, SUPERVISOR, AT, " "), clerk)
    assert_refused("reason", lambda: clerk.revoke(ISSUE, SUPERVISOR, AT, "x" * 301), clerk)
    with pytest.raises(NotAllowed):
        clerk.grant(ISSUE, clerk.id, AT)
    assert names(clerk) == ["Hired"]


# -- leaving and coming back ----------------------------------------------------------------


def test_deactivate_revokes_everything_at_once_and_refuses_grants() -> None:
    clerk = hire()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.grant(QUERY, SUPERVISOR, AT)
    clerk.collect_events()
    clerk.deactivate(by=SUPERVISOR, at=AT, reason="seasonal contract ended")
    assert names(clerk) == ["PermissionRevoked", "PermissionRevoked", "Deactivated"]
    assert clerk.pending_events[0].reason == "deactivated: seasonal contract ended"  # type: ignore[attr-defined]
    assert not clerk.active
    assert clerk.permissions == ()
    assert clerk.left_at == AT
    with pytest.raises(InvalidTransition):
        clerk.grant(ISSUE, SUPERVISOR, AT)
    with pytest.raises(NotAllowed) as raised:
        clerk.require(ISSUE)
    assert raised.value.action == ISSUE
    clerk.deactivate(by=SUPERVISOR, at=AT, reason="again")  # already gone: nothing to record
    assert len(clerk.pending_events) == 3
    assert_refused("reason", lambda: hire().deactivate(by=SUPERVISOR, at=AT, reason=""))


def test_reactivate_starts_without_permissions() -> None:
    clerk = hire()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.deactivate(by=SUPERVISOR, at=AT, reason="left")
    clerk.reactivate(by=SUPERVISOR, at=AT)
    clerk.reactivate(by=SUPERVISOR, at=AT)
    assert clerk.active
    assert clerk.left_at is None
    assert clerk.permissions == ()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.require(ISSUE)
    assert names(clerk).count("Reactivated") == 1
    assert_refused("by", lambda: clerk.reactivate(by="me", at=AT))  # type: ignore[arg-type]


# -- replay and invariants ------------------------------------------------------------------


def test_replaying_the_events_rebuilds_identical_state() -> None:
    clerk = hire()
    clerk.grant(ISSUE, SUPERVISOR, AT)
    clerk.transfer("HMS-03", at=AT)
    clerk.assign_agency("justice", by=SUPERVISOR, at=AT)
    clerk.grant("justice.query", SUPERVISOR, AT)
    clerk.deactivate(by=SUPERVISOR, at=AT, reason="left")
    clerk.reactivate(by=SUPERVISOR, at=AT)
    copy = replay(clerk)
    assert vars(copy) == vars(clerk)
    assert copy.role is Role.CLERK


AGENCIES = ("civil_registry", "justice")
PERMISSIONS = [f"{a}.{act}" for a in AGENCIES for act in ("issue", "query")] + ["finance.pay"]
_step = st.one_of(
    st.tuples(st.just("grant"), st.sampled_from(PERMISSIONS)),
    st.tuples(st.just("revoke"), st.sampled_from(PERMISSIONS)),
    st.tuples(st.just("deactivate"), st.none()),
    st.tuples(st.just("reactivate"), st.none()),
    st.tuples(st.just("assign"), st.sampled_from(AGENCIES)),
)


@given(st.sampled_from(["clerk", "supervisor"]), st.lists(_step, max_size=30))
def test_random_sequences_keep_the_invariants(role: str, steps: list[tuple[str, Any]]) -> None:
    staff = hire(role=role, agency_code="civil_registry" if role == "clerk" else None)
    model: set[str] = set()  # what should be held, by the rules stated plainly
    for kind, arg in steps:
        before = len(staff.pending_events)
        try:
            if kind == "grant":
                staff.grant(arg, SUPERVISOR, AT)
                model.add(arg)
            elif kind == "revoke":
                staff.revoke(arg, SUPERVISOR, AT, "rotation")
                model.discard(arg)
            elif kind == "deactivate":
                staff.deactivate(by=SUPERVISOR, at=AT, reason="left")
                model.clear()
            elif kind == "reactivate":
                staff.reactivate(by=SUPERVISOR, at=AT)
            else:
                old = staff.agency_code
                staff.assign_agency(arg, by=SUPERVISOR, at=AT)
                if arg != old:
                    model.clear()
        except (ValidationError, InvalidTransition):
            assert len(staff.pending_events) == before  # refused: nothing recorded
        assert set(staff.permissions) == model
        if not staff.active:
            assert staff.permissions == ()
        if staff.role is Role.CLERK:
            assert all(p.startswith(f"{staff.agency_code}.") for p in staff.permissions)
        for permission in PERMISSIONS:
            assert staff.has(permission) == (permission in model)
            if permission in model:
                staff.require(permission)
            else:
                with pytest.raises(NotAllowed):
                    staff.require(permission)
    assert vars(replay(staff)) == vars(staff)
