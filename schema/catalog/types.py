"""A service of the catalog: names, agency, fee, turnaround, who may collect, how delivered."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from khidma.core.app import lookups
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.catalog import Service as DomainService
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.governorate import Governorate

from ..common.names import Name
from ..common.relay import Node, to_global_id


@strawberry.type(description="What a request for a service costs in a governorate today (SYP).")
class Fee:
    agency_fee: int
    surcharge: int
    total: int
    decision_ref: str | None


@strawberry.type(description="A service a citizen can request (خدمة).")
class Service(Node):
    code: str
    name: Name
    agency: str
    agency_fee: int
    handling: str = strawberry.field(description="`direct` or `reply_later`")
    turnaround_days: int
    validity_days: int
    collectors: list[str] = strawberry.field(
        description="who may collect: self, first_degree_relative, proxy"
    )
    delivery: list[str]
    withdrawn: bool
    form_schema: strawberry.scalars.JSON  # type: ignore[valid-type]
    _catalog: strawberry.Private[Catalog | None] = None

    @strawberry.field(description="The fee in a governorate (e.g. `DAM`, `HMS`) today.")
    async def fee(self, info: strawberry.Info, governorate: str) -> Fee | None:
        catalog = self._catalog or await info.context.services.directory.catalog()
        if catalog is None:
            return None
        try:
            gov = Governorate.parse("governorate", governorate).value
            fee = catalog.assess_fee(self.code, gov, lookups.today(datetime.now(UTC)))
        except ValidationError:
            return None
        return Fee(
            agency_fee=fee.agency_fee,
            surcharge=fee.surcharge,
            total=fee.total,
            decision_ref=fee.decision_ref,
        )

    @classmethod
    def of(cls, service: DomainService, catalog: Catalog | None = None) -> Service:
        return cls(
            id=to_global_id("Service", service.code),
            code=service.code,
            name=Name(ar=service.name.ar, en=service.name.en),
            agency=service.agency,
            agency_fee=service.agency_fee,
            handling=service.handling.value,
            turnaround_days=service.turnaround_days,
            validity_days=service.validity_days,
            collectors=sorted(c.value for c in service.collectors),
            delivery=sorted(d.value for d in service.delivery),
            withdrawn=service.withdrawn,
            form_schema=service.form_schema,
            _catalog=catalog,
        )
