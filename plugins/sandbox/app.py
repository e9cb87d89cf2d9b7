"""The agency simulator: the HTTP endpoints the built-in connectors speak, on one Starlette app.

``/{agency}/requests`` (file, re-send information), ``/{agency}/requests/{ref}`` (poll),
``/payments/orders`` (open, status, refund) and ``/payments/pay/{ref}`` (the page where the
citizen chooses a bank and pays), ``/post/parcels``, ``/sms/messages``, ``/email/messages``,
``/{system}/health``; ``/_control`` sets the knobs (latency, outages, error, drop and rejection
rates, callback delay, duplicated and reordered callbacks) and ``/_calls`` lists what was asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .state import Dropped, Knobs, Sandbox

REJECTION = "الطلاق غير مكتسب الدرجة القطعية بعد / the divorce is not yet final"
MISSING = "صورة عن البطاقة الشخصية / a copy of the identity card"
Handler = Callable[[Request, Sandbox], Awaitable[Response]]


def _system(request: Request) -> str:
    return str(request.path_params.get("system") or request.url.path.strip("/").split("/")[0])


def faulty(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Apply the system's knobs (latency, outage, 500s, drops) before ``handler``; log the call."""

    async def endpoint(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        system = _system(request)
        knobs = sandbox.knobs_for(system)
        sandbox.calls.append(
            {
                "system": system,
                "method": request.method,
                "path": request.url.path,
                "key": request.headers.get("idempotency-key"),
            }
        )
        if knobs.latency:
            await asyncio.sleep(knobs.latency)
        if knobs.outage:
            return JSONResponse({"error": f"{system} is down"}, status_code=503)
        if sandbox.chance(knobs.error_rate):
            return JSONResponse({"error": "internal error"}, status_code=500)
        if sandbox.chance(knobs.drop_rate):
            raise Dropped(system)
        key = request.headers.get("idempotency-key")
        if request.method == "POST" and key and (system, key) in sandbox.replies:
            status, body = sandbox.replies[system, key]
            return JSONResponse(body, status_code=status)
        response = await handler(request, sandbox)
        if request.method == "POST" and key and isinstance(response, _Reply):
            sandbox.replies[system, key] = (response.status_code, response.payload)
        return response

    return endpoint


class _Reply(JSONResponse):
    def __init__(self, payload: dict[str, Any], status_code: int = 200) -> None:
        super().__init__(payload, status_code=status_code)
        self.payload = payload


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _BadRequest("expected a JSON object")
    return body


class _BadRequest(Exception):
    pass


# -- agencies ------------------------------------------------------------------------------


def _decide(sandbox: Sandbox, knobs: Knobs) -> str:
    if sandbox.chance(knobs.rejection_rate):
        return "refused"
    if sandbox.chance(knobs.info_rate):
        return "incomplete"
    return "completed"


def _agency_view(record: dict[str, Any]) -> dict[str, Any]:
    view = {"reference": record["reference"], "tracking_number": record["tracking_number"]}
    view["status"] = record["status"]
    if record["status"] == "completed":
        view["document"] = record["document"]
    elif record["status"] == "refused":
        view["reason"] = REJECTION
    elif record["status"] == "incomplete":
        view["missing"] = MISSING
    return view


async def file_request(request: Request, sandbox: Sandbox) -> Response:
    agency = _system(request)
    body = await _json(request)
    number = body.get("tracking_number")
    if not isinstance(number, str) or not number:
        return _Reply({"error": "tracking_number: required"}, 400)
    knobs = sandbox.knobs_for(agency)
    reference = body.get("reference")
    if reference:  # information the agency asked for, re-sent
        record = sandbox.requests.get(reference)
        if record is None or record["agency"] != agency:
            return _Reply({"error": "reference: unknown"}, 404)
        record["status"] = "processing"
        _finish_later(sandbox, record, "completed")
        return _Reply({"status": "received", "reference": reference})
    outcome = _decide(sandbox, knobs)
    reference = sandbox.next_id(f"{agency.upper()[:3]}-REF")
    record = {
        "agency": agency,
        "reference": reference,
        "tracking_number": number,
        "status": "processing",
        "document": f"{agency.upper()[:3]}-DOC-{reference.rsplit('-', 1)[1]}",
        "callback_url": body.get("callback_url"),
    }
    sandbox.requests[reference] = record
    if body.get("mode") == "direct":
        record["status"] = outcome
        return _Reply(_agency_view(record))
    _finish_later(sandbox, record, outcome)
    return _Reply({"status": "received", "reference": reference, "tracking_number": number})


def _finish_later(sandbox: Sandbox, record: dict[str, Any], outcome: str) -> None:
    """Decide after the callback delay; call back (duplicated, reordered, as the knobs say)."""
    knobs = sandbox.knobs_for(record["agency"])

    async def decide() -> None:
        await asyncio.sleep(knobs.callback_delay)
        record["status"] = outcome

    task = asyncio.get_running_loop().create_task(decide())
    sandbox.tasks.add(task)
    task.add_done_callback(sandbox.tasks.discard)
    url = record.get("callback_url")
    if url:
        final = {**_agency_view(record), "status": outcome}
        if outcome == "completed":
            final["document"] = record["document"]
        elif outcome == "refused":
            final["reason"] = REJECTION
        elif outcome == "incomplete":
            final["missing"] = MISSING
        stale = {"reference": record["reference"], "tracking_number": record["tracking_number"]}
        payloads = [final, {**stale, "status": "received"}] if knobs.reorder_callbacks else [final]
        sandbox.call_back(record["agency"], url, payloads)


async def poll_request(request: Request, sandbox: Sandbox) -> Response:
    record = sandbox.requests.get(request.path_params["reference"])
    if record is None or record["agency"] != _system(request):
        return JSONResponse({"error": "reference: unknown"}, status_code=404)
    return JSONResponse(_agency_view(record))


# -- payments ------------------------------------------------------------------------------


def _payment_view(payment: dict[str, Any]) -> dict[str, Any]:
    return {k: payment[k] for k in ("payment_ref", "tracking_number", "amount", "state", "bank")}


async def open_payment(request: Request, sandbox: Sandbox) -> Response:
    body = await _json(request)
    amount = body.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        return _Reply({"error": "amount: expected whole pounds > 0"}, 400)
    ref = sandbox.next_id("SEP")
    payment = {
        "payment_ref": ref,
        "tracking_number": body.get("tracking_number"),
        "amount": amount,
        "state": "pending",
        "bank": body.get("bank"),
        "callback_url": body.get("callback_url"),
    }
    sandbox.payments[ref] = payment
    page = str(request.url_for("pay", ref=ref))
    if sandbox.knobs_for("payments").auto_pay:
        _pay(sandbox, payment, payment["bank"] or Sandbox.BANKS[0][0])
    return _Reply({"payment_ref": ref, "page_url": page})


def _pay(sandbox: Sandbox, payment: dict[str, Any], bank: str) -> None:
    payment["state"], payment["bank"] = "paid", bank
    if payment.get("callback_url"):
        sandbox.call_back("payments", payment["callback_url"], [_payment_view(payment)])


async def payment_status(request: Request, sandbox: Sandbox) -> Response:
    payment = sandbox.payments.get(request.path_params["ref"])
    if payment is None:
        return JSONResponse({"error": "payment_ref: unknown"}, status_code=404)
    return JSONResponse(_payment_view(payment))


async def refund_payment(request: Request, sandbox: Sandbox) -> Response:
    payment = sandbox.payments.get(request.path_params["ref"])
    if payment is None:
        return _Reply({"error": "payment_ref: unknown"}, 404)
    if payment["state"] not in ("paid", "refunded"):
        return _Reply({"error": f"state: a {payment['state']} payment is not refunded"}, 409)
    payment["state"] = "refunded"
    payment.setdefault("refund_ref", sandbox.next_id("SEP-RF"))
    return _Reply({"refund_ref": payment["refund_ref"]})


async def payment_page(request: Request, sandbox: Sandbox) -> Response:
    """The page the citizen pays on: choose a bank (GET shows it, POST pays)."""
    ref = request.path_params["ref"]
    payment = sandbox.payments.get(ref)
    if payment is None:
        return HTMLResponse("<p>الدفعة غير موجودة / unknown payment</p>", status_code=404)
    if request.method == "POST":
        form = parse_qs((await request.body()).decode())  # urlencoded, as browsers post
        bank = (form.get("bank") or [""])[0]
        if bank not in {b[0] for b in Sandbox.BANKS}:
            return HTMLResponse("<p>اختر مصرفاً / choose a bank</p>", status_code=400)
        if payment["state"] == "pending":
            _pay(sandbox, payment, bank)
        return HTMLResponse("<p>تم الدفع / paid</p>")
    options = "".join(
        f'<option value="{code}">{html.escape(ar)} / {html.escape(en)}</option>'
        for code, ar, en in Sandbox.BANKS
    )
    return HTMLResponse(
        f'<html lang="ar" dir="rtl"><body><h1>دفع {payment["amount"]} ل.س</h1>'
        f'<form method="post"><select name="bank">{options}</select>'
        '<button type="submit">ادفع / Pay</button></form></body></html>'
    )


# -- the post, SMS and email ---------------------------------------------------------------


async def post_parcel(request: Request, sandbox: Sandbox) -> Response:
    body = await _json(request)
    if body.get("delivery") not in ("post_office", "home") or not body.get("destination"):
        return _Reply({"error": "delivery, destination: required"}, 400)
    return _Reply({"postal_tracking": sandbox.next_id("SYPOST")})


async def send_message(request: Request, sandbox: Sandbox) -> Response:
    body = await _json(request)
    if not body.get("to") or not body.get("text"):
        return _Reply({"error": "to, text: required"}, 400)
    return _Reply({"message_id": sandbox.next_id(_system(request).upper())})


async def health(request: Request, sandbox: Sandbox) -> Response:
    return JSONResponse({"ok": True, "system": _system(request)})


# -- control -------------------------------------------------------------------------------


async def control(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    if request.method == "POST":
        body = await request.json()
        try:
            if body.get("reset"):
                sandbox.reset()
            for system, values in (body.get("systems") or {}).items():
                sandbox.set_knobs(system, values)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
    return JSONResponse(sandbox.describe())


async def calls(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    return JSONResponse({"calls": sandbox.calls})


class _Drop:
    """Turns Dropped into a connection cut mid-answer: a promised body that never comes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Dropped:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"100"), (b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise


async def _bad_request(request: Request, error: Exception) -> Response:
    return JSONResponse({"error": str(error)}, status_code=400)


def create_sandbox(secret: str, defaults: Knobs | None = None, seed: int = 0) -> Starlette:
    """The simulator as an ASGI app; its state is ``app.state.sandbox``."""
    sandbox = Sandbox(secret, defaults, seed)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sandbox.close()

    app = Starlette(
        routes=[
            Route("/_control", control, methods=["GET", "POST"]),
            Route("/_calls", calls),
            Route("/payments/orders", faulty(open_payment), methods=["POST"]),
            Route("/payments/orders/{ref}", faulty(payment_status)),
            Route("/payments/orders/{ref}/refund", faulty(refund_payment), methods=["POST"]),
            Route("/payments/pay/{ref}", faulty(payment_page), methods=["GET", "POST"], name="pay"),
            Route("/post/parcels", faulty(post_parcel), methods=["POST"]),
            Route("/{system}/messages", faulty(send_message), methods=["POST"]),
            Route("/{system}/health", faulty(health)),
            Route("/{system}/requests", faulty(file_request), methods=["POST"]),
            Route("/{system}/requests/{reference}", faulty(poll_request)),
        ],
        middleware=[Middleware(_Drop)],
        exception_handlers={_BadRequest: _bad_request},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
