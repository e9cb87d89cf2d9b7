"""What each role may read: as SQL for lists, as a check for one row (same rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from khidma.core.app import Actor
from khidma.core.domain.roles import Role

_CENTRES = ("origin_centre", "pickup_centre", "processing_centre")
NOTHING = "false"


def governorate(actor: Actor) -> str | None:
    """A supervisor's governorate: the prefix of their centre's code (``HMS`` of ``HMS-01``)."""
    return actor.centre.split("-", 1)[0] if actor.centre else None


def sql(actor: Actor | None, args: list[Any]) -> str:
    """A WHERE condition on ``requests`` limiting rows to the actor's scope; appends to args."""
    if actor is None:
        return NOTHING
    role = actor.role
    if role in (Role.AUDITOR, Role.ADMIN, Role.SYSTEM):
        return "true"
    if role is Role.CITIZEN:
        args.append(actor.id)
        return f"citizen_id = ${len(args)}"
    if role is Role.AGENCY:
        if not actor.agency:
            return NOTHING
        args.append(actor.agency)
        return f"agency_code = ${len(args)}"
    if role is Role.CLERK:
        if not actor.centre:
            return NOTHING
        args.append(actor.centre)
        here = " OR ".join(f"{c} = ${len(args)}" for c in _CENTRES)
        if not actor.agency:
            return f"({here})"
        args.append(actor.agency)
        return f"({here}) AND agency_code = ${len(args)}"
    if role is Role.SUPERVISOR:
        gov = governorate(actor)
        if not gov:
            return NOTHING
        args.append(f"{gov}-%")
        return "(" + " OR ".join(f"{c} LIKE ${len(args)}" for c in _CENTRES) + ")"
    return NOTHING


def can_see(actor: Actor | None, row: Mapping[str, Any]) -> bool:
    """Whether the actor may read this ``requests`` row (the Python twin of :func:`sql`)."""
    if actor is None:
        return False
    role = actor.role
    if role in (Role.AUDITOR, Role.ADMIN, Role.SYSTEM):
        return True
    if role is Role.CITIZEN:
        return row["citizen_id"] == actor.id
    if role is Role.AGENCY:
        return bool(actor.agency) and row["agency_code"] == actor.agency
    centres = {row[c] for c in _CENTRES} - {None}
    if role is Role.CLERK:
        if not actor.centre or actor.centre not in centres:
            return False
        return not actor.agency or row["agency_code"] == actor.agency
    if role is Role.SUPERVISOR:
        gov = governorate(actor)
        return bool(gov) and any(c.startswith(f"{gov}-") for c in centres)
    return False
