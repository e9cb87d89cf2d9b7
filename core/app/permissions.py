"""Which roles may run which command: one table, checked before any command runs.

Scope (a citizen's own requests, a clerk's centre and agency) is checked by each handler,
because it depends on the aggregate being changed. schema/PERMISSIONS.md mirrors this table.
"""

from __future__ import annotations

from khidma.core.domain.errors import NotAllowed
from khidma.core.domain.roles import Role

from .actor import Actor

C, K, S, G, A, Y = (
    Role.CITIZEN,
    Role.CLERK,
    Role.SUPERVISOR,
    Role.AGENCY,
    Role.ADMIN,
    Role.SYSTEM,
)
STAFF = frozenset({K, S})

COMMANDS: dict[str, frozenset[Role]] = {
    # citizens
    "register_citizen": frozenset({C, K, S, A}),
    "complete_profile": frozenset({C, K, S}),
    "update_profile": frozenset({C, K, S}),
    "change_phone": frozenset({C, K, S}),
    "change_email": frozenset({C, K, S}),
    "change_language": frozenset({C, K, S}),
    # requests
    "submit_request": frozenset({C, K, S}),
    "record_payment": frozenset({Y}),
    "cancel_request": frozenset({C, K, S}),
    "forward_request": STAFF | {Y},
    "record_agency_answer": STAFF | {G, Y},
    "ask_for_information": STAFF | {G, Y},
    "provide_information": frozenset({C, K, S}),
    "refund_request": frozenset({S, Y}),
    "certify_document": STAFF,
    "mark_ready": STAFF,
    "change_pickup_centre": frozenset({C, K, S}),
    "hand_over": STAFF,
    "dispatch_by_post": STAFF | {Y},
    "record_delivery": STAFF | {Y},
    "expire_request": frozenset({S, Y}),
    "assign_clerk": frozenset({S}),
    "add_note": STAFF,
    # the dispatcher (plugins/dispatch) and the supervisor's retry of what it parked
    "park_dispatch": frozenset({Y}),
    "retry_dispatch": frozenset({S, A}),
    "fall_back_to_reply_later": frozenset({Y}),
    "resume_direct_handling": frozenset({Y}),
    "start_payment": frozenset({Y}),
    "record_notification": frozenset({Y}),
    # queues
    "open_queue": STAFF | {Y},
    "take_ticket": frozenset({C, K, S, Y}),
    "call_next": STAFF,
    "mark_served": STAFF,
    "mark_no_show": STAFF,
    "close_queue": STAFF | {Y},
    # administration
    "define_catalog": frozenset({A}),
    "add_service": frozenset({A}),
    "update_service": frozenset({A}),
    "withdraw_service": frozenset({A}),
    "decide_surcharge": frozenset({A}),
    "declare_holidays": frozenset({A}),
    "register_centre": frozenset({A}),
    "update_centre": frozenset({A}),
    "change_centre_status": frozenset({S, A}),
    "hire_staff": frozenset({A}),
    "grant_permission": frozenset({S, A}),
    "revoke_permission": frozenset({S, A}),
    "deactivate_staff": frozenset({S, A}),
    "forget_citizen": frozenset({A}),
}


def allow(actor: Actor, command: str) -> None:
    """Raise NotAllowed unless the actor's role may run ``command`` at all."""
    roles = COMMANDS.get(command)
    if roles is None:
        raise KeyError(f"command {command!r} is not in the permission table")
    if actor.role not in roles:
        raise NotAllowed(command, f"the {actor.role.value} role may not do this")
