"""The served application: garbage collection while serving."""

from __future__ import annotations

import gc

from khidma.core.running import GC_YOUNG

from .conftest import Api


async def test_while_serving_startup_objects_are_frozen_and_collections_rare(api: Api) -> None:
    assert gc.get_threshold()[0] == GC_YOUNG
    assert gc.get_freeze_count() > 0
    assert "errors" not in await api.gql("{ services { code } }")
