"""SealingMapper: personal attributes sealed per subject, the events' shapes unchanged."""

from __future__ import annotations

import uuid
from datetime import date

import orjson
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from khidma.core.domain.citizen import Citizen
from khidma.core.domain.personal import PERSONAL_DATA, personal_state
from khidma.core.domain.request import ServiceRequest
from khidma.core.events import AggregateRepository, EventStore
from khidma.core.events.records import PendingEvent
from khidma.core.events.transcoder import new_mapper
from khidma.core.privacy import KeyNotPrefetched, SealingMapper, SubjectForgotten, sealing_of
from khidma.core.privacy.shred import shred
from khidma.projections.decoding import decode_state
from tests.core.app.request_world import SEEDED_AT, new_citizen

NN = "07070707070"
NAMES = ("سامر", "Samer", "الحمصي", "Al-Homsi", "خالد", "مريم", "شارع بغداد", NN)


def record(stored: StoredEvent) -> PendingEvent:
    assert isinstance(stored.originator_id, uuid.UUID)
    return PendingEvent(stored.originator_id, stored.originator_version, stored.topic, stored.state)


def a_request(citizen: Citizen) -> ServiceRequest:
    return ServiceRequest.submit(
        tracking_number="DAM-2026-0004821-3", citizen_id=citizen.id,
        service_code="civil.birth_statement", agency_code="civil_registry", direct_access=False,
        channel="portal", origin_centre=None, form={"national_number": NN, "copies": 2},
        delivery="home", home_address="حي الورود، بناء ٣", processing_centre="DAM-01",
        collectors=["self"], turnaround_days=3, clock_rule="continue", validity_days=30,
        at=SEEDED_AT,
    )  # fmt: skip


def contains_personal(data: bytes) -> list[str]:
    text = data.decode()
    return [n for n in NAMES if n in text or orjson.dumps(n).decode().strip('"') in text]


@pytest.fixture
def mapper(store: EventStore) -> SealingMapper:
    return sealing_of(store)


async def test_a_citizens_events_are_sealed_with_their_own_key(
    store: EventStore, mapper: SealingMapper
) -> None:
    citizen = new_citizen(NN)
    await mapper.before_save([(citizen, False)])
    stored = [mapper.to_stored_event(e) for e in citizen.collect_events()]
    plain = [new_mapper().to_stored_event(mapper.to_domain_event(s)) for s in stored]

    for sealed, clear in zip(stored, plain, strict=True):
        assert contains_personal(sealed.state) == []
        # The same attribute names: only the personal values changed.
        assert orjson.loads(sealed.state).keys() == orjson.loads(clear.state).keys()
    registered = orjson.loads(stored[0].state)
    assert registered["language"]["_type_"] == "enum_topic", "not personal: in clear"
    assert registered["national_number"]["_type_"] == "sealed"
    assert citizen.id.hex in registered["national_number"]["_data_"]

    back = mapper.to_domain_event(stored[1])
    assert back.father_name == "خالد" and back.birth_date == date(1990, 4, 2)  # type: ignore[attr-defined]


async def test_a_requests_personal_data_is_sealed_with_its_citizens_key(
    store: EventStore, mapper: SealingMapper
) -> None:
    citizen = new_citizen(NN)
    request = a_request(citizen)
    await mapper.before_save([(request, False)])
    stored = mapper.to_stored_event(request.collect_events()[0])
    state = orjson.loads(stored.state)
    assert contains_personal(stored.state) == []
    assert (
        citizen.id.hex in state["form"]["_data_"] and request.id.hex not in state["form"]["_data_"]
    )
    assert state["post_office"] is None, "None is not sealed: there is nothing to hide"
    back = mapper.to_domain_event(stored)
    assert back.form == {"national_number": NN, "copies": 2}  # type: ignore[attr-defined]
    assert back.home_address == "حي الورود، بناء ٣"  # type: ignore[attr-defined]


async def test_mapping_without_the_keys_fetched_fails_loudly(mapper: SealingMapper) -> None:
    citizen = new_citizen(NN)
    with pytest.raises(KeyNotPrefetched):
        mapper.to_stored_event(citizen.pending_events[0])
    await mapper.before_save([(citizen, False)])
    stored = mapper.to_stored_event(citizen.pending_events[0])
    reader = SealingMapper(mapper.keyring.__class__(
        mapper.keyring._pool, mapper.keyring._master, notify_channel="nobody"  # type: ignore[attr-defined]
    ))  # fmt: skip
    with pytest.raises(MapperDeserialisationError, match="was not fetched"):
        reader.to_domain_event(stored)
    await reader.before_load([record(stored)])
    assert reader.to_domain_event(stored).first_name_en == "Samer"  # type: ignore[attr-defined]


async def test_snapshots_are_sealed_too(store: EventStore, mapper: SealingMapper) -> None:
    citizen = new_citizen(NN)
    request = a_request(citizen)
    for aggregate in (citizen, request):
        await mapper.before_save([(aggregate, True)])
        snapshot = mapper.to_stored_event(type(aggregate).Snapshot.take(aggregate))
        assert contains_personal(snapshot.state) == []
        rebuilt = mapper.to_domain_event(snapshot).mutate(None)  # type: ignore[attr-defined]
        pending = "_pending_events"
        assert {k: v for k, v in vars(rebuilt).items() if k != pending} == {
            k: v for k, v in vars(aggregate).items() if k != pending
        }


async def test_a_forgotten_subjects_values_decode_as_empty_and_none(
    store: EventStore, mapper: SealingMapper
) -> None:
    citizen = new_citizen(NN)
    request = a_request(citizen)
    citizen.update_profile(first_name_en="Sameer", at=SEEDED_AT)
    await mapper.before_save([(citizen, True), (request, False)])
    stored = [mapper.to_stored_event(e) for e in (*citizen.pending_events, *request.pending_events)]
    snapshot = mapper.to_stored_event(Citizen.Snapshot.take(citizen))

    await shred(store, citizen.id, "test", [])

    fresh = SealingMapper(mapper.keyring)
    await fresh.before_load([record(s) for s in (*stored, snapshot)])
    registered, _completed, updated, submitted = (fresh.to_domain_event(s) for s in stored)
    assert registered.national_number is None and registered.first_name_ar is None  # type: ignore[attr-defined]
    assert registered.language == "ar", "what is not personal stays"  # type: ignore[attr-defined]
    assert updated.changes == {}, "a mapping comes back empty"  # type: ignore[attr-defined]
    assert submitted.form == {} and submitted.home_address is None  # type: ignore[attr-defined]
    assert submitted.citizen_id == citizen.id  # type: ignore[attr-defined]
    rebuilt = fresh.to_domain_event(snapshot).mutate(None)  # type: ignore[attr-defined]
    assert rebuilt.national_number is None and rebuilt.address_governorate.value == "DAM"
    with pytest.raises(SubjectForgotten):
        await fresh.before_save([(request, False)])


async def test_events_stored_before_sealing_still_load(store: EventStore) -> None:
    """Clear-text events (written before crypto-shredding) load as they are."""
    citizen = new_citizen(NN)
    await AggregateRepository(store, mapper=new_mapper()).save(citizen)
    loaded = await AggregateRepository(store, sealing=sealing_of(store)).get(citizen.id)
    assert isinstance(loaded, Citizen) and loaded.full_name_en == "Samer Al-Homsi"


async def test_projections_read_sealed_values_as_none(
    store: EventStore, mapper: SealingMapper
) -> None:
    request = a_request(new_citizen(NN))
    await mapper.before_save([(request, False)])
    state = decode_state(orjson.loads(mapper.to_stored_event(request.pending_events[0]).state))
    assert state["tracking_number"] == "DAM-2026-0004821-3"
    assert decode_state({"recipient_national_number": orjson.loads(
        orjson.dumps(state["form"]))})["recipient_national_number"] is None  # fmt: skip


def test_the_declared_personal_state_is_what_the_aggregates_hold() -> None:
    citizen = new_citizen(NN)
    request = a_request(citizen)
    for aggregate in (citizen, request):
        declared = personal_state(type(aggregate))
        assert declared is not None
        names = {name.split(".")[0] for name in declared.attributes}
        assert names <= vars(aggregate).keys(), f"{type(aggregate).__name__}: {names}"
    # Every personal attribute of a citizen's events lands in a declared state attribute.
    assert PERSONAL_DATA[Citizen.Registered].attributes <= declared_of(Citizen)
    assert PERSONAL_DATA[Citizen.ProfileCompleted].attributes <= declared_of(Citizen)


def declared_of(aggregate_class: type) -> frozenset[str]:
    declared = personal_state(aggregate_class)
    assert declared is not None
    return declared.attributes
