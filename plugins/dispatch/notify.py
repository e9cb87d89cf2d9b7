"""Notifications: in the citizen's language, channel after channel until one delivers; every
attempt recorded as an event (``NotificationSent`` with the receipt, or ``NotificationFailed``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from khidma.core.domain.dispatch import NotificationKind

from ..types import ConnectorError, Message
from .messages import render
from .policy import Failed

if TYPE_CHECKING:
    from .steps import Steps

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, steps: Steps) -> None:
        self.steps = steps

    async def notify(self, number: str, kind: NotificationKind, cause: int) -> bool:
        """Tell the citizen; ``cause`` (the triggering event's position) keys the attempt."""
        steps, outbox = self.steps, self.steps.outbox
        request = await outbox.request(number)
        if request is None or await steps.parked(number, "notify"):
            return False
        citizen = await outbox.citizen(request.citizen_id)
        dispatch = await outbox.dispatch(number)
        language = citizen.language.value if citizen is not None else "ar"
        payment = (dispatch.payment if dispatch else None) or {}
        text = render(
            kind,
            language,
            number=number,
            centre=request.pickup_centre,
            reason=request.rejection_reason,
            what=request.information_requested,
            postal=request.postal_tracking,
            due=dispatch.fallback_until if dispatch else None,
            amount=payment.get("amount"),
            link=payment.get("page_url"),
        )
        key = f"notify:{number}:{kind.value}:{cause}"
        message = Message(
            tracking_number=number,
            kind=kind.value,
            language=language,
            text=text,
            idempotency_key=key,
            citizen_id=str(request.citizen_id),
            phone=getattr(citizen, "phone", None),
            email=getattr(citizen, "email", None),
        )
        errors: list[str] = []
        for channel in steps.connectors.channels():
            try:
                receipt = await steps.connectors.notify(channel, message)
            except ConnectorError as error:
                errors.append(f"{channel}: {error}")
                await steps.khidma.dispatch.record_notification(
                    steps.actor, f"{key}:{channel}:failed", number, kind=kind, channel=channel,
                    language=language, error=str(error),
                )  # fmt: skip
                continue
            await steps.khidma.dispatch.record_notification(
                steps.actor, f"{key}:{channel}", number, kind=kind, channel=channel,
                language=language, receipt=receipt.receipt,
            )  # fmt: skip
            return True
        log.warning("%s: %s could not be delivered: %s", number, kind.value, "; ".join(errors))
        await steps.park(number, "notify", Failed("notifications", "; ".join(errors), len(errors)))
        return False
