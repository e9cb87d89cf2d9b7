"""Administration: the catalog and calendar, the centres, the staff and their permissions,
and forgetting a citizen."""

from __future__ import annotations

from .admin_catalog import CatalogCommands
from .admin_centres import CentreCommands
from .admin_staff import StaffCommands
from .forget import ForgetCommands


class AdminCommands(CatalogCommands, CentreCommands, StaffCommands, ForgetCommands):
    """Every administrative command; each group's commands live in its own module."""


__all__ = [
    "AdminCommands",
    "CatalogCommands",
    "CentreCommands",
    "ForgetCommands",
    "StaffCommands",
]
