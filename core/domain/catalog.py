"""The catalog of services a network of centres offers, and the fees they cost in each governorate.

Fee of a request = the issuing agency's fee + the governorate council's surcharge for indirect costs
(ink, telecommunications, paper), decided per service or for all services and in force from a date.

Which surcharge is in force on a date, for a service in a governorate: of that governorate's
decisions that cover the service (naming it, or naming no service) and took effect on or before the
date, the one with the latest ``effective_from`` wins; on the same ``effective_from`` a decision
naming the service beats one for all services; on the same date and scope the later-recorded
decision wins (a correction). So a newer all-services decision replaces an older service-specific
one. Requests keep the fee they were assessed with; the catalog only answers for a date.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from .calendar import ClockRule
from .errors import ValidationError
from .forms import FormSchema, validate_schema
from .governorate import Governorate
from .ids import derived_id
from .money import pounds
from .text import Bilingual, bounded, choice, choices, moment, whole_days

_SERVICE_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_AGENCY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_TURNAROUND_DAYS = 365
MAX_VALIDITY_DAYS = 3650


class Handling(StrEnum):
    DIRECT = "direct"  # the clerk has access to the agency's system: answered at once
    REPLY_LATER = "reply_later"  # the centre sends the request and waits for the agency's reply


class Collector(StrEnum):
    """Who may collect the finished document."""

    SELF = "self"
    FIRST_DEGREE_RELATIVE = "first_degree_relative"
    PROXY = "proxy"


class Delivery(StrEnum):
    PICKUP = "pickup"
    POST_OFFICE = "post_office"
    HOME = "home"


@dataclass(frozen=True)
class Service:
    code: str
    name: Bilingual
    agency: str
    form_schema: dict[str, Any]
    agency_fee: int
    handling: Handling
    turnaround_days: int
    clock_rule: ClockRule
    collectors: frozenset[Collector]
    delivery: frozenset[Delivery]
    validity_days: int  # calendar days an uncollected document waits before it expires
    withdrawn: bool = False

    @cached_property
    def form(self) -> FormSchema:
        """The parsed form schema (parsed on first use, not when events are replayed)."""
        return FormSchema.from_dict(self.form_schema)

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, the same keywords ``Catalog.add_service`` takes (plus ``withdrawn``)."""
        return {
            "code": self.code,
            "name_ar": self.name.ar,
            "name_en": self.name.en,
            "agency": self.agency,
            "form_schema": copy.deepcopy(self.form_schema),
            "agency_fee": self.agency_fee,
            "handling": self.handling.value,
            "turnaround_days": self.turnaround_days,
            "clock_rule": self.clock_rule.value,
            "collectors": sorted(c.value for c in self.collectors),
            "delivery": sorted(d.value for d in self.delivery),
            "validity_days": self.validity_days,
            "withdrawn": self.withdrawn,
        }


