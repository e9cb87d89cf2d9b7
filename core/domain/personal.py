"""Personal data, declared in one place: which attributes of which events are about a person.

Per-citizen encryption (crypto-shredding) wraps exactly these attributes, keyed by the data
subject, without changing the events' shapes. ``subject`` says whose key: ``"originator"`` for
a citizen's own events, ``"request"`` for a request's events (the citizen who filed it).
Snapshots of Citizen and ServiceRequest aggregates hold the same data and are treated alike.
A test fails when an event has an attribute that looks personal and is not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .citizen import Citizen
from .request import ServiceRequest
from .request_agency import RequestAtAgency
from .request_base import RequestBase


@dataclass(frozen=True, slots=True)
class Personal:
    subject: str
    attributes: frozenset[str]


def _declare(subject: str, *attributes: str) -> Personal:
    return Personal(subject, frozenset(attributes))


PERSONAL_DATA: dict[type, Personal] = {
    Citizen.Registered: _declare(
        "originator",
        "national_number",
        "first_name_ar",
        "first_name_en",
        "last_name_ar",
        "last_name_en",
        "phone",
    ),
    Citizen.ProfileCompleted: _declare(
        "originator",
        "father_name",
        "mother_name",
        "birth_date",
        "birth_place",
        "registry_place",
        "phone",
        "address_city",
        "address_street",
    ),
    Citizen.ProfileUpdated: _declare("originator", "changes"),
    Citizen.PhoneChanged: _declare("originator", "phone"),
    Citizen.EmailChanged: _declare("originator", "email"),
    RequestBase.Submitted: _declare("request", "form", "home_address"),
    RequestAtAgency.InformationProvided: _declare("request", "answer"),
    ServiceRequest.Collected: _declare("request", "recipient_national_number", "proxy_document"),
}


# The same data in aggregates' states, as their snapshots hold it; ``subject`` as above, and
# ``a.b`` names key ``b`` of the mapping in attribute ``a``.
PERSONAL_STATE: dict[type, Personal] = {
    # A citizen's events set attributes of the same names.
    Citizen: _declare(
        "originator",
        *(
            name
            for event in (Citizen.Registered, Citizen.ProfileCompleted, Citizen.EmailChanged)
            for name in PERSONAL_DATA[event].attributes
        ),
    ),
    RequestBase: _declare(
        "request",
        "form",
        "home_address",
        "collected_by.national_number",
        "collected_by.proxy_document",
    ),
}


def personal_state(aggregate_class: type) -> Personal | None:
    """Whose and which attributes of an aggregate's state are personal (None: none are)."""
    for cls in aggregate_class.__mro__:
        declared = PERSONAL_STATE.get(cls)
        if declared is not None:
            return declared
    return None


def personal_attributes(event_class: type) -> frozenset[str]:
    """The personal attributes of an event class (none if it carries no personal data)."""
    # Aggregate subclasses subclass their events too: look up the class and its bases.
    for cls in event_class.__mro__:
        declared = PERSONAL_DATA.get(cls)
        if declared is not None:
            return declared.attributes
    return frozenset()
