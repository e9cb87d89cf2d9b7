"""The post: certified documents to a post office or the home address, with a tracking number."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from .. import hookimpl
from ..types import Health, Parcel, PluginContext, PostalReceipt
from .http import Http


class SyrianPost:
    def __init__(self) -> None:
        self.http: Http | None = None

    @hookimpl
    def khidma_startup(self, context: PluginContext) -> None:
        self.http = Http(context.url_for("post"), context.timeout)

    @hookimpl
    def khidma_dispatch_parcel(self, parcel: Parcel) -> Awaitable[PostalReceipt]:
        return self._dispatch(parcel)

    async def _dispatch(self, parcel: Parcel) -> PostalReceipt:
        assert self.http is not None
        body = await self.http.post(
            "/parcels",
            {
                "tracking_number": parcel.tracking_number,
                "delivery": parcel.delivery,
                "destination": parcel.destination,
            },
            parcel.idempotency_key,
        )
        return PostalReceipt(postal_tracking=str(body["postal_tracking"]))

    @hookimpl
    def khidma_health(self) -> Awaitable[Sequence[Health]]:
        return self._health()

    async def _health(self) -> Sequence[Health]:
        assert self.http is not None
        return await self.http.health("post")
