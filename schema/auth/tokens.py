"""Bearer tokens: their claims, minting (development) and verifying (every request).

Claims: ``sub`` (the actor's id: a citizen's khidma id, or a staff member's derived id), ``role``
(citizen, clerk, supervisor, auditor, agency, admin; ``system`` for khidma's own service
accounts such as a payment gateway relay), ``centre``, ``agency``, ``channel`` (citizens:
portal or app), ``national_number`` (citizens: the number the identity provider verified),
``iss``, ``iat`` and ``exp``.

A citizen's id is random and cannot be derived from their national number, so that
forgetting them leaves nothing linking the two (core/privacy/numbers.py). A production
identity provider carries its own stable, random id of the person as ``sub`` and, until they
have an account, the number it verified as ``national_number``: ``registerCitizen`` then
links that number to that ``sub``, which is the citizen's id from then on (``citizenId`` in
``registerCitizen`` and ``me``). A number already linked answers only to its own id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt

from khidma.core.app import Actor
from khidma.core.config import Settings
from khidma.core.domain.citizen import parse_national_number
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.roles import Role

from .keys import ASYMMETRIC, JwksKeys, load_or_create_hs256_key

_REMEMBERED = 10_000  # verified tokens kept (each until it expires)


class TokenError(Exception):
    """The bearer token is missing a claim, expired, badly signed or otherwise unusable."""


def claims_for(
    role: Role | str,
    subject: uuid.UUID | str | None = None,
    *,
    centre: str | None = None,
    agency: str | None = None,
    channel: str | None = None,
    national_number: str | None = None,
    issuer: str = "khidma",
    hours: float = 12.0,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a token for this actor (a random subject if none is given)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": str(subject or uuid.uuid4()),
        "role": Role(role).value,
        "iss": issuer,
        "iat": issued,
        "exp": issued + int(hours * 3600),
    }
    for name, value in (
        ("centre", centre),
        ("agency", agency),
        ("channel", channel),
        ("national_number", national_number),
    ):
        if value:
            claims[name] = value
    return claims


def actor_from_claims(claims: Mapping[str, Any]) -> Actor:
    """The actor a verified token speaks for; TokenError naming the claim that is wrong."""
    try:
        subject = uuid.UUID(str(claims["sub"]))
    except (KeyError, ValueError):
        raise TokenError("sub: expected the actor's UUID") from None
    try:
        role = Role(claims.get("role"))
    except ValueError:
        raise TokenError(f"role: one of {', '.join(r.value for r in Role)}") from None
    channel = claims.get("channel")
    try:
        via = Channel(channel) if channel else None
    except ValueError:
        raise TokenError("channel: one of portal, app, counter") from None
    number = _text(claims, "national_number")
    if number is not None:
        try:
            number = parse_national_number(number)
        except ValidationError:
            raise TokenError("national_number: expected 11 digits") from None
    return Actor(
        subject,
        role,
        centre=_text(claims, "centre"),
        agency=_text(claims, "agency"),
        channel=via,
        national_number=number,
    )


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TokenError(f"{name}: expected text")
    return value


class Tokens:
    """Mints (HS256 only) and verifies tokens with the configured keys."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.jwt_issuer
        self.hours = settings.token_hours
        self._jwks = JwksKeys(settings.jwks_url) if settings.jwks_url else None
        self._secret = None if self._jwks else load_or_create_hs256_key(settings.jwt_key_path)
        self._verified: dict[str, tuple[Actor, float]] = {}

    def mint(self, role: Role | str, subject: uuid.UUID | str | None = None, **scope: Any) -> str:
        """A signed development token (HS256; with a JWKS, the identity provider mints)."""
        if self._secret is None:
            raise TokenError("tokens come from the identity provider when a JWKS is configured")
        claims = claims_for(role, subject, issuer=self.issuer, hours=self.hours, **scope)
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Actor:
        """The actor of a valid token (blocking on a first JWKS fetch: see ``averify``).

        A token verified before is not verified again until it expires (an LRU of them).
        """
        known = self._verified.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        try:
            if self._jwks is not None:
                key: Any = self._jwks.key_for(token).key
                algorithms = list(ASYMMETRIC)
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iat"]},
            )
        except jwt.PyJWTError as error:
            raise TokenError(str(error)) from None
        actor = actor_from_claims(claims)
        if len(self._verified) >= _REMEMBERED:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (actor, float(claims["exp"]))
        return actor

    async def averify(self, token: str) -> Actor:
        if self._jwks is not None and token not in self._verified:
            return await asyncio.to_thread(self.verify, token)
        return self.verify(token)
