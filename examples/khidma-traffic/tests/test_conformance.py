"""The traffic police connector passes khidma's connector conformance suite."""

from __future__ import annotations

import pytest

from khidma.plugins.testing import AgencyConnectorContract


class TestTrafficPolice(AgencyConnectorContract):
    agency = "traffic_police"

    @pytest.fixture
    def plugin(self) -> object:
        from khidma_traffic import TrafficPolice

        return TrafficPolice()
