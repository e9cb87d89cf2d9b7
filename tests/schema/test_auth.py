"""Bearer tokens: the HS256 key made at first start, claims, expiry, a JWKS (RS256)."""

from __future__ import annotations

import functools
import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from khidma.core.config import Settings
from khidma.core.domain.roles import Role
from khidma.schema.auth import TokenError, Tokens, claims_for


def test_the_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    token = Tokens(settings).mint(Role.CLERK, centre="DAM-01", agency="civil_registry")
    key = tmp_path / "jwt.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    actor = Tokens(settings).verify(token)  # a second process, the same key
    assert (actor.role, actor.centre, actor.agency) == (Role.CLERK, "DAM-01", "civil_registry")


def test_expired_foreign_and_malformed_tokens_are_refused(tmp_path: Path) -> None:
    tokens = Tokens(Settings(data_dir=tmp_path))
    secret = (tmp_path / "jwt.key").read_bytes()
    expired = jwt.encode(claims_for("citizen", now=time.time() - 86_400, hours=1), secret)
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(expired)
    with pytest.raises(TokenError, match="Signature"):
        tokens.verify(jwt.encode(claims_for("citizen"), b"x" * 32))
    with pytest.raises(TokenError, match="role"):
        tokens.verify(jwt.encode({**claims_for("citizen"), "role": "king"}, secret))


@pytest.fixture
def identity_provider(tmp_path: Path) -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """An HTTP server publishing a JWKS with one RS256 key, as an identity provider does."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**public, "kid": "k1"}]}))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", private
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_jwks_verifies_rs256_tokens_of_the_identity_provider(
    tmp_path: Path, identity_provider: tuple[str, rsa.RSAPrivateKey]
) -> None:
    url, private = identity_provider
    tokens = Tokens(Settings(data_dir=tmp_path, jwks_url=url))
    signed = jwt.encode(claims_for("auditor"), private, algorithm="RS256", headers={"kid": "k1"})
    assert tokens.verify(signed).role is Role.AUDITOR
    assert not (tmp_path / "jwt.key").exists()
    with pytest.raises(TokenError):
        tokens.mint("admin")
