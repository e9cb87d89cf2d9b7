"""Centres by code (one read of the shared aggregates for the whole batch)."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from khidma.core.app.directory import Directory
from khidma.core.domain.centre import Centre
from khidma.core.domain.errors import ValidationError

from .loader import Loader


def centre_loader(directory: Directory) -> DataLoader[str, Centre | None]:
    async def load(codes: Sequence[str]) -> list[Centre | None]:
        valid = []
        for code in codes:
            try:
                Centre.id_for(code)
            except ValidationError:
                continue
            valid.append(code)
        found = await directory.centres_by_code(valid) if valid else {}
        return [found.get(code) for code in codes]

    return Loader(load_fn=load)
