"""The role × operation table: every query, mutation and subscription, and who may run it.

Mutations take their roles from the command table in ``khidma.core.app.permissions`` (the
command handlers check it again), so the two cannot disagree; queries and subscriptions are
listed here. ``schema/PERMISSIONS.md`` is this table written out (``markdown()``), and a test
fails when they differ or when any role can run what the table refuses (or the reverse).
"""

from __future__ import annotations

from khidma.core.app.permissions import COMMANDS
from khidma.core.domain.roles import Role

ANONYMOUS = "anonymous"
# The columns of the table: no token, then every role a token may carry.
COLUMNS: tuple[str, ...] = (ANONYMOUS, *(r.value for r in Role))
EVERYONE = frozenset(COLUMNS)
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF_READERS = frozenset({"clerk", "supervisor", "auditor", "admin", "system"})
AUDITORS = frozenset({"auditor", "admin"})

QUERIES: dict[str, frozenset[str]] = {
    "request": SIGNED_IN,
    "requests": SIGNED_IN - {"citizen"},
    "myRequests": frozenset({"citizen"}),
    "me": frozenset({"citizen"}),
    "services": EVERYONE,
    "centres": EVERYONE,
    "centreStats": STAFF_READERS,
    "agencyBacklog": STAFF_READERS | {"agency"},
    "requestTimeline": SIGNED_IN,
    "node": SIGNED_IN,
    # the auditors' queries: the whole log, personal data included, so no other role
    "eventLog": AUDITORS,
    "requestHistory": AUDITORS,
    "requestAsOf": AUDITORS,
}

SUBSCRIPTIONS: dict[str, frozenset[str]] = {
    "requestUpdated": SIGNED_IN,
    "queueBoard": EVERYONE,
}

# GraphQL mutation -> the command it runs.
MUTATIONS: dict[str, str] = {
    # citizens
    "registerCitizen": "register_citizen",
    "completeProfile": "complete_profile",
    "updateProfile": "update_profile",
    "changePhone": "change_phone",
    "changeEmail": "change_email",
    "changeLanguage": "change_language",
    # requests
    "submitRequest": "submit_request",
    "recordPayment": "record_payment",
    "cancelRequest": "cancel_request",
    "provideInformation": "provide_information",
    "changePickupCentre": "change_pickup_centre",
    "forwardRequest": "forward_request",
    "recordAgencyAnswer": "record_agency_answer",
    "askForInformation": "ask_for_information",
    "certifyDocument": "certify_document",
    "markReady": "mark_ready",
    "handOver": "hand_over",
    "dispatchByPost": "dispatch_by_post",
    "recordDelivery": "record_delivery",
    "refundRequest": "refund_request",
    "expireRequest": "expire_request",
    "assignClerk": "assign_clerk",
    "addNote": "add_note",
    # queues
    "openQueue": "open_queue",
    "takeTicket": "take_ticket",
    "callNext": "call_next",
    "markServed": "mark_served",
    "markNoShow": "mark_no_show",
    "closeQueue": "close_queue",
    # administration
    "addService": "add_service",
    "updateService": "update_service",
    "withdrawService": "withdraw_service",
    "decideSurcharge": "decide_surcharge",
    "declareHolidays": "declare_holidays",
    "registerCentre": "register_centre",
    "updateCentre": "update_centre",
    "changeCentreStatus": "change_centre_status",
    "hireStaff": "hire_staff",
    "grantPermission": "grant_permission",
    "revokePermission": "revoke_permission",
    "deactivateStaff": "deactivate_staff",
    "forgetCitizen": "forget_citizen",
}


def mutation_roles(name: str) -> frozenset[str]:
    return frozenset(r.value for r in COMMANDS[MUTATIONS[name]])


OPERATIONS: dict[str, frozenset[str]] = {
    **{f"Query.{n}": roles for n, roles in QUERIES.items()},
    **{f"Mutation.{n}": mutation_roles(n) for n in MUTATIONS},
    **{f"Subscription.{n}": roles for n, roles in SUBSCRIPTIONS.items()},
}


def may(role: str, operation: str) -> bool:
    """Whether ``role`` (or ``anonymous``) may run ``operation`` (``Query.request``…)."""
    return role in OPERATIONS[operation]


def markdown() -> str:
    """The table as schema/PERMISSIONS.md holds it."""
    head = "| operation | " + " | ".join(COLUMNS) + " |"
    rule = "|---|" + "---|" * len(COLUMNS)
    rows = [
        f"| `{op}` | " + " | ".join("✓" if c in roles else "" for c in COLUMNS) + " |"
        for op, roles in OPERATIONS.items()
    ]
    return "\n".join([_INTRO, head, rule, *rows, _SCOPE])


_INTRO = """# Permissions: role × operation

Generated from `schema/permissions/table.py` (`python -m khidma.schema.permissions.write`);
`tests/schema/test_permissions.py` fails when this file is stale and runs every operation
for every role against it. Mutations take their roles from the command table in
`core/app/permissions.py`; the command handlers check it again, with the scope rules below.
A refused mutation answers `NotAllowed` (a typed result); a refused query or subscription
answers a GraphQL error with `extensions.code = "FORBIDDEN"`.
"""

_SCOPE = """
## What each role sees (scope of reads)

| role | requests it may read |
|---|---|
| anonymous | none (services and centres are public) |
| citizen | their own |
| clerk | those handled at their centre (origin, pickup or processing) for their agency |
| supervisor | those handled at any centre of their governorate |
| agency | those filed with their agency |
| auditor | all, read-only (no mutation is open to auditors) |
| admin, system | all |

A request out of scope reads as not found (`null`), so its existence is not disclosed.
"""
