"""The electronic payment provider (the Syrian e-payments company): a payment page where the
citizen chooses the bank, a signed confirmation callback, status checks and refunds."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence

from .. import hookimpl
from ..signing import HEADER, verify
from ..types import (
    Callback,
    ConnectorUnavailable,
    ForgedCallback,
    Health,
    PaymentOrder,
    PaymentPage,
    PaymentState,
    PaymentStatus,
    PluginContext,
    RefundOrder,
    RefundReceipt,
)
from .http import Http


def status_from(body: dict[str, object]) -> PaymentStatus:
    try:
        return PaymentStatus(
            payment_ref=str(body["payment_ref"]),
            state=PaymentState(str(body["state"])),
            tracking_number=str(body["tracking_number"]),
            amount=int(body["amount"]),  # type: ignore[call-overload]
            bank=body.get("bank") and str(body["bank"]),  # type: ignore[arg-type]
        )
    except (KeyError, ValueError, TypeError) as error:
        raise ConnectorUnavailable(f"payment status: {error!r}") from None


class ElectronicPayments:
    """Provider ``sep``; the system is configured as ``payments``."""

    name = "sep"

    def __init__(self) -> None:
        self.http: Http | None = None
        self.secret = ""

    @hookimpl
    def khidma_startup(self, context: PluginContext) -> None:
        self.http = Http(context.url_for("payments"), context.timeout)
        self.secret = context.callback_secret

    @hookimpl
    def khidma_create_payment(
        self, provider: str, order: PaymentOrder
    ) -> Awaitable[PaymentPage] | None:
        return self._create(order) if provider == self.name else None

    async def _create(self, order: PaymentOrder) -> PaymentPage:
        assert self.http is not None
        body = await self.http.post(
            "/orders",
            {
                "tracking_number": order.tracking_number,
                "amount": order.amount,
                "bank": order.bank,
                "callback_url": order.callback_url,
            },
            order.idempotency_key,
        )
        return PaymentPage(payment_ref=str(body["payment_ref"]), page_url=str(body["page_url"]))

    @hookimpl
    def khidma_payment_status(
        self, provider: str, payment_ref: str
    ) -> Awaitable[PaymentStatus] | None:
        return self._status(payment_ref) if provider == self.name else None

    async def _status(self, payment_ref: str) -> PaymentStatus:
        assert self.http is not None
        return status_from(await self.http.get(f"/orders/{payment_ref}"))

    @hookimpl
    def khidma_payment_callback(self, provider: str, callback: Callback) -> PaymentStatus | None:
        if provider != self.name:
            return None
        if not verify(self.secret, callback.body, callback.headers.get(HEADER)):
            raise ForgedCallback("sep: the signature does not verify")
        try:
            return status_from(json.loads(callback.body))
        except (ValueError, ConnectorUnavailable):
            raise ForgedCallback("sep: a signed body that is not a payment status") from None

    @hookimpl
    def khidma_refund_payment(
        self, provider: str, order: RefundOrder
    ) -> Awaitable[RefundReceipt] | None:
        return self._refund(order) if provider == self.name else None

    async def _refund(self, order: RefundOrder) -> RefundReceipt:
        assert self.http is not None
        body = await self.http.post(
            f"/orders/{order.payment_ref}/refund",
            {"amount": order.amount, "tracking_number": order.tracking_number},
            order.idempotency_key,
        )
        return RefundReceipt(refund_ref=str(body["refund_ref"]))

    @hookimpl
    def khidma_health(self) -> Awaitable[Sequence[Health]]:
        return self._health()

    async def _health(self) -> Sequence[Health]:
        assert self.http is not None
        return await self.http.health("payments")
