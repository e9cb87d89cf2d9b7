"""The served application: garbage collection while serving."""

from __future__ import annotations

import gc

from khidma.schema.app import GC_YOUNG, _collected_rarely

from .conftest import Api


async def test_while_serving_startup_objects_are_frozen_and_collections_rare(api: Api) -> None:
    assert gc.get_threshold()[0] == GC_YOUNG
    assert gc.get_freeze_count() > 0
    assert "errors" not in await api.gql("{ services { code } }")


def test_the_collector_settings_come_back_after_serving() -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        with _collected_rarely():
            assert gc.get_threshold()[0] == GC_YOUNG
        assert gc.get_threshold()[0] == 700
        assert gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
