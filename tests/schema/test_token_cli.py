"""``khidma token --national-number``: the subject is the id khidma gave the citizen, looked up,
or, for a number with no account yet, a new id with the number verified (as an identity
provider would give), with which the citizen registers on the portal."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import uuid
from pathlib import Path
from typing import Any

import pytest

from khidma.core.app import Actor, Khidma
from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.domain.errors import NotAllowed
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


async def test_an_unknown_numbers_token_has_a_new_id_and_can_register_it_on_the_portal(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    code = await asyncio.to_thread(token_command, settings, arguments(national_number=NN))
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"{NN} has no account yet" in out.err and "لا حساب لهذا الرقم" in out.err
    citizen = Tokens(settings).verify(out.out.strip())
    assert citizen.national_number == NN  # as an identity provider verified it

    def register(actor: Actor, number: str = NN) -> Any:
        return khidma.citizens.register_citizen(
            actor, f"test-{uuid.uuid4()}", national_number=number, first_name_ar="سامي",
            first_name_en="Sami", last_name_ar="الأحمد", last_name_en="Al-Ahmad",
        )  # fmt: skip

    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        khidma = Khidma(store)
        other = Actor(uuid.uuid4(), Role.CITIZEN, national_number="03344556688")
        with pytest.raises(NotAllowed):  # a verified number registers only itself
            await register(other)
        assert (await register(citizen))["citizen_id"] == str(citizen.id)
        # Linked now: the number answers to that id only, whatever another token claims.
        impostor = Actor(uuid.uuid4(), Role.CITIZEN, national_number=NN)
        with pytest.raises(NotAllowed):
            await register(impostor)
        # And one id is one person: it cannot take a second number.
        with pytest.raises(NotAllowed):
            await register(dataclasses.replace(citizen, national_number="03344556688"),
                           "03344556688")  # fmt: skip
    code = await asyncio.to_thread(token_command, settings, arguments(national_number=NN))
    out = capsys.readouterr()
    assert code == 0 and out.err == ""
    assert Tokens(settings).verify(out.out.strip()).id == citizen.id


async def test_a_malformed_number_names_the_field(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    code = await asyncio.to_thread(token_command, settings, arguments(national_number="12"))
    assert code == 2
    assert "national_number" in capsys.readouterr().err
