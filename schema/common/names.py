"""Bilingual names: every service, centre and notification has one in Arabic and English."""

from __future__ import annotations

import strawberry


@strawberry.type(description="A name in Arabic and English.")
class Name:
    ar: str
    en: str
