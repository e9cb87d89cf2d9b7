"""The plugin API as the dispatcher uses it: typed, awaited, and loud when no plugin answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pluggy

from khidma.core.config import Settings

from .manager import OfferedService, per_plugin, resolve, services
from .types import (
    AgencyAnswer,
    AgencySubmission,
    Callback,
    DeliveryReceipt,
    Health,
    Message,
    Parcel,
    PaymentOrder,
    PaymentPage,
    PaymentStatus,
    PostalReceipt,
    RefundOrder,
    RefundReceipt,
)

T = TypeVar("T")


class NoConnector(LookupError):
    """No plugin answers for this agency, provider or channel."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no plugin handles {what}")
        self.what = what


class Connectors:
    """Every connector behind one object, over a plugin manager made by ``create_manager``."""

    def __init__(self, manager: pluggy.PluginManager, settings: Settings) -> None:
        self.manager = manager
        self.hook = manager.hook
        self.provider = settings.payment_provider
        self.services: list[OfferedService] = services(manager)

    # -- agencies ------------------------------------------------------------------------

    async def submit(self, agency: str, submission: AgencySubmission) -> AgencyAnswer:
        found = self.hook.khidma_submit_request(agency=agency, submission=submission)
        return _check(await resolve(_some(found, f"agency {agency}")), AgencyAnswer)

    async def poll(self, agency: str, tracking_number: str, reference: str) -> AgencyAnswer:
        found = self.hook.khidma_poll_request(
            agency=agency, tracking_number=tracking_number, agency_reference=reference
        )
        return _check(await resolve(_some(found, f"agency {agency}")), AgencyAnswer)

    def agency_callback(self, agency: str, callback: Callback) -> AgencyAnswer:
        found = self.hook.khidma_agency_callback(agency=agency, callback=callback)
        return _check(_some(found, f"agency {agency}"), AgencyAnswer)

    # -- payments ------------------------------------------------------------------------

    async def create_payment(self, order: PaymentOrder) -> PaymentPage:
        found = self.hook.khidma_create_payment(provider=self.provider, order=order)
        return _check(await resolve(_some(found, f"provider {self.provider}")), PaymentPage)

    async def payment_status(self, payment_ref: str, provider: str | None = None) -> PaymentStatus:
        provider = provider or self.provider
        found = self.hook.khidma_payment_status(provider=provider, payment_ref=payment_ref)
        return _check(await resolve(_some(found, f"provider {provider}")), PaymentStatus)

    def payment_callback(self, provider: str, callback: Callback) -> PaymentStatus:
        found = self.hook.khidma_payment_callback(provider=provider, callback=callback)
        return _check(_some(found, f"provider {provider}"), PaymentStatus)

    async def refund(self, order: RefundOrder, provider: str | None = None) -> RefundReceipt:
        provider = provider or self.provider
        found = self.hook.khidma_refund_payment(provider=provider, order=order)
        return _check(await resolve(_some(found, f"provider {provider}")), RefundReceipt)

    # -- the post and notifications ------------------------------------------------------

    async def dispatch_parcel(self, parcel: Parcel) -> PostalReceipt:
        found = self.hook.khidma_dispatch_parcel(parcel=parcel)
        return _check(await resolve(_some(found, "the post")), PostalReceipt)

    def channels(self) -> list[str]:
        """Notification channels, in the order they are tried."""
        specs = [s for batch in self.hook.khidma_notification_channels() for s in batch]
        return [s.name for s in sorted(specs, key=lambda s: (s.priority, s.name))]

    async def notify(self, channel: str, message: Message) -> DeliveryReceipt:
        found = self.hook.khidma_send_notification(channel=channel, message=message)
        return _check(await resolve(_some(found, f"channel {channel}")), DeliveryReceipt)

    # -- health --------------------------------------------------------------------------

    async def health(self) -> list[tuple[str, Health]]:
        """(plugin, health) for every part every plugin reports on."""
        reports: list[tuple[str, Health]] = []
        for plugin, result in per_plugin(self.manager, "khidma_health"):
            for entry in await resolve(result) or ():
                reports.append((plugin, entry))
        return reports

    def agencies(self) -> Sequence[str]:
        return sorted({s.offer.agency for s in self.services})


def _some(value: T | None, what: str) -> T:
    if value is None:
        raise NoConnector(what)
    return value


def _check(value: object, kind: type[T]) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"a plugin returned {value!r}, expected {kind.__name__}")
    return value
