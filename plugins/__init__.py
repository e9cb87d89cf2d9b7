"""Agency connectors and other integrations, as pluggy plugins.

Write a plugin with ``from khidma.plugins import hookimpl`` and implement hooks of
:mod:`khidma.plugins.hookspecs`; ship it with an entry point in the ``khidma`` group.
"""

import pluggy

PROJECT = "khidma"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]
