"""Settings come from KHIDMA_* variables, and a wrong one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from khidma.core.config import Settings, SettingsError


def test_defaults_use_the_embedded_database_in_dot_khidma() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.embedded_pgdata == Path(".khidma/pgdata")
    assert settings.port == 8000


def test_variables_are_read_and_converted() -> None:
    settings = Settings.from_env(
        {
            "KHIDMA_DATABASE_URL": "postgresql://db/khidma",
            "KHIDMA_PORT": "9000",
            "KHIDMA_SEQUENCER_INTERVAL": "0.25",
            "KHIDMA_PGDATA": "/var/lib/khidma",
            "KHIDMA_TEST_DATABASE_URL": "ignored: for the tests",
            "PATH": "/bin",
        }
    )
    assert settings.database_url == "postgresql://db/khidma"
    assert settings.port == 9000
    assert settings.sequencer_interval == 0.25
    assert settings.embedded_pgdata == Path("/var/lib/khidma")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"KHIDMA_PORT": "eighty"}, "KHIDMA_PORT"),
        ({"KHIDMA_PORT": "70000"}, "KHIDMA_PORT"),
        ({"KHIDMA_DB_SCHEMA": "Robert'); DROP"}, "KHIDMA_DB_SCHEMA"),
        ({"KHIDMA_SNAPSHOT_EVERY": "0"}, "KHIDMA_SNAPSHOT_EVERY"),
        ({"KHIDMA_POOL_MIN_SIZE": "9", "KHIDMA_POOL_MAX_SIZE": "3"}, "KHIDMA_POOL_MIN_SIZE"),
        ({"KHIDMA_DATABSE_URL": "typo"}, "KHIDMA_DATABSE_URL"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable
