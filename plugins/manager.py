"""The plugin manager: built-ins and entry-point plugins loaded in one factory, then checked."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pluggy

from khidma.core.config import Settings
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.errors import DomainError

from . import PROJECT, hookspecs
from .types import PluginContext, ServiceOffer

ENTRY_POINT_GROUP = PROJECT


class PluginError(Exception):
    """A plugin khidma refuses to start with; the message names the plugin."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin


@dataclass(frozen=True, slots=True)
class OfferedService:
    """A service offer and the plugin that offered it."""

    plugin: str
    offer: ServiceOffer


def plugin_context(settings: Settings) -> PluginContext:
    return PluginContext(
        callback_base=settings.callback_base,
        callback_secret=settings.callback_secret,
        timeout=settings.connector_timeout,
        urls=settings.connector_url_map(),
        default_base=settings.sandbox_url,
    )


def create_manager(
    settings: Settings,
    *,
    plugins: Iterable[object] = (),
    builtins: bool = True,
    entry_points: bool = True,
) -> pluggy.PluginManager:
    """The one place plugins are loaded: built-ins, the ``khidma`` entry points, ``plugins``.

    Calls ``khidma_startup`` and checks every plugin's services; raises PluginError naming
    the plugin for a duplicate service code or an invalid offer (its form schema, fee…).
    """
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(hookspecs)
    if builtins:
        from .builtin import builtin_plugins

        for name, plugin in builtin_plugins():
            manager.register(plugin, name=name)
    if entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        manager.register(plugin)
    manager.hook.khidma_startup(context=plugin_context(settings))
    services(manager)
    return manager


def plugin_name(manager: pluggy.PluginManager, plugin: object) -> str:
    return manager.get_name(plugin) or repr(plugin)


def services(manager: pluggy.PluginManager) -> list[OfferedService]:
    """Every plugin's service offers, checked: PluginError names the plugin at fault."""
    found: dict[str, OfferedService] = {}
    trial = Catalog.create(at=datetime(2000, 1, 1, tzinfo=UTC))
    for name, offers in per_plugin(manager, "khidma_services"):
        if not isinstance(offers, Iterable) or isinstance(offers, str | bytes):
            raise PluginError(name, "khidma_services must return a list of ServiceOffer")
        for offer in offers:
            if not isinstance(offer, ServiceOffer):
                raise PluginError(name, f"khidma_services returned {offer!r}, not a ServiceOffer")
            if offer.code in found:
                other = found[offer.code].plugin
                raise PluginError(name, f"service code {offer.code!r} is also offered by {other!r}")
            try:
                trial.add_service(**offer.catalog_entry(), at=datetime.now(UTC))
            except DomainError as error:
                raise PluginError(name, f"service {offer.code!r}: {error}") from None
            except TypeError as error:
                raise PluginError(name, f"service {offer.code!r}: {error}") from None
            found[offer.code] = OfferedService(name, offer)
    return list(found.values())


def per_plugin(manager: pluggy.PluginManager, hook: str) -> list[tuple[str, Any]]:
    """Call ``hook`` plugin by plugin (through the manager, so monitoring sees every call):
    (plugin name, its result) in registration order, results that are None left out."""
    impls = getattr(manager.hook, hook).get_hookimpls()
    found: list[tuple[str, Any]] = []
    for impl in impls:
        others = [i.plugin for i in impls if i.plugin is not impl.plugin]
        caller = manager.subset_hook_caller(hook, remove_plugins=others)
        found.extend((plugin_name(manager, impl.plugin), result) for result in caller())
    return found


def hook_names(manager: pluggy.PluginManager) -> list[str]:
    """The names of every hook of the plugin API."""
    return sorted(
        name
        for name, caller in vars(manager.hook).items()
        if isinstance(caller, pluggy.HookCaller) and caller.spec is not None
    )


async def resolve(value: Any) -> Any:
    """A hook's result, awaited if it is awaitable."""
    return await value if inspect.isawaitable(value) else value
