"""Forgetting a data subject outside the events: their key, and the tables that echo them.

Events keep only ciphertext (core/privacy/mapper.py) and read models hold no personal data
(projections/), but command results, kept for idempotent retries, may hold a citizen's
national number in clear: they are scrubbed in the transaction that destroys the key. The
same transaction deletes the citizen's row of ``citizen_numbers`` (core/privacy/numbers.py),
so a crash leaves either the key and the link both there (a retry completes the forget) or
neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from ..events.store import EventStore
from .keyring import keyring_of
from .numbers import numbers_of

# Results of the citizen's commands, or naming one of their traces, keep only that they were
# forgotten (a retry of such a command still answers, without the data).
_SCRUB_COMMANDS = """
UPDATE commands SET result = jsonb_build_object('citizen_id', $1::text, 'forgotten', true)
WHERE command <> 'forget_citizen' AND NOT (result ? 'forgotten')
  AND (result->>'citizen_id' = $1::text
       OR EXISTS (SELECT 1 FROM unnest($2::text[]) t WHERE strpos(result::text, t) > 0))
"""


async def shred(store: EventStore, subject: UUID, reason: str, traces: Sequence[str]) -> None:
    """Destroy ``subject``'s key, unlink their national number and scrub command results of
    them or of any of ``traces`` (e.g. that number), in one transaction; safe to run again."""
    keyring = keyring_of(store)
    numbers = numbers_of(store)
    async with store.pool.acquire() as conn, conn.transaction():
        await keyring.destroy(conn, subject, reason)
        await numbers.forget(conn, subject)
        await conn.execute(_SCRUB_COMMANDS, str(subject), [t for t in traces if t])
    keyring.forgotten(subject)  # here at once (numbers too); other processes on the notice