@dataclass(frozen=True, slots=True)
class Surcharge:
    """A governorate council's decision: this surcharge from this date (all services if None)."""

    governorate: str
    service_code: str | None
    amount: int
    effective_from: date
    decision_ref: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Fee:
    """What a request costs, in whole Syrian pounds; ``decision_ref`` is the surcharge's source."""

    agency_fee: int
    surcharge: int
    total: int
    decision_ref: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Catalog(Aggregate):
    """The services of one network (``national`` by default) and the surcharge decisions."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return derived_id(NAMESPACE_URL, f"khidma:catalog:{name}")

    @classmethod
    def id_for(cls, name: str = "national") -> UUID:
        return cls.create_id(name)

    @classmethod
    def create(cls, name: str = "national", *, at: datetime) -> Catalog:
        if not isinstance(name, str) or not _AGENCY_CODE.match(name):
            raise ValidationError("name", "expected a lower-case name like national")
        moment("at", at)
        return cls(name=name, at=at)

    @event("Created")
    def __init__(self, name: str, at: datetime) -> None:
        self.name = name
        self.services: dict[str, Service] = {}
        self.surcharges: dict[str, list[Surcharge]] = {}

    # Commands.

    def add_service(
        self,
        *,
        code: str,
        name_ar: str,
        name_en: str,
        agency: str,
        form_schema: dict[str, Any],
        agency_fee: int,
        handling: Handling | str,
        turnaround_days: int,
        clock_rule: ClockRule | str,
        collectors: Iterable[Collector | str],
        delivery: Iterable[Delivery | str],
        validity_days: int,
        at: datetime,
    ) -> None:
        """Add a service (or bring back a withdrawn one with a new definition)."""
        if not isinstance(code, str) or not _SERVICE_CODE.match(code) or len(code) > 80:
            raise ValidationError("code", "expected a lower-case dotted code like civil.birth")
        existing = self.services.get(code)
        if existing is not None and not existing.withdrawn:
            raise ValidationError("code", f"{code} is already in the catalog")
        definition = _definition(
            {
                "name_ar": name_ar, "name_en": name_en, "agency": agency,
                "form_schema": form_schema, "agency_fee": agency_fee, "handling": handling,
                "turnaround_days": turnaround_days, "clock_rule": clock_rule,
                "collectors": collectors, "delivery": delivery, "validity_days": validity_days,
            }
        )  # fmt: skip
        moment("at", at)
        self._add_service(code=code, **definition, at=at)

    def update_service(self, code: str, *, at: datetime, **changes: object) -> None:
        """Change an offered service: ``changes`` are add_service's keywords (not ``code``)."""
        current = self._offered(code).to_dict()
        for key in changes:
            if key not in _DEFINITION_KEYS:
                raise ValidationError(key, "not a setting of a service that can be changed")
        definition = _definition({**current, **changes})
        moment("at", at)
        self._update_service(code=code, **definition, at=at)

    def withdraw_service(self, code: str, *, at: datetime) -> None:
        """Stop offering a service; requests already filed for it keep their definition."""
        self._offered(code)
        moment("at", at)
        self._withdraw_service(code=code, at=at)

    def decide_surcharge(
        self,
        governorate: str,
        service_code: str | None,
        amount_syp: int,
        effective_from: date,
        decision_ref: str,
        *,
        at: datetime,
    ) -> None:
        """Record a council decision: ``amount_syp`` on the service (all if None) from a date."""
        gov = Governorate.parse("governorate", governorate).value
        if service_code is not None:
            self._offered(service_code)
        amount = pounds("amount_syp", amount_syp)
        if not isinstance(effective_from, date) or isinstance(effective_from, datetime):
            raise ValidationError("effective_from", "expected a date")
        ref = bounded("decision_ref", decision_ref, 100)
        if any(s.decision_ref == ref for s in self.surcharges.get(gov, ())):
            raise ValidationError("decision_ref", f"{ref} is already recorded for {gov}")
        moment("at", at)
        self._decide_surcharge(
            governorate=gov,
            service_code=service_code,
            amount=amount,
            effective_from=effective_from,
            decision_ref=ref,
            at=at,
        )

    # Events: mutation only.

    @event("ServiceAdded")
    def _add_service(
        self,
        code: str,
        name_ar: str,
        name_en: str,
        agency: str,
        form_schema: dict[str, Any],
        agency_fee: int,
        handling: Handling,
        turnaround_days: int,
        clock_rule: ClockRule,
        collectors: list[Collector],
        delivery: list[Delivery],
        validity_days: int,
        at: datetime,
    ) -> None:
        self._put_service(
            code, name_ar, name_en, agency, form_schema, agency_fee, handling, turnaround_days,
            clock_rule, collectors, delivery, validity_days,
        )  # fmt: skip

    @event("ServiceUpdated")
    def _update_service(
        self,
        code: str,
        name_ar: str,
        name_en: str,
        agency: str,
        form_schema: dict[str, Any],
        agency_fee: int,
        handling: Handling,
        turnaround_days: int,
        clock_rule: ClockRule,
        collectors: list[Collector],
        delivery: list[Delivery],
        validity_days: int,
        at: datetime,
    ) -> None:
        self._put_service(
            code, name_ar, name_en, agency, form_schema, agency_fee, handling, turnaround_days,
            clock_rule, collectors, delivery, validity_days,
        )  # fmt: skip

    def _put_service(
        self,
        code: str,
        name_ar: str,
        name_en: str,
        agency: str,
        form_schema: dict[str, Any],
        agency_fee: int,
        handling: Handling,
        turnaround_days: int,
        clock_rule: ClockRule,
        collectors: list[Collector],
        delivery: list[Delivery],
        validity_days: int,
    ) -> None:
        self.services[code] = Service(
            code, Bilingual(name_ar, name_en), agency, copy.deepcopy(form_schema), agency_fee,
            Handling(handling), turnaround_days, ClockRule(clock_rule),
            frozenset(map(Collector, collectors)), frozenset(map(Delivery, delivery)),
            validity_days,
        )  # fmt: skip

    @event("ServiceWithdrawn")
    def _withdraw_service(self, code: str, at: datetime) -> None:
        self.services[code] = replace(self.services[code], withdrawn=True)

    @event("SurchargeDecided")
    def _decide_surcharge(
        self,
        governorate: str,
        service_code: str | None,
        amount: int,
        effective_from: date,
        decision_ref: str,
        at: datetime,
    ) -> None:
        decision = Surcharge(governorate, service_code, amount, effective_from, decision_ref, at)
        self.surcharges.setdefault(governorate, []).append(decision)

    # Queries.

    def service(self, code: str) -> Service:
        """The service with this code (withdrawn ones too); unknown codes are refused."""
        found = self.services.get(code) if isinstance(code, str) else None
        if found is None:
            raise ValidationError("service", f"unknown service {code!r}")
        return found

    def offered(self) -> tuple[Service, ...]:
        """The services not withdrawn, by code."""
        return tuple(s for _, s in sorted(self.services.items()) if not s.withdrawn)

    def surcharge_on(self, service_code: str, governorate: str, on: date) -> Surcharge | None:
        """The decision in force on ``on`` (see the module docstring), or None."""
        best: Surcharge | None = None
        best_key: tuple[date, bool] | None = None
        for decision in self.surcharges.get(governorate, ()):
            if decision.effective_from > on:
                continue
            if decision.service_code not in (None, service_code):
                continue
            # >= so that, on equal keys, the later-recorded decision wins.
            key = (decision.effective_from, decision.service_code is not None)
            if best_key is None or key >= best_key:
                best, best_key = decision, key
        return best

    def assess_fee(self, service_code: str, governorate: str, on: date) -> Fee:
        """The fee of a request for an offered service filed in ``governorate`` on ``on``."""
        service = self._offered(service_code)
        gov = Governorate.parse("governorate", governorate).value
        if not isinstance(on, date) or isinstance(on, datetime):
            raise ValidationError("on", "expected a date")
        decision = self.surcharge_on(service.code, gov, on)
        surcharge = decision.amount if decision else 0
        return Fee(
            agency_fee=service.agency_fee,
            surcharge=surcharge,
            total=service.agency_fee + surcharge,
            decision_ref=decision.decision_ref if decision else None,
        )

    def _offered(self, code: str) -> Service:
        found = self.service(code)
        if found.withdrawn:
            raise ValidationError("service", f"{code} has been withdrawn")
        return found


