"""Demo data, part two: the Homs and Damascus centres, their staff, citizens, requests, queues.

Centres and what they offer follow the reports (DOMAIN.md); the people are invented. Citizens'
names are obviously fictional (تجريبي, مثالي, نموذجي: "test", "example", "sample").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .demo_catalog import AGENCIES, DIRECT_AGENCIES, SERVICES

WORK_WEEK = ("sunday", "monday", "tuesday", "wednesday", "thursday")


def _hours(opens: str, closes: str, thursday: str | None = None) -> dict[str, tuple[str, str]]:
    """Sunday to Thursday; ``thursday`` closes earlier when given."""
    hours = {day: (opens, closes) for day in WORK_WEEK}
    if thursday is not None:
        hours["thursday"] = (opens, thursday)
    return hours


def _offering(*agencies: str) -> list[str]:
    """The catalog's services of these agencies (all of them if none are named)."""
    wanted = agencies or AGENCIES
    return [s["code"] for s in SERVICES if s["agency"] in wanted]


def _centre(
    code: str,
    name: tuple[str, str],
    district: tuple[str, str],
    counters: int,
    hours: dict[str, tuple[str, str]],
    services: list[str] | None = None,
) -> dict[str, Any]:
    """register_centre's keywords; the centre reaches the direct-access agencies it serves."""
    offered = services if services is not None else _offering()
    agencies = {s["agency"] for s in SERVICES if s["code"] in offered}
    return {
        "code": code,
        "name_ar": f"مركز {name[0]}",
        "name_en": f"{name[1]} Centre",
        "governorate": code[:3],
        "district_ar": district[0],
        "district_en": district[1],
        "counters": counters,
        "services": offered,
        "direct_agencies": [a for a in DIRECT_AGENCIES if a in agencies],
        "hours": hours,
    }


DAY = _hours("08:00", "15:00")
CENTRES: list[dict[str, Any]] = [
    # Homs: the main hall at the city council and five neighbourhood centres, plus the Western
    # Corniche centre (opened 2023, on solar panels) offering the main services only.
    _centre(
        "HMS-01", ("صالة الجمهور", "Salat al-Jumhour"), ("وسط المدينة", "City centre"), 14,
        _hours("08:00", "18:00", "14:00"),
    ),
    _centre("HMS-02", ("الأرمن", "Al-Arman"), ("حي الأرمن", "Al-Arman"), 8, DAY),
    _centre("HMS-03", ("العدوية", "Al-Adawiya"), ("حي العدوية", "Al-Adawiya"), 6, DAY),
    _centre("HMS-04", ("عكرمة", "Ikrima"), ("حي عكرمة", "Ikrima"), 6, DAY),
    _centre("HMS-05", ("حمص الجديدة", "New Homs"), ("حمص الجديدة", "New Homs"), 6, DAY),
    _centre("HMS-06", ("الحمراء", "Al-Hamra"), ("حي الحمراء", "Al-Hamra"), 5, DAY),
    _centre(
        "HMS-07", ("الكورنيش الغربي", "Western Corniche"),
        ("الكورنيش الغربي", "Western Corniche"), 4, DAY,
        _offering("civil_registry", "justice", "state_employees", "utilities"),
    ),
    # Damascus: Midan grew from 4 front offices to 12, Qanawat from 3 to 11.
    _centre(
        "DAM-01", ("المزة", "Mezzeh"), ("المزة", "Mezzeh"), 8, _hours("08:00", "15:00", "13:30")
    ),
    _centre("DAM-02", ("الميدان", "Al-Midan"), ("الميدان", "Al-Midan"), 12, DAY),
    _centre("DAM-03", ("القنوات", "Al-Qanawat"), ("القنوات", "Al-Qanawat"), 11, DAY),
    _centre(
        "DAM-04", ("المرسوم 66", "Decree 66"), ("بساتين الرازي", "Basateen al-Razi"), 4, DAY,
        _offering("civil_registry", "real_estate", "finance", "city_council", "utilities"),
    ),
    # Portal and app requests are routed here; it completes them with the agencies.
    _centre(
        "DAM-05", ("الخدمات الإلكترونية", "E-Services"), ("الصالحية", "Al-Salihiyah"), 6,
        _hours("08:00", "16:00"),
    ),
]  # fmt: skip

# (centre, power source, reason): running on backup power during rationing (التقنين).
DEGRADED: list[tuple[str, str, str]] = [
    (
        "HMS-07",
        "solar",
        "تقنين الكهرباء: المركز يعمل على الطاقة الشمسية / power rationing: on solar",
    ),
]


# -- staff --------------------------------------------------------------------------------------

ACTIONS = ("forward", "answer", "certify", "hand_over")  # core/app/requests.py AGENCY_ACTIONS


