"""Citizen (المواطن): the profile completed once that prefills every request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from .citizen_fields import (
    NAMES,
    PROFILE_FIELDS,
    UPDATABLE_FIELDS,
    parse_email,
    parse_mobile,
    parse_national_number,
    validate_field,
)
from .errors import InvalidTransition, ValidationError
from .governorate import Governorate
from .text import bounded, choice, moment, western_digits

__all__ = [
    "PROFILE_FIELDS",
    "UPDATABLE_FIELDS",
    "Citizen",
    "Language",
    "parse_email",
    "parse_mobile",
    "parse_national_number",
]


class Language(StrEnum):
    """The language a citizen is written to in."""

    AR = "ar"
    EN = "en"


class Citizen(Aggregate):
    """A citizen's account. Its id is random, given at registration by the look-up of national
    numbers (core/privacy/numbers.py), which keeps it one per person: an id derived from the
    number would let anyone who knows a number find a forgotten citizen's traces."""

    email: str | None = None  # for accounts snapshotted before they had one

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        national_number: object,
        first_name_ar: object,
        first_name_en: object,
        last_name_ar: object,
        last_name_en: object,
        *,
        citizen_id: uuid.UUID,
        at: datetime,
        phone: object = None,
        language: Language | str = Language.AR,
    ) -> Citizen:
        """Open an account with the national number and names; the rest may come later.

        ``citizen_id`` is the id the look-up of national numbers gave this number.
        """
        at = moment("at", at)
        given = (first_name_ar, first_name_en, last_name_ar, last_name_en)
        names = {f: validate_field(f, v, at) for f, v in zip(NAMES, given, strict=True)}
        if not isinstance(citizen_id, uuid.UUID):
            raise ValidationError("citizen_id", "expected a UUID")
        return cls._create(
            cls.Registered,  # type: ignore[attr-defined]
            id=citizen_id,
            national_number=parse_national_number(national_number),
            **names,
            phone=None if phone is None else parse_mobile(phone),
            language=choice("language", Language, language),
            at=at,
        )

    def complete_profile(
        self,
        *,
        father_name: object,
        mother_name: object,
        birth_date: object,
        birth_place: object,
        registry_place: object,
        address_governorate: object,
        address_city: object,
        address_street: object,
        at: datetime,
        phone: object = None,
    ) -> None:
        """Fill in the whole profile once; ``phone`` is needed unless registered with one."""
        at = moment("at", at)
        if self.is_complete:
            raise InvalidTransition(
                "complete the profile of", "complete", "use update_profile to change it"
            )
        given = {
            "father_name": father_name,
            "mother_name": mother_name,
            "birth_date": birth_date,
            "birth_place": birth_place,
            "registry_place": registry_place,
            "address_governorate": address_governorate,
            "address_city": address_city,
            "address_street": address_street,
        }
        fields = {f: validate_field(f, v, at) for f, v in given.items()}
        if phone is not None:
            fields["phone"] = parse_mobile(phone)
        elif self.phone is None:
            raise ValidationError("phone", "required to complete the profile")
        else:
            fields["phone"] = self.phone
        self._profile_completed(**fields, at=at)

    def update_profile(
        self,
        *,
        at: datetime,
        first_name_ar: object = None,
        first_name_en: object = None,
        last_name_ar: object = None,
        last_name_en: object = None,
        father_name: object = None,
        mother_name: object = None,
        birth_date: object = None,
        birth_place: object = None,
        registry_place: object = None,
        address_governorate: object = None,
        address_city: object = None,
        address_street: object = None,
    ) -> None:
        """Correct the fields given (None leaves one as it is); no event if nothing changes."""
        at = moment("at", at)
        given = {
            "first_name_ar": first_name_ar,
            "first_name_en": first_name_en,
            "last_name_ar": last_name_ar,
            "last_name_en": last_name_en,
            "father_name": father_name,
            "mother_name": mother_name,
            "birth_date": birth_date,
            "birth_place": birth_place,
            "registry_place": registry_place,
            "address_governorate": address_governorate,
            "address_city": address_city,
            "address_street": address_street,
        }
        validated = {f: validate_field(f, v, at) for f, v in given.items() if v is not None}
        changes = {f: v for f, v in validated.items() if getattr(self, f) != v}
        if changes:
            self._profile_updated(changes=changes, at=at)

    def change_phone(self, phone: object, *, at: datetime) -> None:
        at = moment("at", at)
        phone = parse_mobile(phone)
        if phone != self.phone:
            self._phone_changed(phone=phone, at=at)

    def change_email(self, email: object, *, at: datetime) -> None:
        """Set the e-mail address notices fall back to (None removes it)."""
        at = moment("at", at)
        address = None if email is None else parse_email(email)
        if address != self.email:
            self._email_changed(email=address, at=at)

    def change_language(self, language: Language | str, *, at: datetime) -> None:
        at = moment("at", at)
        language = choice("language", Language, language)
        if language is not self.language:
            self._language_changed(language=language, at=at)

    def forget(self, *, reason: object, by: uuid.UUID, at: datetime) -> bool:
        """Erase the personal data from the account (its key is destroyed after this event is
        written); False, recording nothing, if it was already forgotten. The reason is kept
        in clear for auditors, so it must not name the person."""
        at = moment("at", at)
        reason = bounded("reason", reason, 500)
        if self.forgotten_at is not None:
            return False
        said = western_digits(reason)
        for name in ("national_number", *NAMES):
            value = getattr(self, name)
            if value and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", said, re.IGNORECASE):
                raise ValidationError("reason", "must not name the citizen: it is kept in clear")
        self._forgotten(reason=reason, by=by, at=at)
        return True

    # -- queries ----------------------------------------------------------------------------

    @property
    def forgotten_at(self) -> datetime | None:
        """When the citizen was forgotten (crypto-shredding); None while they are not."""
        return self.__dict__.get("_forgotten_at")

    @property
    def is_complete(self) -> bool:
        """Every field a request form needs is filled in."""
        return all(getattr(self, f) is not None for f in PROFILE_FIELDS)

    @property
    def full_name_ar(self) -> str:
        return f"{self.first_name_ar} {self.last_name_ar}"

    @property
    def full_name_en(self) -> str:
        return f"{self.first_name_en} {self.last_name_en}"

    def prefill(self, asked: Collection[str] | None = None) -> dict[str, str]:
        """The known profile fields as a request form's initial values (JSON-ready strings):
        those a form ``asked`` for, or all of them."""
        values: dict[str, str] = {}
        if asked is None or "national_number" in asked:
            values["national_number"] = self.national_number
        for f in PROFILE_FIELDS:
            if asked is not None and f not in asked:
                continue
            value = getattr(self, f)
            if isinstance(value, date):
                values[f] = value.isoformat()
            elif value is not None:
                values[f] = str(value)
        return values

    def age_on(self, on: date) -> int | None:
        """Completed years on ``on``; None while the birth date is unknown."""
        born = self.birth_date
        if born is None:
            return None
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    # -- events: they only record --------------------------------------------------------------

    @event("Registered")
    def __init__(
        self,
        *,
        national_number: str,
        first_name_ar: str,
        first_name_en: str,
        last_name_ar: str,
        last_name_en: str,
        phone: str | None,
        language: Language,
        at: datetime,
    ) -> None:
        self.national_number = national_number
        self.first_name_ar = first_name_ar
        self.first_name_en = first_name_en
        self.last_name_ar = last_name_ar
        self.last_name_en = last_name_en
        self.phone = phone
        self.email: str | None = None
        self.language = language
        self.registered_at = at
        self.father_name: str | None = None
        self.mother_name: str | None = None
        self.birth_date: date | None = None
        self.birth_place: str | None = None
        self.registry_place: str | None = None
        self.address_governorate: Governorate | None = None
        self.address_city: str | None = None
        self.address_street: str | None = None
        self.profile_completed_at: datetime | None = None
        self.updated_at = at

    @event("ProfileCompleted")
    def _profile_completed(
        self,
        *,
        father_name: str,
        mother_name: str,
        birth_date: date,
        birth_place: str,
        registry_place: str,
        phone: str,
        address_governorate: Governorate,
        address_city: str,
        address_street: str,
        at: datetime,
    ) -> None:
        self.father_name = father_name
        self.mother_name = mother_name
        self.birth_date = birth_date
        self.birth_place = birth_place
        self.registry_place = registry_place
        self.phone = phone
        self.address_governorate = address_governorate
        self.address_city = address_city
        self.address_street = address_street
        self.profile_completed_at = at
        self.updated_at = at

    @event("ProfileUpdated")
    def _profile_updated(self, changes: dict[str, Any], at: datetime) -> None:
        """``changes`` maps UPDATABLE_FIELDS names to their new, validated values."""
        for name, value in changes.items():
            setattr(self, name, value)
        self.updated_at = at

    @event("PhoneChanged")
    def _phone_changed(self, phone: str, at: datetime) -> None:
        self.phone = phone
        self.updated_at = at

    @event("EmailChanged")
    def _email_changed(self, email: str | None, at: datetime) -> None:
        self.email = email
        self.updated_at = at

    @event("Forgotten")
    def _forgotten(self, *, reason: str, by: uuid.UUID, at: datetime) -> None:
        for name in ("national_number", *PROFILE_FIELDS, "email"):
            setattr(self, name, None)
        self._forgotten_at = at
        self.updated_at = at

    @event("LanguageChanged")
    def _language_changed(self, language: Language, at: datetime) -> None:
        self.language = language
        self.updated_at = at
