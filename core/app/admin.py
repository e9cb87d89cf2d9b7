"""Administration: the catalog and calendar, the centres, the staff and their permissions."""

from __future__ import annotations

from .admin_catalog import CatalogCommands
from .admin_centres import CentreCommands
from .admin_staff import StaffCommands


class AdminCommands(CatalogCommands, CentreCommands, StaffCommands):
    """Every administrative command; each group's commands live in its own module."""


__all__ = ["AdminCommands", "CatalogCommands", "CentreCommands", "StaffCommands"]
