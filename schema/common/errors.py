"""Expected failures as typed results: mutations answer one of these instead of a payload."""

from __future__ import annotations

import strawberry

from khidma.core.app import NotFound as NotFoundError
from khidma.core.domain import errors


@strawberry.type(description="A command's input is wrong; `field` names it (dotted if nested).")
class ValidationError:
    field: str
    message: str


@strawberry.type(description="The command is not allowed in the current state.")
class InvalidTransition:
    command: str
    state: str
    message: str


@strawberry.type(description="The caller may not do this (role, scope, permission, recipient).")
class NotAllowed:
    action: str
    message: str


@strawberry.type(description="The command named something that does not exist.")
class NotFound:
    what: str
    key: str
    message: str


Failure = ValidationError | InvalidTransition | NotAllowed | NotFound
EXPECTED = (errors.DomainError, NotFoundError)


def failure(error: Exception) -> Failure:
    """The typed result of an expected failure (domain errors and NotFound)."""
    if isinstance(error, errors.ValidationError):
        return ValidationError(field=_camel(error.field), message=error.message)
    if isinstance(error, errors.InvalidTransition):
        return InvalidTransition(command=error.command, state=error.state, message=str(error))
    if isinstance(error, errors.NotAllowed):
        return NotAllowed(action=error.action, message=str(error))
    if isinstance(error, NotFoundError):
        return NotFound(what=error.what, key=str(error.key), message=str(error))
    if isinstance(error, errors.DomainError):
        return ValidationError(field="input", message=str(error))
    raise TypeError(f"not an expected failure: {error!r}")


def _camel(field: str) -> str:
    """``recipient_national_number`` → ``recipientNationalNumber`` (per dotted part)."""
    parts = []
    for part in field.split("."):
        head, *rest = part.split("_")
        parts.append(head + "".join(w[:1].upper() + w[1:] for w in rest))
    return ".".join(parts)
