"""Derived ids are exactly uuid5: stored streams were named by uuid5 before it was inlined."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.ids import derived_id


@given(namespace=st.uuids(), name=st.text(max_size=60))
def test_a_derived_id_is_uuid5(namespace: uuid.UUID, name: str) -> None:
    derived, standard = derived_id.__wrapped__(namespace, name), uuid.uuid5(namespace, name)
    assert derived == standard and hash(derived) == hash(standard)
    assert isinstance(derived, uuid.UUID) and str(derived) == str(standard)
