"""Demo data, part one: the services the reports name, the councils' surcharges, 2026's holidays.

Fees are invented for the demo: plausible amounts in whole Syrian pounds, not official tariffs.
Handling follows the agency: the centre's clerks reach the civil registry, the city council and
the utilities directly; the others (justice, real estate, finance, state employees) reply later.
"""

from __future__ import annotations

from datetime import date
from typing import Any

DIRECT_AGENCIES = ("civil_registry", "city_council", "utilities")
AGENCIES = (
    "civil_registry",
    "justice",
    "state_employees",
    "real_estate",
    "finance",
    "city_council",
    "utilities",
)

Field = dict[str, Any]


def _label(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


def _text(name: str, ar: str, en: str, max_length: int = 100, required: bool = True) -> Field:
    return {
        "name": name,
        "type": "text",
        "label": _label(ar, en),
        "max_length": max_length,
        "required": required,
    }


def _digits(name: str, ar: str, en: str, length: int) -> Field:
    return {"name": name, "type": "digits", "label": _label(ar, en), "length": length}


def _date(name: str, ar: str, en: str, required: bool = True) -> Field:
    return {
        "name": name,
        "type": "date",
        "label": _label(ar, en),
        "not_in_future": True,
        "required": required,
    }


def _choice(
    name: str, ar: str, en: str, options: list[tuple[str, str, str]], required: bool = True
) -> Field:
    return {
        "name": name,
        "type": "choice",
        "label": _label(ar, en),
        "required": required,
        "options": [{"value": v, "label": _label(a, e)} for v, a, e in options],
    }


# The citizen's profile prefills the fields named like its own (national_number, father_name…).
NATIONAL_NUMBER = _digits("national_number", "الرقم الوطني", "National number", 11)
FIRST_NAME = _text("first_name_ar", "الاسم", "First name")
LAST_NAME = _text("last_name_ar", "الكنية", "Family name")
FATHER = _text("father_name", "اسم الأب", "Father's name")
MOTHER = _text("mother_name", "اسم الأم", "Mother's name")
BIRTH_DATE = _date("birth_date", "تاريخ الولادة", "Date of birth")
BIRTH_PLACE = _text("birth_place", "مكان الولادة", "Place of birth")
REGISTRY = _text("registry_place", "محل ومكان القيد", "Place of civil registration")
PERSON = [NATIONAL_NUMBER, FIRST_NAME, LAST_NAME, FATHER, MOTHER]
PURPOSE = _choice(
    "purpose",
    "الغاية",
    "Purpose",
    [
        ("official", "جهة رسمية", "An official body"),
        ("employment", "توظيف", "Employment"),
        ("travel", "سفر", "Travel"),
        ("court", "محكمة", "Court"),
    ],
    required=False,
)
SPOUSE = _digits(
    "spouse_national_number", "الرقم الوطني للزوج/الزوجة", "Spouse's national number", 11
)
PARCEL = [
    _text("real_estate_zone", "المنطقة العقارية", "Real-estate zone"),
    _text("parcel_number", "رقم العقار", "Parcel number", 20),
    _text("section", "رقم المقسم", "Section number", 20, required=False),
]
DECEASED = _digits(
    "deceased_national_number", "الرقم الوطني للمتوفى", "Deceased's national number", 11
)
TAX_FILE = _text("tax_file_number", "رقم الإضبارة الضريبية", "Tax file number", 20, required=False)


def _service(
    code: str,
    name_ar: str,
    name_en: str,
    agency: str,
    fields: list[Field],
    fee: int,
    days: int,
    *,
    collectors: tuple[str, ...] = ("self", "first_degree_relative"),
    delivery: tuple[str, ...] = ("pickup", "post_office", "home"),
    validity_days: int = 60,
    clock_rule: str = "continue",
) -> dict[str, Any]:
    """add_service's keywords; handling follows the agency."""
    return {
        "code": code,
        "name_ar": name_ar,
        "name_en": name_en,
        "agency": agency,
        "form_schema": {"fields": fields},
        "agency_fee": fee,
        "handling": "direct" if agency in DIRECT_AGENCIES else "reply_later",
        "turnaround_days": days,
        "clock_rule": clock_rule,
        "collectors": list(collectors),
        "delivery": list(delivery),
        "validity_days": validity_days,
    }


CIVIL = "civil_registry"
SERVICES: list[dict[str, Any]] = [
    _service(
        "civil.individual_record", "بيان قيد فردي", "Individual civil record statement", CIVIL,
        [*PERSON, REGISTRY, PURPOSE], 2_000, 1,
    ),
    _service(
        "civil.birth_statement", "بيان ولادة", "Birth statement", CIVIL,
        [*PERSON, BIRTH_DATE, BIRTH_PLACE, REGISTRY], 2_000, 1,
    ),
    _service(
        "civil.death_statement", "بيان وفاة", "Death statement", CIVIL,
        [
            NATIONAL_NUMBER,
            DECEASED,
            _text("deceased_name", "اسم المتوفى", "Deceased's name"),
            _date("date_of_death", "تاريخ الوفاة", "Date of death"),
        ],
        2_000, 1,
    ),
    _service(
        "civil.marriage_statement", "بيان زواج", "Marriage statement", CIVIL,
        [*PERSON, SPOUSE, _date("marriage_date", "تاريخ الزواج", "Date of marriage", False)],
        2_000, 1,
    ),
    _service(
        "civil.divorce_statement", "بيان طلاق", "Divorce statement", CIVIL,
        [
            *PERSON,
            SPOUSE,
            _date("divorce_date", "تاريخ الطلاق", "Date of divorce"),
            _text("court_case_number", "رقم أساس الدعوى", "Court case number", 30, required=False),
        ],
        2_000, 1, collectors=("self",),
    ),
    _service(
        "civil.record_extract", "إخراج قيد", "Civil record extract", CIVIL,
        [
            *PERSON,
            REGISTRY,
            _choice(
                "extract_kind", "نوع الإخراج", "Kind of extract",
                [("individual", "فردي", "Individual"), ("family", "عائلي", "Family")],
            ),
        ],
        2_500, 1,
    ),
    _service(
        "justice.criminal_record", "السجل العدلي (لا حكم عليه)", "Criminal record certificate",
        "justice", [*PERSON, BIRTH_DATE, BIRTH_PLACE, PURPOSE], 3_000, 3,
        collectors=("self", "proxy"), delivery=("pickup", "post_office"), validity_days=90,
    ),
    _service(
        "employees.not_employed", "وثيقة غير موظف", "Not-a-state-employee certificate",
        "state_employees", [*PERSON, BIRTH_DATE, PURPOSE], 1_500, 3,
        collectors=("self", "first_degree_relative", "proxy"),
    ),
    _service(
        "estate.ownership_statement", "بيان ملكية عقارية", "Real-estate ownership statement",
        "real_estate", [NATIONAL_NUMBER, *PARCEL], 5_000, 5,
        collectors=("self", "proxy"), delivery=("pickup",), clock_rule="restart",
    ),
    _service(
        "estate.owners_chain", "بيان تسلسل مالكين", "Chain of owners statement", "real_estate",
        [NATIONAL_NUMBER, *PARCEL], 7_500, 7,
        collectors=("self", "proxy"), delivery=("pickup",), clock_rule="restart",
    ),
    _service(
        "estate.survey_plan", "مخطط مساحي", "Survey plan", "real_estate",
        [
            NATIONAL_NUMBER,
            *PARCEL,
            _choice(
                "scale", "مقياس الرسم", "Scale",
                [("scale_500", "1/500", "1:500"), ("scale_1000", "1/1000", "1:1000")],
            ),
        ],
        10_000, 10, collectors=("self", "proxy"), delivery=("pickup",), clock_rule="restart",
    ),
    _service(
        "finance.clearance_individual", "براءة ذمة مالية للأفراد", "Tax clearance (individuals)",
        "finance", [*PERSON, TAX_FILE, PURPOSE], 3_000, 3,
        collectors=("self", "proxy"), delivery=("pickup", "post_office"), clock_rule="restart",
    ),
    _service(
        "finance.clearance_company", "براءة ذمة مالية للشركات", "Tax clearance (companies)",
        "finance",
        [
            NATIONAL_NUMBER,
            _text("company_name", "اسم الشركة", "Company name", 150),
            _text("commercial_register", "رقم السجل التجاري", "Commercial register number", 30),
            TAX_FILE,
        ],
        10_000, 5, collectors=("self", "proxy"), delivery=("pickup", "post_office"),
        clock_rule="restart",
    ),
    _service(
        "council.clearance", "براءة ذمة من مجلس المدينة", "City council clearance",
        "city_council", [NATIONAL_NUMBER, *PARCEL], 2_500, 1,
        collectors=("self", "proxy"), delivery=("pickup",),
    ),
    # Free: the centre collects the bill for the utility; only the bill itself is paid.
    _service(
        "utilities.bill_payment", "تسديد فواتير المياه والكهرباء والهاتف",
        "Water, electricity and telephone bill payment", "utilities",
        [
            NATIONAL_NUMBER,
            _choice(
                "utility", "الجهة", "Utility",
                [
                    ("water", "المياه", "Water"),
                    ("electricity", "الكهرباء", "Electricity"),
                    ("telephone", "الهاتف", "Telephone"),
                ],
            ),
            _text("subscriber_number", "رقم الاشتراك", "Subscriber number", 30),
        ],
        0, 0, collectors=("self", "first_degree_relative", "proxy"), delivery=("pickup",),
        validity_days=30,
    ),
]  # fmt: skip
BILL_PAYMENT = "utilities.bill_payment"

# Governorate councils' decisions adding the centres' indirect costs (ink, telecommunications,
# paper): (governorate, service or None for all, SYP, in force from, decision reference).
# Bill payments are exempt: a decision naming the service beats an all-services one of that date.
SURCHARGES: list[tuple[str, str | None, int, date, str]] = [
    ("HMS", None, 500, date(2025, 7, 1), "HMS-COUNCIL-2025/412"),
    ("HMS", BILL_PAYMENT, 0, date(2025, 7, 1), "HMS-COUNCIL-2025/413"),
    ("HMS", None, 750, date(2026, 1, 1), "HMS-COUNCIL-2026/37"),
    ("HMS", BILL_PAYMENT, 0, date(2026, 1, 1), "HMS-COUNCIL-2026/38"),
    ("DAM", None, 400, date(2025, 9, 1), "DAM-COUNCIL-2025/1190"),
    ("DAM", BILL_PAYMENT, 0, date(2025, 9, 1), "DAM-COUNCIL-2025/1191"),
    ("DAM", "estate.survey_plan", 1_500, date(2026, 2, 1), "DAM-COUNCIL-2026/88"),
]

HOLIDAY_YEAR = 2026
# Public holidays of 2026 as (date, Arabic, English). Fixed-date ones first. The religious ones
# move with the lunar (Islamic) or the Eastern and Western church calendars: their dates here are
# approximate, to be corrected by an admin when the government announces them. The list is data:
# re-declaring the year replaces it.
HOLIDAYS: list[tuple[date, str, str]] = [
    (date(2026, 1, 1), "رأس السنة الميلادية", "New Year's Day"),
    (date(2026, 4, 17), "عيد الجلاء", "Evacuation Day"),
    (date(2026, 5, 1), "عيد العمال", "Labour Day"),
    (date(2026, 5, 6), "عيد الشهداء", "Martyrs' Day"),
    (date(2026, 10, 6), "ذكرى حرب تشرين التحريرية", "Tishreen Liberation War"),
    (date(2026, 12, 25), "عيد الميلاد المجيد", "Christmas Day"),
    # Approximate (movable):
    (date(2026, 3, 20), "عيد الفطر", "Eid al-Fitr"),
    (date(2026, 3, 21), "عيد الأم وعيد الفطر", "Mother's Day; Eid al-Fitr"),
    (date(2026, 3, 22), "عيد الفطر", "Eid al-Fitr"),
    (date(2026, 4, 5), "عيد الفصح (التقويم الغربي)", "Easter (Western)"),
    (date(2026, 4, 12), "عيد الفصح (التقويم الشرقي)", "Easter (Eastern)"),
    (date(2026, 5, 26), "وقفة عرفة", "Day of Arafah"),
    (date(2026, 5, 27), "عيد الأضحى", "Eid al-Adha"),
    (date(2026, 5, 28), "عيد الأضحى", "Eid al-Adha"),
    (date(2026, 5, 29), "عيد الأضحى", "Eid al-Adha"),
    (date(2026, 6, 16), "رأس السنة الهجرية", "Islamic New Year"),
    (date(2026, 8, 25), "المولد النبوي الشريف", "The Prophet's Birthday"),
]
