"""The eventsourcing bridge, checked by eventsourcing's own recorder and factory test cases."""

from __future__ import annotations

import time
from threading import Thread
from typing import Any
from unittest import TestCase
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import DataError, IntegrityError, StoredEvent, Tracking
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment

from khidma.core.events.bridge import (
    EventRecorder,
    Factory,
    SnapshotRecorder,
    StoreProcessRecorder,
    StoreTrackingRecorder,
)

from ...database import drop_schema, new_schema_name, test_database_url

pytestmark = pytest.mark.store

MODULE = "khidma.core.events.bridge"


def bridge_env(schema: str, **more: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": MODULE,
        "KHIDMA_DATABASE_URL": test_database_url(),
        "KHIDMA_DB_SCHEMA": schema,
        **more,
    }


class FreshSchema(TestCase):
    """A factory on a schema of this test's own, closed and dropped afterwards."""

    def setUp(self) -> None:
        self.schema = new_schema_name()
        self.factory = Factory(Environment("BridgeTest", bridge_env(self.schema)))
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        self.factory.close()
        drop_schema(self.schema)


class TestApplicationRecorder(FreshSchema, ApplicationRecorderTestCase[EventRecorder]):
    def create_recorder(self) -> EventRecorder:
        return self.factory.application_recorder()

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_notifications_on_another_factory(self) -> None:
        recorder = self.create_recorder()
        stream = uuid4()
        events = [StoredEvent(stream, v, "topic1", b"state") for v in (1, 2)]
        self.assertEqual(recorder.insert_events(events), [1, 2])
        other = Factory(Environment("Other", bridge_env(self.schema)))
        try:
            notifications = other.application_recorder().select_notifications(1, 10)
        finally:
            other.close()
        self.assertEqual([(n.id, n.originator_version) for n in notifications], [(1, 1), (2, 2)])

    def test_a_waiting_subscription_stops_from_another_thread(self) -> None:
        recorder = self.create_recorder()
        received: list[int] = []
        with recorder.subscribe(gt=None) as subscription:
            consumer = Thread(target=lambda: received.extend(n.id for n in subscription))
            consumer.start()
            recorder.insert_events([StoredEvent(uuid4(), 1, "topic1", b"")])
            deadline = time.monotonic() + 30
            while not received and time.monotonic() < deadline:
                time.sleep(0.01)
            subscription.stop()  # the consumer is now waiting for the next event
            consumer.join(timeout=30)
        self.assertFalse(consumer.is_alive())
        self.assertEqual(received, [1])

    def test_str_originator_ids_are_refused(self) -> None:
        recorder = self.create_recorder()
        with self.assertRaisesRegex(DataError, "UUID"):
            recorder.insert_events([StoredEvent("dog-1", 1, "topic1", b"")])
        with self.assertRaisesRegex(DataError, "UUID"):
            recorder.select_events("dog-1")

    def test_any_eventsourcing_topic_round_trips(self) -> None:
        recorder = self.create_recorder()
        topics = ["a-b", "m:f.<locals>.C", "ünï:cödé", "9"]
        stream = uuid4()
        recorder.insert_events([StoredEvent(stream, v, t, b"") for v, t in enumerate(topics)])
        self.assertEqual([e.topic for e in recorder.select_events(stream)], topics)
        selected = recorder.select_notifications(None, 10, topics=["a-b", "9"])
        self.assertEqual([n.topic for n in selected], ["a-b", "9"])


