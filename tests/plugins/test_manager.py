"""The plugin manager: built-ins through the hooks, one factory, refusal naming the plugin."""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import pytest

from khidma.core.config import Settings
from khidma.plugins import hookimpl, hookspecs
from khidma.plugins.connectors import Connectors, NoConnector
from khidma.plugins.manager import PluginError, create_manager, hook_names
from khidma.plugins.types import ServiceOffer

FORM = {"fields": [{"name": "plate", "type": "text", "label": {"ar": "اللوحة", "en": "Plate"}}]}


def offer(code: str = "traffic.fine_statement", **changes: object) -> ServiceOffer:
    values: dict[str, object] = {
        "code": code,
        "name_ar": "بيان مخالفات",
        "name_en": "Traffic fines statement",
        "agency": "traffic",
        "form_schema": FORM,
        "fee": 1000,
        "handling": "reply_later",
        "turnaround_days": 2,
        "collectors": ("self",),
        **changes,
    }
    return ServiceOffer(**values)  # type: ignore[arg-type]


class Offering:
    def __init__(self, *offers: ServiceOffer) -> None:
        self.offers = offers

    @hookimpl
    def khidma_services(self) -> Sequence[ServiceOffer]:
        return list(self.offers)


def test_every_hook_is_documented_and_typed() -> None:
    specs = [f for name, f in vars(hookspecs).items() if name.startswith("khidma_")]
    assert len(specs) >= 12
    for spec in specs:
        doc = inspect.getdoc(spec) or ""
        assert len(doc) > 80, f"{spec.__name__} is undocumented"
        hints = inspect.get_annotations(spec)
        assert "return" in hints, f"{spec.__name__} has no return type"
        assert all(p in hints for p in inspect.signature(spec).parameters), spec.__name__


def test_builtins_are_registered_through_the_same_hooks(offline_settings: Settings) -> None:
    manager = create_manager(offline_settings, entry_points=False)
    names = {name for name, _ in manager.list_name_plugin()}
    assert {"builtin.civil_registry", "builtin.justice", "builtin.payments"} <= names
    assert {"builtin.sms", "builtin.email", "builtin.app"} <= names
    connectors = Connectors(manager, offline_settings)
    handling = {s.offer.agency: s.offer.handling for s in connectors.services}
    assert handling["civil_registry"] == "direct"
    assert handling["justice"] == handling["real_estate"] == handling["finance"] == "reply_later"
    assert handling["state_employees"] == "reply_later"
    assert connectors.channels() == ["sms", "email", "app"]
    assert set(hook_names(manager)) == {n for n in vars(hookspecs) if n.startswith("khidma_")}


def test_a_duplicate_service_code_is_refused_naming_the_plugin(offline_settings: Settings) -> None:
    first, second = Offering(offer()), Offering(offer())
    with pytest.raises(PluginError, match=r"traffic\.fine_statement") as refused:
        create_manager(
            offline_settings, plugins=[first, second], builtins=False, entry_points=False
        )
    assert refused.value.plugin in {str(id(first)), str(id(second))}


def test_a_code_already_offered_by_a_builtin_is_refused(offline_settings: Settings) -> None:
    plugin = Offering(offer("civil.birth_statement"))
    with pytest.raises(PluginError, match=r"builtin\.civil_registry"):
        create_manager(offline_settings, plugins=[plugin], entry_points=False)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"form_schema": {"fields": [{"name": "x", "type": "colour"}]}}, "type"),
        ({"form_schema": {"fields": "plate"}}, "form_schema"),
        ({"fee": -5}, "agency_fee"),
        ({"handling": "sometimes"}, "handling"),
        ({"code": "Traffic Fines"}, "code"),
    ],
)
def test_an_invalid_offer_is_refused_naming_plugin_and_field(
    offline_settings: Settings, changes: dict[str, object], field: str
) -> None:
    plugin = Offering(offer(**changes))
    with pytest.raises(PluginError, match=field) as refused:
        create_manager(offline_settings, plugins=[plugin], builtins=False, entry_points=False)
    assert str(id(plugin)) in str(refused.value)


async def test_no_plugin_for_an_agency_is_a_clear_error(offline_settings: Settings) -> None:
    manager = create_manager(offline_settings, builtins=False, entry_points=False)
    connectors = Connectors(manager, offline_settings)
    with pytest.raises(NoConnector, match="agency nowhere"):
        await connectors.poll("nowhere", "DAM-2026-0000001-0", "REF")
