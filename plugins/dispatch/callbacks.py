"""Where agencies and the payment provider call khidma back: signed, verified, applied once."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from khidma.core.app import NotFound

from ..connectors import NoConnector
from ..types import Callback, ForgedCallback
from .steps import Steps

log = logging.getLogger(__name__)


async def _callback(request: Request) -> Callback:
    body = await request.body()
    return Callback({k.lower(): v for k, v in request.headers.items()}, body)


def callback_app(steps: Steps) -> Starlette:
    """``POST /agencies/{agency}`` and ``POST /payments/{provider}``; mount at ``/callbacks``."""

    async def agency(request: Request) -> Response:
        name = request.path_params["agency"]
        try:
            answer = steps.connectors.agency_callback(name, await _callback(request))
        except ForgedCallback as error:
            log.warning("refused a forged callback from %s: %s", request.client, error)
            return JSONResponse({"error": "signature"}, status_code=403)
        except NoConnector as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        if not answer.tracking_number:
            return JSONResponse({"error": "tracking_number: missing"}, status_code=400)
        try:
            applied = await steps.apply(answer.tracking_number, answer)
        except NotFound as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        return JSONResponse({"applied": applied})

    async def payment(request: Request) -> Response:
        provider = request.path_params["provider"]
        try:
            status = steps.connectors.payment_callback(provider, await _callback(request))
        except ForgedCallback as error:
            log.warning("refused a forged payment callback from %s: %s", request.client, error)
            return JSONResponse({"error": "signature"}, status_code=403)
        except NoConnector as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        return JSONResponse({"applied": await steps.record_paid(status, provider)})

    return Starlette(
        routes=[
            Route("/agencies/{agency}", agency, methods=["POST"]),
            Route("/payments/{provider}", payment, methods=["POST"]),
        ]
    )
