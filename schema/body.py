"""A request body read ahead of the app that answers it, then offered to that app again."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive) -> bytes:
    """The whole body of an HTTP request (all its ``http.request`` messages)."""
    message = await receive()
    body: bytes = message.get("body", b"")
    while message.get("more_body", False):
        message = await receive()
        body += message.get("body", b"")
    return body


def replayed(body: bytes, receive: Receive) -> Receive:
    """``receive`` for an app after the body was read: the body once, then the connection's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
