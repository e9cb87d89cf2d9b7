"""Who acts: the roles tokens carry and the permission table is written against."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    AGENCY = "agency"  # an agency's own system or staff, answering requests
    ADMIN = "admin"
    SYSTEM = "system"  # khidma's own workers: payment confirmations, the dispatcher, expiry


# Roles a Staff aggregate may hold: people employed by the centres' network.
STAFF_ROLES = frozenset({Role.CLERK, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})
