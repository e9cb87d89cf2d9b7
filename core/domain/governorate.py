"""Syria's 14 governorates (محافظات), with the 3-letter codes tracking numbers start with."""

from __future__ import annotations

from datetime import timedelta, timezone
from enum import StrEnum

from .errors import ValidationError

# Syria keeps UTC+3 all year since 2022; centres' hours and citizens' dates are on this clock.
SYRIA_TIME = timezone(timedelta(hours=3), "Asia/Damascus")


class Governorate(StrEnum):
    """A governorate; the value is the code used in tracking numbers (``DAM-2026-…``)."""

    DAMASCUS = "DAM"
    RIF_DIMASHQ = "RIF"
    HOMS = "HMS"
    HAMA = "HAM"
    ALEPPO = "ALP"
    LATAKIA = "LAT"
    TARTUS = "TAR"
    IDLIB = "IDL"
    DARAA = "DRA"
    AS_SUWAYDA = "SWD"
    QUNEITRA = "QUN"
    DEIR_EZ_ZOR = "DEZ"
    RAQQA = "RAQ"
    AL_HASAKAH = "HSK"

    @property
    def code(self) -> str:
        return self.value

    @property
    def name_ar(self) -> str:
        return _NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _NAMES[self][1]

    @classmethod
    def parse(cls, field: str, value: object) -> Governorate:
        """The governorate named by a member, its code, or its Arabic or English name."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            found = _LOOKUP.get(_key(value))
            if found is not None:
                return found
        codes = ", ".join(g.value for g in cls)
        raise ValidationError(field, f"unknown governorate {value!r}; expected one of {codes}")


_NAMES: dict[Governorate, tuple[str, str]] = {
    Governorate.DAMASCUS: ("دمشق", "Damascus"),
    Governorate.RIF_DIMASHQ: ("ريف دمشق", "Rif Dimashq"),
    Governorate.HOMS: ("حمص", "Homs"),
    Governorate.HAMA: ("حماة", "Hama"),
    Governorate.ALEPPO: ("حلب", "Aleppo"),
    Governorate.LATAKIA: ("اللاذقية", "Latakia"),
    Governorate.TARTUS: ("طرطوس", "Tartus"),
    Governorate.IDLIB: ("إدلب", "Idlib"),
    Governorate.DARAA: ("درعا", "Daraa"),
    Governorate.AS_SUWAYDA: ("السويداء", "As-Suwayda"),
    Governorate.QUNEITRA: ("القنيطرة", "Quneitra"),
    Governorate.DEIR_EZ_ZOR: ("دير الزور", "Deir ez-Zor"),
    Governorate.RAQQA: ("الرقة", "Raqqa"),
    Governorate.AL_HASAKAH: ("الحسكة", "Al-Hasakah"),
}


def _key(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


_LOOKUP: dict[str, Governorate] = {
    _key(alias): g for g in Governorate for alias in (g.value, g.name, g.name_ar, g.name_en)
}
