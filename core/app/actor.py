"""Who runs a command, and the metadata every event of that command carries."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from khidma.core.domain.errors import ValidationError
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.roles import Role

_KEY = re.compile(r"^[\x21-\x7e]{8,200}$")


@dataclass(frozen=True, slots=True)
class Actor:
    """The person or system behind a command, as their token (or the worker) says."""

    id: uuid.UUID
    role: Role
    centre: str | None = None
    agency: str | None = None
    channel: Channel | None = None
    # A citizen's national number as their identity provider verified it (never written to
    # events): lets a citizen whose number has no account yet register it on the portal.
    national_number: str | None = None

    def metadata(
        self, idempotency_key: str, correlation_id: str | None, causation_id: str | None
    ) -> dict[str, str | None]:
        """Event metadata: who, in what role, where, through which channel, and why."""
        return {
            "actor_id": str(self.id),
            "actor_role": self.role.value,
            "centre": self.centre,
            "agency": self.agency,
            "channel": self.channel.value if self.channel else None,
            "correlation_id": correlation_id or idempotency_key,
            "causation_id": causation_id,
            "idempotency_key": idempotency_key,
        }


def check_idempotency_key(key: object) -> str:
    """8-200 visible ASCII characters, e.g. a UUID the client made for this attempt."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValidationError("idempotency_key", "expected 8-200 visible ASCII characters")
    return key