class TestNonInterleavingNotificationIDs(FreshSchema, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> EventRecorder:
        return self.factory.application_recorder()


class TestSnapshotRecorder(FreshSchema, AggregateRecorderTestCase):
    def create_recorder(self) -> SnapshotRecorder:
        recorder = self.factory.aggregate_recorder("snapshots")
        assert isinstance(recorder, SnapshotRecorder)
        return recorder


class TestTrackingRecorder(FreshSchema, TrackingRecorderTestCase):
    def create_recorder(self) -> StoreTrackingRecorder:
        return self.factory.tracking_recorder()

    def test_trackers_are_kept_apart(self) -> None:
        mine = self.create_recorder()
        other = Factory(Environment("OtherApp", bridge_env(self.schema)))
        try:
            mine.insert_tracking(Tracking("upstream", 5))
            theirs = other.tracking_recorder()
            self.assertIsNone(theirs.max_tracking_id("upstream"))
            theirs.insert_tracking(Tracking("upstream", 2))
        finally:
            other.close()
        self.assertEqual(mine.max_tracking_id("upstream"), 5)


class TestProcessRecorder(FreshSchema, ProcessRecorderTestCase):
    def create_recorder(self) -> StoreProcessRecorder:
        return self.factory.process_recorder()

    def test_tracking_and_events_are_written_together(self) -> None:
        recorder = self.create_recorder()
        stream = uuid4()
        recorder.insert_events([], tracking=Tracking("upstream", 3))
        with self.assertRaises(IntegrityError):
            recorder.insert_events(
                [StoredEvent(stream, 1, "topic1", b"")], tracking=Tracking("upstream", 3)
            )
        self.assertEqual(recorder.select_events(stream), [])
        self.assertEqual(recorder.max_notification_id(), None)


class MyTrackingRecorder(StoreTrackingRecorder):
    pass


class TestFactory(InfrastructureFactoryTestCase[Factory]):
    def setUp(self) -> None:
        self.schema = new_schema_name()
        self.env = Environment("TestCase", bridge_env(self.schema))
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        drop_schema(self.schema)

    def expected_factory_class(self) -> type[Factory]:
        return Factory

    def expected_aggregate_recorder_class(self) -> type[EventRecorder]:
        return EventRecorder

    def expected_application_recorder_class(self) -> type[EventRecorder]:
        return EventRecorder

    def expected_tracking_recorder_class(self) -> type[StoreTrackingRecorder]:
        return StoreTrackingRecorder

    def tracking_recorder_subclass(self) -> type[StoreTrackingRecorder]:
        return MyTrackingRecorder

    def expected_process_recorder_class(self) -> type[StoreProcessRecorder]:
        return StoreProcessRecorder

    def test_database_comes_from_the_named_application_key(self) -> None:
        schema = new_schema_name()
        env = bridge_env("ignored_schema", SCHOOL_KHIDMA_DB_SCHEMA=schema)
        factory = Factory(Environment("School", env))
        try:
            self.assertEqual(factory.application_recorder().bridge.settings.db_schema, schema)
        finally:
            factory.close()
            drop_schema(schema)


class Dog(Aggregate):
    @event("Registered")
    def __init__(self, name: str) -> None:
        self.name = name
        self.tricks: list[str] = []

    @event("TrickAdded")
    def add_trick(self, trick: str) -> None:
        self.tricks.append(trick)


class DogSchool(Application[UUID]):
    def register_dog(self, name: str) -> UUID:
        dog = Dog(name)
        self.save(dog)
        return dog.id

    def add_trick(self, dog_id: UUID, trick: str) -> None:
        dog: Dog = self.repository.get(dog_id)
        dog.add_trick(trick)
        self.save(dog)


class TestApplication(TestCase):
    def setUp(self) -> None:
        self.schema = new_schema_name()
        self.env = bridge_env(self.schema, IS_SNAPSHOTTING_ENABLED="y")

    def tearDown(self) -> None:
        drop_schema(self.schema)

    def test_save_reload_and_read_notifications(self) -> None:
        school = DogSchool(env=self.env)
        try:
            self.assertIsInstance(school.factory, Factory)
            dog_id = school.register_dog("Fido")
            school.add_trick(dog_id, "roll over")
            school.add_trick(dog_id, "play dead")
            school.take_snapshot(dog_id)
            school.add_trick(dog_id, "fetch")
        finally:
            school.close()

        reopened: DogSchool = DogSchool(env=self.env)
        try:
            dog: Dog = reopened.repository.get(dog_id)
            self.assertEqual(dog.name, "Fido")
            self.assertEqual(dog.tricks, ["roll over", "play dead", "fetch"])
            self.assertEqual(dog.version, 4)
            old: Dog = reopened.repository.get(dog_id, version=2)
            self.assertEqual(old.tricks, ["roll over"])
            snapshots = list(reopened.snapshots.get(dog_id)) if reopened.snapshots else []
            self.assertEqual([s.originator_version for s in snapshots], [3])

            notifications = reopened.notification_log.select(start=1, limit=10)
            self.assertEqual([n.id for n in notifications], [1, 2, 3, 4])
            self.assertEqual({n.originator_id for n in notifications}, {dog_id})
            topics: list[Any] = [n.topic.rsplit(".", 1)[-1] for n in notifications]
            self.assertEqual(topics, ["Registered", "TrickAdded", "TrickAdded", "TrickAdded"])
            self.assertEqual(reopened.recorder.max_notification_id(), 4)
        finally:
            reopened.close()
