"""khidma's own connectors, registered as ordinary plugins through the same hooks."""

from __future__ import annotations

from khidma.core.app.demo_catalog import AGENCIES

from .agencies import AgencyConnector
from .notifications import channels
from .payments import ElectronicPayments
from .post import SyrianPost


def builtin_plugins() -> list[tuple[str, object]]:
    """(name, plugin) for every built-in: one per agency, payments, the post, each channel."""
    found: list[tuple[str, object]] = [(f"builtin.{a}", AgencyConnector(a)) for a in AGENCIES]
    found.append(("builtin.payments", ElectronicPayments()))
    found.append(("builtin.post", SyrianPost()))
    found.extend((f"builtin.{c.name}", c) for c in channels())
    return found
