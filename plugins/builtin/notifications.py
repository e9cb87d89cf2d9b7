"""Notification channels: SMS first, then email, then the app's push messages (تطبيق معاملاتي)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from .. import hookimpl
from ..types import (
    ChannelSpec,
    ConnectorRefused,
    DeliveryReceipt,
    Health,
    Message,
    PluginContext,
)
from .http import Http


class MessageChannel:
    """A channel that POSTs ``{to, text, language}`` to ``<its URL>/messages``."""

    def __init__(self, name: str, priority: int, address: str) -> None:
        self.name = name
        self.priority = priority
        self.address = address  # the Message attribute holding this channel's address
        self.http: Http | None = None

    @hookimpl
    def khidma_startup(self, context: PluginContext) -> None:
        self.http = Http(context.url_for(self.name), context.timeout)

    @hookimpl
    def khidma_notification_channels(self) -> Sequence[ChannelSpec]:
        return [ChannelSpec(self.name, self.priority)]

    @hookimpl
    def khidma_send_notification(
        self, channel: str, message: Message
    ) -> Awaitable[DeliveryReceipt] | None:
        return self._send(message) if channel == self.name else None

    async def _send(self, message: Message) -> DeliveryReceipt:
        assert self.http is not None
        to = getattr(message, self.address)
        if not to:
            raise ConnectorRefused(f"{self.name}: the citizen has no {self.address}")
        body = await self.http.post(
            "/messages",
            {"to": to, "text": message.text, "language": message.language},
            f"{message.idempotency_key}:{self.name}",
        )
        return DeliveryReceipt(channel=self.name, receipt=str(body["message_id"]))

    @hookimpl
    def khidma_health(self) -> Awaitable[Sequence[Health]]:
        return self._health()

    async def _health(self) -> Sequence[Health]:
        assert self.http is not None
        return await self.http.health(self.name)


def channels() -> list[MessageChannel]:
    return [
        MessageChannel("sms", 10, "phone"),
        MessageChannel("email", 20, "email"),
        MessageChannel("app", 30, "citizen_id"),
    ]
