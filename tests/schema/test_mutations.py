"""Mutations: commands through the API, typed failures, idempotency, read-your-writes."""

from __future__ import annotations

from khidma.core.app.demo_data import HUDA, KHALED, SAMI, clerk_of
from khidma.core.domain.roles import Role

from .conftest import Api, key

SUBMIT = """
mutation Submit($key: String!, $service: String!, $form: JSON!, $pickup: String) {
  submitRequest(idempotencyKey: $key, serviceCode: $service, form: $form, delivery: "pickup",
                pickupCentre: $pickup) {
    __typename
    ... on RequestPayload { feeTotal request { trackingNumber status feeTotal timeline { event } } }
    ... on ValidationError { field message }
    ... on NotAllowed { action message }
    ... on InvalidTransition { command state }
    ... on NotFound { what key }
  }
}
"""
ON_REQUEST = """
mutation Act($key: String!, $n: String!) {
  %s(idempotencyKey: $key, trackingNumber: $n) {
    __typename
    ... on RequestPayload { request { status } }
    ... on InvalidTransition { command state message }
    ... on NotAllowed { message }
  }
}
"""


async def events(api: Api) -> int:
    return await api.store.pool.fetchval("SELECT count(*) FROM events")


async def submit(api: Api, token: str, idempotency_key: str, **options: object) -> dict:
    variables = {
        "key": idempotency_key,
        "service": "employees.not_employed",
        "form": {"purpose": "employment"},
        "pickup": "HMS-01",
        **options,
    }
    body = await api.gql(SUBMIT, token, **variables)
    assert "errors" not in body, body
    return body["data"]["submitRequest"]


async def test_a_citizen_files_and_reads_their_write_at_once(api: Api) -> None:
    token = api.citizen(HUDA)
    filed = await submit(api, token, key())
    assert filed["__typename"] == "RequestPayload"
    request = filed["request"]
    assert request["status"] == "awaiting_payment"
    assert request["feeTotal"] == filed["feeTotal"] > 0
    assert [e["event"] for e in request["timeline"]][:1] == ["Submitted"]


async def test_the_same_idempotency_key_files_once(api: Api) -> None:
    token = api.citizen(HUDA)
    attempt = key()
    first = await submit(api, token, attempt)
    written = await events(api)
    again = await submit(api, token, attempt)
    assert again["request"]["trackingNumber"] == first["request"]["trackingNumber"]
    assert await events(api) == written


async def test_bad_input_names_the_field_and_writes_nothing(api: Api) -> None:
    token = api.citizen(HUDA)
    before = await events(api)
    unknown = await submit(api, token, key(), service="no.such_service")
    assert unknown == {
        "__typename": "ValidationError",
        "field": "serviceCode",
        "message": unknown["message"],
    }
    bad_form = await submit(api, token, key(), form={"purpose": "nonsense"})
    assert bad_form["__typename"] == "ValidationError"
    assert bad_form["field"].startswith("form") or bad_form["field"] == "purpose"
    bad_key = await submit(api, token, "short")
    assert bad_key["__typename"] == "ValidationError"
    assert bad_key["field"] == "idempotencyKey"
    assert await events(api) == before


async def test_wrong_state_and_wrong_role_are_typed_results(api: Api) -> None:
    filed = await submit(api, api.citizen(HUDA), key())
    number = filed["request"]["trackingNumber"]
    clerk = clerk_of("HMS-01", "state_employees")
    clerk_token = api.staff(clerk.staff_number, "clerk", "HMS-01", "state_employees")
    certify = await api.gql(ON_REQUEST % "certifyDocument", clerk_token, key=key(), n=number)
    assert certify["data"]["certifyDocument"]["__typename"] == "InvalidTransition"
    auditor = await api.gql(ON_REQUEST % "markReady", api.token(Role.AUDITOR), key=key(), n=number)
    assert auditor["data"]["markReady"]["__typename"] == "NotAllowed"
    other = await api.gql(
        "mutation C($key: String!, $n: String!) { cancelRequest(idempotencyKey: $key,"
        ' trackingNumber: $n, reason: "x") { __typename } }',
        api.citizen(KHALED),
        key=key(),
        n=number,
    )
    assert other["data"]["cancelRequest"]["__typename"] == "NotAllowed"
    anonymous = await api.gql(ON_REQUEST % "markReady", None, key=key(), n=number)
    assert anonymous["data"]["markReady"]["__typename"] == "NotAllowed"


async def test_a_clerk_files_for_an_unknown_citizen_not_found(api: Api) -> None:
    clerk = clerk_of("HMS-01", "state_employees")
    body = await api.gql(
        """mutation S($key: String!) { submitRequest(idempotencyKey: $key,
            serviceCode: "employees.not_employed", form: {purpose: "employment"},
            delivery: "pickup", pickupCentre: "HMS-01", nationalNumber: "٠٩٠٩٠٩٠٩٠٩٠") {
            __typename ... on NotFound { what key } } }""",
        api.staff(clerk.staff_number, "clerk", "HMS-01", "state_employees"),
        key=key(),
    )
    assert body["data"]["submitRequest"] == {
        "__typename": "NotFound",
        "what": "citizen",
        "key": "09090909090",
    }


async def test_arabic_indic_phone_numbers_are_accepted(api: Api) -> None:
    body = await api.gql(
        """mutation P($key: String!) { changePhone(idempotencyKey: $key, phone: "٠٩٣١١١٢٢٢٣") {
            __typename ... on Citizen { phone } ... on ValidationError { field message } } }""",
        api.citizen(SAMI),
        key=key(),
    )
    assert body["data"]["changePhone"] == {"__typename": "Citizen", "phone": "+963931112223"}


async def test_a_ticket_answers_the_board_after_the_projection(api: Api) -> None:
    body = await api.gql(
        """mutation T($key: String!) { takeTicket(idempotencyKey: $key, category: "general",
            centre: "HMS-01") { __typename ... on QueuePayload { ticket ahead board {
              centre categories { category waiting } } } ... on ValidationError { field message }
              ... on InvalidTransition { message } } }""",
        api.citizen(SAMI, channel="app"),
        key=key(),
    )
    result = body["data"]["takeTicket"]
    assert result["__typename"] == "QueuePayload", result
    waiting = {c["category"]: c["waiting"] for c in result["board"]["categories"]}
    assert waiting["general"] >= result["ahead"] + 1


async def test_admin_changes_a_centre_status(api: Api) -> None:
    body = await api.gql(
        """mutation D($key: String!) { changeCentreStatus(idempotencyKey: $key, code: "HMS-03",
            status: "degraded", powerSource: "solar") { __typename
            ... on AdminPayload { centre { code status powerSource } } } }""",
        api.token(Role.ADMIN),
        key=key(),
    )
    assert body["data"]["changeCentreStatus"]["centre"] == {
        "code": "HMS-03",
        "status": "degraded",
        "powerSource": "solar",
    }