def permissions_for(agency: str) -> tuple[str, ...]:
    """What a clerk of ``agency`` is granted: issuing at once only where the centre has access."""
    actions = (*ACTIONS, "issue") if agency in DIRECT_AGENCIES else ACTIONS
    return tuple(f"{agency}.{action}" for action in actions)


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a centre's staff, as hire_staff takes them."""

    staff_number: str
    name_ar: str
    name_en: str
    role: str
    employment: str
    centre_code: str
    agency_code: str | None

    @property
    def permissions(self) -> tuple[str, ...]:
        return permissions_for(self.agency_code) if self.agency_code else ()


_FIRST = [
    ("محمد", "Mohammad"), ("رنا", "Rana"), ("أحمد", "Ahmad"), ("سارة", "Sara"),
    ("يوسف", "Yousef"), ("مريم", "Maryam"), ("حسن", "Hasan"), ("ريم", "Reem"),
    ("فادي", "Fadi"), ("نور", "Nour"), ("ماهر", "Maher"), ("هبة", "Hiba"),
    ("طارق", "Tareq"), ("لينا", "Lina"), ("باسل", "Basel"), ("دعاء", "Duaa"),
    ("وسيم", "Wassim"), ("رهف", "Rahaf"), ("جورج", "George"), ("ميساء", "Maysaa"),
    ("عمار", "Ammar"), ("سلمى", "Salma"), ("إياد", "Iyad"),
]  # fmt: skip
_FAMILY = [
    ("الحسن", "Al-Hasan"), ("الخطيب", "Al-Khatib"), ("العلي", "Al-Ali"), ("الشامي", "Al-Shami"),
    ("الحمصي", "Al-Homsi"), ("الجندي", "Al-Jundi"), ("المصري", "Al-Masri"),
    ("النحاس", "Al-Nahhas"), ("القاسم", "Al-Qasem"), ("الحلبي", "Al-Halabi"),
    ("العمر", "Al-Omar"), ("خوري", "Khoury"), ("حداد", "Haddad"), ("الطويل", "Al-Tawil"),
    ("البيطار", "Al-Bitar"), ("الكردي", "Al-Kurdi"), ("السيد", "Al-Sayyed"),
]  # fmt: skip


def _name(index: int) -> tuple[str, str]:
    first = _FIRST[index % len(_FIRST)]
    family = _FAMILY[(index * 5) % len(_FAMILY)]
    return f"{first[0]} {family[0]}", f"{first[1]} {family[1]}"


def centre_agencies(centre: dict[str, Any]) -> list[str]:
    """The agencies whose services the centre offers, in the catalog's order."""
    offered = {s["agency"] for s in SERVICES if s["code"] in centre["services"]}
    return [a for a in AGENCIES if a in offered]


def _staff() -> list[Member]:
    """Per centre: a supervisor (``<centre>-0001``), then one clerk per agency it serves."""
    members: list[Member] = []
    for centre in CENTRES:
        code = centre["code"]
        posts: list[tuple[str, str | None]] = [("supervisor", None)]
        posts += [("clerk", agency) for agency in centre_agencies(centre)]
        for n, (role, agency) in enumerate(posts, start=1):
            name_ar, name_en = _name(len(members))
            # Every seventh a seasonal clerk, as centres train and lose many (DOMAIN.md).
            seasonal = role == "clerk" and len(members) % 7 == 3
            members.append(
                Member(
                    f"{code}-{n:04d}",
                    name_ar,
                    name_en,
                    role,
                    "seasonal" if seasonal else "permanent",
                    code,
                    agency,
                )
            )
    return members


STAFF: list[Member] = _staff()


def clerk_of(centre: str, agency: str) -> Member:
    """The clerk serving ``agency`` at ``centre``."""
    for member in STAFF:
        if member.centre_code == centre and member.agency_code == agency:
            return member
    raise LookupError(f"no clerk of {agency} at {centre}")


# -- citizens -----------------------------------------------------------------------------------


def _citizen(
    national_number: str,
    first: tuple[str, str],
    last: tuple[str, str],
    phone: str,
    language: str,
    profile: dict[str, Any],
) -> dict[str, Any]:
    return {
        "national_number": national_number,
        "first_name_ar": first[0],
        "first_name_en": first[1],
        "last_name_ar": last[0],
        "last_name_en": last[1],
        "phone": phone,
        "language": language,
        "profile": profile,
    }


def _profile(
    father: str, mother: str, born: date, place: str, registry: str, governorate: str, street: str
) -> dict[str, Any]:
    city = {"HMS": "حمص", "DAM": "دمشق"}[governorate]
    return {
        "father_name": father,
        "mother_name": mother,
        "birth_date": born,
        "birth_place": place,
        "registry_place": registry,
        "address_governorate": governorate,
        "address_city": city,
        "address_street": street,
    }


