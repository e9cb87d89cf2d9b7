"""Where staff may act: clerks and supervisors (and kiosks) only at the centre they are at."""

from __future__ import annotations

from khidma.core.domain.centre import parse_centre_code
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.roles import Role

from .actor import Actor

CENTRE_STAFF = frozenset({Role.CLERK, Role.SUPERVISOR})


def own_centre(actor: Actor, command: str, code: str) -> None:
    """NotAllowed unless the actor is at centre ``code``.

    Clerks, supervisors and kiosks (system actors at a centre) act only at their centre; admins
    and khidma's own workers anywhere.
    """
    bound = actor.role in CENTRE_STAFF or (actor.role is Role.SYSTEM and actor.centre is not None)
    if bound and actor.centre != code:
        where = f"centre {actor.centre}" if actor.centre else "no centre"
        raise NotAllowed(command, f"this {actor.role.value} is at {where}, not {code}")


def centre_of(actor: Actor, command: str, code: str | None, field: str = "centre") -> str:
    """The centre a command is about: ``code`` if given, else the actor's own; scope checked."""
    if code is None:
        if actor.centre is None:
            if actor.role in CENTRE_STAFF:
                raise NotAllowed(command, f"this {actor.role.value} is at no centre")
            raise ValidationError(field, "required")
        code = actor.centre
    checked = parse_centre_code(code, field)
    own_centre(actor, command, checked)
    return checked
