"""HTTP for the built-in connectors: httpx with timeouts, errors mapped to the plugin API's."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from ..types import ConnectorError, ConnectorRefused, ConnectorUnavailable, Health


@functools.cache
def tls() -> ssl.SSLContext:
    """The certificate store, loaded once: building it is most of a new client's cost (~55 ms
    of CPU against ~2 ms for a client given it), which every outside call used to pay."""
    return httpx.create_ssl_context()


class Http:
    """JSON over HTTP to one system; a timeout, a 5xx or a dropped connection is transient."""

    def __init__(self, base: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    async def post(
        self, path: str, payload: dict[str, Any], key: str | None = None
    ) -> dict[str, Any]:
        headers = {"idempotency-key": key} if key else {}
        return await self._call("POST", path, json=payload, headers=headers)

    async def get(self, path: str) -> dict[str, Any]:
        return await self._call("GET", path)

    async def health(self, system: str) -> list[Health]:
        """The system's ``/health``, as the health hook reports it."""
        try:
            await self.get("/health")
        except ConnectorError as error:
            return [Health(system, False, str(error))]
        return [Health(system, True, self.base)]

    async def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        url = f"{self.base}{path}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout, verify=tls()) as client:
                response = await client.request(method, url, **options)
                response.read()
        except httpx.TimeoutException as error:
            raise ConnectorUnavailable(f"{method} {url}: timed out ({error!r})") from error
        except httpx.TransportError as error:  # refused, reset, dropped mid-answer
            raise ConnectorUnavailable(f"{method} {url}: {error!r}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorUnavailable(f"{method} {url}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise ConnectorUnavailable(f"{method} {url}: not JSON") from None
        if response.status_code >= 400:
            detail = body.get("error") if isinstance(body, dict) else body
            raise ConnectorRefused(f"{method} {url}: HTTP {response.status_code}: {detail}")
        if not isinstance(body, dict):
            raise ConnectorUnavailable(f"{method} {url}: expected a JSON object")
        return body
