"""Catalog services by code (one read of the catalog for the whole batch)."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from khidma.core.app.directory import Directory
from khidma.core.domain.catalog import Service

from .loader import Loader


def service_loader(directory: Directory) -> DataLoader[str, Service | None]:
    async def load(codes: Sequence[str]) -> list[Service | None]:
        catalog = await directory.catalog()
        services = catalog.services if catalog is not None else {}
        return [services.get(code) for code in codes]

    return Loader(load_fn=load)
