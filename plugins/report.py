"""``khidma plugins``: every plugin, the services it offers and the health of what it reaches."""

from __future__ import annotations

import asyncio
import sys

from khidma.core.config import Settings

from .connectors import Connectors
from .manager import PluginError, create_manager


async def plugins_report(settings: Settings, out: object = None) -> int:
    """Print the report; 2 if a plugin is refused, 1 if something is unhealthy, else 0."""
    write = (out or sys.stdout).write  # type: ignore[attr-defined]
    try:
        manager = create_manager(settings)
    except PluginError as error:
        write(f"khidma: {error}\n")
        return 2
    connectors = Connectors(manager, settings)
    offered: dict[str, list[str]] = {}
    for service in connectors.services:
        offered.setdefault(service.plugin, []).append(
            f"{service.offer.code} ({service.offer.handling}, {service.offer.name_en} / "
            f"{service.offer.name_ar})"
        )
    try:
        async with asyncio.timeout(settings.connector_timeout * 3):
            health = await connectors.health()
    except TimeoutError:
        health = []
    by_plugin: dict[str, list[str]] = {}
    sick = 0
    for plugin, entry in health:
        sick += not entry.ok
        mark = "ok" if entry.ok else "DOWN"
        by_plugin.setdefault(plugin, []).append(f"{entry.name}: {mark} {entry.detail}".rstrip())
    for name, plugin in sorted(manager.list_name_plugin()):
        dist = manager.get_plugin(name) and next(
            (
                f" [{d.project_name} {d.version}]"
                for p, d in manager.list_plugin_distinfo()
                if p is plugin
            ),
            "",
        )
        write(f"{name}{dist}\n")
        for line in offered.get(name, []):
            write(f"  service {line}\n")
        for line in by_plugin.get(name, []):
            write(f"  health  {line}\n")
    channels = ", ".join(connectors.channels())
    write(f"\n{len(connectors.services)} services; notification channels: {channels}\n")
    return 1 if sick else 0
