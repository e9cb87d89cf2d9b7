"""Running a command from a mutation: the caller, the idempotency key, expected failures."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from khidma.core.app import Actor
from khidma.core.app.permissions import allow

from ..permissions.table import MUTATIONS
from .errors import EXPECTED, Failure, NotAllowed, failure

log = logging.getLogger(__name__)

Call = Callable[[Actor], Awaitable[dict[str, Any]]]


async def run(info: strawberry.Info, call: Call) -> dict[str, Any] | Failure:
    """The command's result, or the typed failure (nothing written) when it was refused."""
    actor = info.context.actor
    if actor is None:
        return NotAllowed(action=info.field_name, message="sign in first (a bearer token)")
    try:
        # The role table first, so that no input is looked at for a role that may not run it.
        allow(actor, MUTATIONS[info.field_name])
        return await call(actor)
    except EXPECTED as error:
        return failure(error)
    except TypeError as error:  # a keyword the command does not take, from ``**changes``
        log.info("%s refused: %s", info.field_name, error)
        return failure_of_input(error)


def failure_of_input(error: TypeError) -> Failure:
    from .errors import ValidationError

    return ValidationError(field="input", message=str(error))
