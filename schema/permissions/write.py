"""Write schema/PERMISSIONS.md from the table: ``python -m khidma.schema.permissions.write``."""

from __future__ import annotations

from pathlib import Path

from .table import markdown

PATH = Path(__file__).resolve().parent.parent / "PERMISSIONS.md"

if __name__ == "__main__":
    PATH.write_text(markdown() + "\n", encoding="utf-8")
    print(f"wrote {PATH}")
