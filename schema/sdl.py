"""The SDL, committed as schema/schema.graphql: ``python -m khidma.schema.sdl`` rewrites it."""

from __future__ import annotations

from pathlib import Path

from .build import build_schema

PATH = Path(__file__).resolve().parent / "schema.graphql"


def sdl() -> str:
    return str(build_schema()) + "\n"


if __name__ == "__main__":
    PATH.write_text(sdl(), encoding="utf-8")
    print(f"wrote {PATH}")
