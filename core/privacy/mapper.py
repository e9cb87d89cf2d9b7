"""SealingMapper: eventsourcing's Mapper with every declared personal attribute sealed.

``core/domain/personal.py`` says which attributes of which events (and of which aggregates'
snapshots) are personal and whose they are. Each non-None one is stored as a sealed value
(core/privacy/sealed.py) under its subject's key: the citizen for a citizen's own events, the
citizen who filed it for a request's. The event keeps its attribute names, and hashes are over
these bytes, so destroying a key breaks no chain. Decoding opens sealed values, or gives
``{}``, ``[]`` or None for those of a forgotten subject.

Events stored before sealing existed hold their personal attributes in clear; they load as
they are (nothing to open), and forgetting such a citizen cannot take that data out of them.

Mapping is synchronous: :meth:`SealingMapper.before_save` and :meth:`SealingMapper.before_load`
fetch the keys a batch needs first, and mapping without them raises KeyNotPrefetched.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent, Transcoding
from eventsourcing.utils import get_topic, resolve_topic

from ..domain.personal import Personal, personal_attributes, personal_state
from ..events.records import PendingEvent
from ..events.store import EventStore
from ..events.transcoder import OrjsonTranscoder
from . import sealed
from .keyring import KeyNotPrefetched, Keyring, keyring_of

SUBJECTS = 100_000  # streams whose data subject is remembered between before_save and mapping


class _Never:
    """No object is ever encoded as "sealed" by the transcoder: the mapper seals."""


class _Opening(Transcoding):
    """Decodes the transcoder's "sealed" tag with the keyring's cached keys."""

    type = _Never
    name = sealed.TAG

    def __init__(self, keyring: Keyring, transcoder: OrjsonTranscoder) -> None:
        self._keyring = keyring
        self._transcoder = transcoder

    def encode(self, obj: _Never) -> Any:
        raise TypeError("sealed values are made by SealingMapper, not the transcoder")

    def decode(self, data: Any) -> Any:
        subject, kind, blob = sealed.parse(data)
        aead = self._keyring.aead(subject)
        if aead is None:
            return sealed.forgotten(kind)
        return self._transcoder.decode(sealed.open_sealed(aead, subject, blob))


class SealingMapper(Mapper[UUID]):
    """A Mapper over an OrjsonTranscoder that seals personal attributes per data subject."""

    def __init__(self, keyring: Keyring) -> None:
        transcoder = OrjsonTranscoder()
        transcoder.register(_Opening(keyring, transcoder))
        super().__init__(transcoder)
        self.keyring = keyring
        self._transcoder = transcoder
        self._subjects: OrderedDict[UUID, UUID] = OrderedDict()
        self._events: dict[type, frozenset[str]] = {}
        self._states: dict[str, Personal | None] = {}

    @property
    def mapper(self) -> SealingMapper:
        return self

    # -- before mapping: the keys ------------------------------------------------------------

    async def before_save(self, writes: Sequence[tuple[BaseAggregate[UUID], bool]]) -> None:
        """Fetch (or make) the keys to map these aggregates' pending events, and a snapshot
        of those marked True; SubjectForgotten if one of them was forgotten."""
        needed: set[UUID] = set()  # personal data in an event: refused if forgotten
        snapshots: set[UUID] = set()  # only in a snapshot: written as forgotten if so
        for aggregate, snapshot in writes:
            declared = personal_state(type(aggregate))
            if declared is None:
                continue
            personal = any(self._personal(type(e)) for e in aggregate.pending_events)
            if not (personal or snapshot):
                continue
            subject = aggregate.id if declared.subject == "originator" else aggregate.citizen_id  # type: ignore[attr-defined]
            assert isinstance(aggregate.id, UUID) and isinstance(subject, UUID)
            self._subjects[aggregate.id] = subject
            self._subjects.move_to_end(aggregate.id)
            (needed if personal else snapshots).add(subject)
        while len(self._subjects) > SUBJECTS:
            self._subjects.popitem(last=False)
        if needed:
            await self.keyring.ensure(needed)
        if snapshots - needed:
            await self.keyring.ensure(snapshots - needed, refuse_forgotten=False)

    async def before_load(self, records: Iterable[PendingEvent]) -> None:
        """Fetch the keys that opening these stored events' sealed values needs."""
        subjects = sealed.subjects_in(r.data for r in records)
        if subjects:
            await self.keyring.load(subjects)

    def watch(self, callback: Callable[[UUID | None], None]) -> None:
        """Call the bound method ``callback`` when a subject is forgotten (held weakly)."""
        method = weakref.WeakMethod(callback)  # type: ignore[arg-type]

        def call(subject: UUID | None) -> None:
            bound = method()
            if bound is not None:
                bound(subject)

        self.keyring.on_forget(call)

    # -- mapping -------------------------------------------------------------------------------

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        cls = type(domain_event)
        if isinstance(domain_event, Snapshot):
            declared = self._state_of(domain_event.topic)
            if declared is None:
                return super().to_stored_event(domain_event)
            state = dict(vars(domain_event))
            state["state"] = self._sealed(
                domain_event.originator_id, dict(state["state"]), declared.attributes
            )
        else:
            state = dict(vars(domain_event))
            attributes = self._personal(cls)
            if attributes:
                state = self._sealed(domain_event.originator_id, state, attributes)
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        # As eventsourcing's Mapper, which this one stands for (it has no compressor or cipher).
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(cls),
            state=self._transcoder.encode_state(state),
        )

    def _sealed(
        self, stream_id: UUID, state: dict[str, Any], attributes: frozenset[str]
    ) -> dict[str, Any]:
        """``state`` with its personal attributes (those not None) sealed, in place."""
        subject = self._subjects.get(stream_id)
        for name in attributes:
            holder = state
            if "." in name:  # a key of a mapping attribute (a snapshot's collected_by)
                outer, name = name.split(".", 1)
                if not isinstance(state.get(outer), dict):
                    continue
                holder = state[outer] = dict(state[outer])
            value = holder.get(name)
            if value is None:
                continue
            if subject is None:
                raise KeyNotPrefetched(stream_id)
            aead = self.keyring.aead(subject)
            if aead is None:  # forgotten since before_save: write nothing personal
                holder[name] = sealed.forgotten(sealed.kind_of(value))
                continue
            plain = self._transcoder.encode(value)
            holder[name] = sealed.seal(aead, subject, sealed.kind_of(value), plain)
        return state

    def _personal(self, event_class: type) -> frozenset[str]:
        try:
            return self._events[event_class]
        except KeyError:
            found = self._events[event_class] = personal_attributes(event_class)
            return found

    def _state_of(self, topic: str) -> Personal | None:
        try:
            return self._states[topic]
        except KeyError:
            found = self._states[topic] = personal_state(resolve_topic(topic))
            return found


_MAPPERS: weakref.WeakKeyDictionary[EventStore, SealingMapper] = weakref.WeakKeyDictionary()


def sealing_of(store: EventStore) -> SealingMapper:
    """The store's sealing mapper (one per store per process), over its keyring."""
    found = _MAPPERS.get(store)
    if found is None:
        found = _MAPPERS[store] = SealingMapper(keyring_of(store))
    return found