SAMI, LAYLA, OMAR, HUDA, KHALED = (
    "99100000011",
    "99100000022",
    "99100000033",
    "99100000044",
    "99100000055",
)
CITIZENS: list[dict[str, Any]] = [
    _citizen(
        SAMI, ("سامي", "Sami"), ("التجريبي", "Al-Tajribi"), "0930000011", "ar",
        _profile("منير", "هالة", date(1986, 4, 12), "حمص", "حمص - الخالدية", "HMS",
                 "حي الإنشاءات، شارع التجربة، بناء 12"),
    ),
    _citizen(
        LAYLA, ("ليلى", "Layla"), ("المثالي", "Al-Mithali"), "0930000022", "en",
        _profile("عادل", "سعاد", date(1991, 9, 3), "دمشق", "دمشق - المزة", "DAM",
                 "المزة، شارع المثال، بناء 4"),
    ),
    _citizen(
        OMAR, ("عمر", "Omar"), ("النموذجي", "Al-Namouthaji"), "0930000033", "ar",
        _profile("كمال", "نادية", date(1978, 1, 25), "دمشق", "دمشق - الميدان", "DAM",
                 "الميدان، جادة النموذج، بناء 7"),
    ),
    _citizen(
        HUDA, ("هدى", "Huda"), ("العينة", "Al-Ayyina"), "0930000044", "ar",
        _profile("سليم", "وفاء", date(1995, 6, 30), "حمص", "حمص - الأرمن", "HMS",
                 "حي الأرمن، شارع العينة، بناء 3"),
    ),
    _citizen(
        KHALED, ("خالد", "Khaled"), ("الافتراضي", "Al-Iftiradi"), "0930000055", "ar",
        _profile("رياض", "منى", date(1969, 11, 8), "حمص", "حمص - باب السباع", "HMS",
                 "صالة الجمهور، شارع الافتراض، بناء 9"),
    ),
]  # fmt: skip


# -- requests and queues ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """A request filed and taken through the handlers until it is in status ``until``.

    ``counter`` is the centre whose clerk files it at the counter; else the citizen files it on
    ``channel``. Documents are collected at ``pickup`` unless a ``post_office`` is given.
    """

    key: str
    national_number: str
    service: str
    until: str
    form: dict[str, Any]
    channel: str = "portal"
    counter: str | None = None
    pickup: str | None = None
    post_office: str | None = None
    processing: str | None = None


SCENARIOS: list[Scenario] = [
    Scenario(
        "bill", LAYLA, "utilities.bill_payment", "submitted",
        {"utility": "electricity", "subscriber_number": "DM-448812"}, pickup="DAM-01",
    ),
    Scenario(
        "criminal", SAMI, "justice.criminal_record", "awaiting_payment",
        {"purpose": "employment"}, channel="app", pickup="HMS-01",
    ),
    Scenario(
        "ownership", OMAR, "estate.ownership_statement", "paid",
        {"real_estate_zone": "الميدان", "parcel_number": "1432", "section": "7"},
        pickup="DAM-02",
    ),
    Scenario(
        "survey", LAYLA, "estate.survey_plan", "agency_processing",
        {"real_estate_zone": "المزة", "parcel_number": "2210", "scale": "scale_500"},
        pickup="DAM-01",
    ),
    Scenario(
        "record", KHALED, "civil.individual_record", "ready_for_pickup",
        {"purpose": "official"}, counter="HMS-01", pickup="HMS-01",
    ),
    Scenario(
        "extract", HUDA, "civil.record_extract", "collected",
        {"extract_kind": "family"}, counter="HMS-02", pickup="HMS-02",
    ),
    # As in the reports: a divorce statement refused because the divorce was not yet final.
    Scenario(
        "divorce", OMAR, "civil.divorce_statement", "rejected",
        {"spouse_national_number": "99100000099", "divorce_date": "2025-12-14",
         "court_case_number": "1287/2025"},
        pickup="DAM-03",
    ),
    Scenario(
        "company", LAYLA, "finance.clearance_company", "dispatched",
        {"company_name": "شركة المثال للتجارة", "commercial_register": "45120",
         "tax_file_number": "778812"},
        post_office="مكتب بريد المزة / Mezzeh post office", processing="DAM-05",
    ),
]  # fmt: skip
REJECTION = "لم يكتسب حكم الطلاق الدرجة القطعية بعد / the divorce ruling is not yet final"


@dataclass(frozen=True, slots=True)
class Call:
    """A clerk of ``agency`` calls the next ticket of its category to ``counter``; then the
    ticket is served (linked to the scenarios' requests), a no-show, or still being served."""

    agency: str
    counter: int
    outcome: str  # served, no_show, serving
    requests: tuple[str, ...] = ()


# Today's queues: the tickets taken (category, and the citizen if taken in the app), the calls.
QUEUES: dict[str, tuple[list[tuple[str, str | None]], list[Call]]] = {
    "HMS-01": (
        [("civil", None), ("civil", None), ("civil", None), ("justice", SAMI),
         ("real_estate", None), ("finance", None)],
        [Call("civil_registry", 1, "served", ("record",)), Call("civil_registry", 1, "no_show"),
         Call("justice", 4, "serving")],
    ),
    "DAM-02": (
        [("civil", None), ("real_estate", None), ("civil", None), ("finance", None),
         ("utilities", None)],
        [Call("civil_registry", 1, "served"), Call("real_estate", 5, "serving")],
    ),
}  # fmt: skip
