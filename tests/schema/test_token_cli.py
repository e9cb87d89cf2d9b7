"""``khidma token --national-number``: the subject is the id khidma gave the citizen, looked up."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import uuid
from pathlib import Path

import pytest

from khidma.core.app import Khidma
from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.domain.roles import Role
from khidma.schema.auth import Tokens
from khidma.schema.auth.cli import token_command
from tests.core.app.conftest import clerk

NN = "03344556677"


def arguments(**given: str | None) -> argparse.Namespace:
    values = {"role": "citizen", "national_number": None, "staff_number": None, "sub": None,
              "centre": None, "agency": None, "channel": "portal"}  # fmt: skip
    return argparse.Namespace(**{**values, **given})


async def test_a_registered_citizens_token_carries_their_id(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        registered = await Khidma(store).citizens.register_citizen(
            clerk(), f"test-{uuid.uuid4()}", national_number=NN, first_name_ar="سامي",
            first_name_en="Sami", last_name_ar="الأحمد", last_name_en="Al-Ahmad",
        )  # fmt: skip
    capsys.readouterr()

    # token_command runs its own event loop, as it does under ``khidma token``.
    code = await asyncio.to_thread(token_command, settings, arguments(national_number=NN))
    out = capsys.readouterr()
    assert code == 0, out.err
    actor = Tokens(settings).verify(out.out.strip())
    assert (actor.role, str(actor.id)) == (Role.CITIZEN, registered["citizen_id"])


async def test_an_unknown_number_is_said_so_and_exits_1(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    code = await asyncio.to_thread(token_command, settings, arguments(national_number=NN))
    out = capsys.readouterr()
    assert code == 1 and out.out == ""
    assert f"no citizen is registered with national number {NN}" in out.err
    assert "لا يوجد مواطن مسجّل" in out.err


async def test_a_malformed_number_names_the_field(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    code = await asyncio.to_thread(token_command, settings, arguments(national_number="12"))
    assert code == 2
    assert "national_number" in capsys.readouterr().err
