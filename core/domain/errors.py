"""Domain errors: each says what was wrong in words a clerk or a frontend can show."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of errors raised by the aggregates' rules."""


class ValidationError(DomainError, ValueError):
    """A command's input is wrong; ``field`` names it (dotted for nested fields)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTransition(DomainError):
    """The command is not allowed in the aggregate's current state."""

    def __init__(self, command: str, state: str, why: str = "") -> None:
        detail = f": {why}" if why else ""
        super().__init__(f"cannot {command} while {state}{detail}")
        self.command = command
        self.state = state


class NotAllowed(DomainError, PermissionError):
    """The actor may not do this (a missing permission, another centre, the wrong recipient)."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"not allowed to {action}: {reason}")
        self.action = action
        self.reason = reason