_DEFINITION_KEYS = frozenset(
    {"name_ar", "name_en", "agency", "form_schema", "agency_fee", "handling"}
    | {"turnaround_days", "clock_rule", "collectors", "delivery", "validity_days"}
)


def _definition(fields: dict[str, Any]) -> dict[str, Any]:
    """The checked, plain event arguments of a service definition."""
    name = Bilingual.of("name", fields["name_ar"], fields["name_en"])
    agency = fields["agency"]
    if not isinstance(agency, str) or not _AGENCY_CODE.match(agency):
        raise ValidationError("agency", "expected a lower-case agency code like civil_registry")
    turnaround = fields["turnaround_days"]
    return {
        "name_ar": name.ar,
        "name_en": name.en,
        "agency": agency,
        "form_schema": validate_schema(fields["form_schema"], "form_schema"),
        "agency_fee": pounds("agency_fee", fields["agency_fee"]),
        "handling": choice("handling", Handling, fields["handling"]),
        "turnaround_days": whole_days("turnaround_days", turnaround, 0, MAX_TURNAROUND_DAYS),
        "clock_rule": choice("clock_rule", ClockRule, fields["clock_rule"]),
        "collectors": choices("collectors", Collector, fields["collectors"]),
        "delivery": choices("delivery", Delivery, fields["delivery"]),
        "validity_days": whole_days("validity_days", fields["validity_days"], 1, MAX_VALIDITY_DAYS),
    }
