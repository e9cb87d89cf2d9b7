"""Personal data is declared in one place, and nothing that looks personal escapes it."""

from __future__ import annotations

import inspect
import re

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

import khidma.core.domain.calendar
import khidma.core.domain.catalog
import khidma.core.domain.centre
import khidma.core.domain.citizen
import khidma.core.domain.queue
import khidma.core.domain.request
import khidma.core.domain.request_agency
import khidma.core.domain.request_base
import khidma.core.domain.staff
from khidma.core.domain.personal import PERSONAL_DATA, personal_attributes

MODULES = [
    khidma.core.domain.calendar,
    khidma.core.domain.catalog,
    khidma.core.domain.centre,
    khidma.core.domain.citizen,
    khidma.core.domain.queue,
    khidma.core.domain.request,
    khidma.core.domain.request_agency,
    khidma.core.domain.request_base,
    khidma.core.domain.staff,
]
LOOKS_PERSONAL = re.compile(
    r"national_number|^(first|last|father|mother)_name|^phone$|birth|address_(city|street)"
    r"|home_address|^form$|^answer$|^changes$|proxy_document|registry_place"
)
# Staff names are the network's employees, not citizens: crypto-shredding is per citizen.
NOT_CITIZENS = {"khidma.core.domain.staff"}


def event_classes() -> list[type]:
    found: dict[str, type] = {}
    for module in MODULES:
        for _, aggregate in inspect.getmembers(module, inspect.isclass):
            if not issubclass(aggregate, Aggregate) or aggregate.__module__ != module.__name__:
                continue
            for name in dir(aggregate):
                member = getattr(aggregate, name)
                if inspect.isclass(member) and issubclass(member, CanMutateAggregate):
                    found[f"{member.__module__}.{member.__qualname__}"] = member
    return list(found.values())


def attributes(event_class: type) -> set[str]:
    return {a for cls in event_class.__mro__ for a in vars(cls).get("__annotations__", {})}


@pytest.mark.parametrize("event_class", event_classes(), ids=lambda c: c.__qualname__)
def test_every_personal_looking_attribute_is_declared(event_class: type) -> None:
    if event_class.__module__ in NOT_CITIZENS:
        return
    looks = {a for a in attributes(event_class) if LOOKS_PERSONAL.search(a)}
    assert looks <= personal_attributes(event_class), (
        f"{event_class.__qualname__}: declare {sorted(looks - personal_attributes(event_class))}"
        " in core/domain/personal.py"
    )


@pytest.mark.parametrize("event_class", list(PERSONAL_DATA), ids=lambda c: c.__qualname__)
def test_declared_attributes_exist(event_class: type) -> None:
    assert PERSONAL_DATA[event_class].attributes <= attributes(event_class)
    assert PERSONAL_DATA[event_class].subject in {"originator", "request"}
