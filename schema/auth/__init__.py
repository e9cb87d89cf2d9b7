"""Who is calling: JWT bearer tokens, minted for development and verified on every request."""

from .tokens import TokenError, Tokens, actor_from_claims, claims_for

__all__ = ["TokenError", "Tokens", "actor_from_claims", "claims_for"]
