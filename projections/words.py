"""Request events in plain words, Arabic and English, for the tracking page and for auditors.

The words follow DOMAIN.md's glossary: معاملة (request), الجهة (agency), مركز (centre),
الرسم (fee), الأختام الحية (live stamps), وكالة (proxy). Nothing personal is quoted: not the
form, the answers given, or who collected beyond their relation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .request_events import UnhandledEvent, plain

Words = tuple[str, str]  # (Arabic, English)

CHANNELS: dict[str, Words] = {
    "counter": ("في المركز", "at the centre's counter"),
    "portal": ("عبر البوابة الإلكترونية", "on the e-services portal"),
    "app": ("عبر تطبيق معاملاتي", "in the app"),
}
RELATIONS: dict[str, str] = {
    "father": "الأب",
    "mother": "الأم",
    "son": "الابن",
    "daughter": "الابنة",
    "spouse": "الزوج أو الزوجة",
}


def _money(amount: int) -> str:
    return f"{amount:,}"


def _submitted(s: dict[str, Any], service: Words) -> Words:
    where_ar, where_en = CHANNELS.get(plain(s["channel"]), ("", plain(s["channel"])))
    centre = s["origin_centre"]
    at_ar = f" {where_ar}" + (f" {centre}" if centre else "")
    at_en = f" {where_en}" + (f" {centre}" if centre else "")
    return (
        f"قُدّمت المعاملة {s['tracking_number']} ({service[0]}){at_ar}",
        f"Request {s['tracking_number']} filed ({service[1]}){at_en}",
    )


def _fee(s: dict[str, Any]) -> Words:
    if s["total"] == 0:
        return ("الخدمة مجانية، لا رسم عليها", "No fee: the service is free")
    return (
        f"تم تحديد الرسم: {_money(s['total'])} ل.س (رسم الجهة {_money(s['agency_fee'])}،"
        f" إضافة المحافظة {_money(s['surcharge'])})",
        f"Fee assessed: {_money(s['total'])} SYP (agency fee {_money(s['agency_fee'])},"
        f" governorate surcharge {_money(s['surcharge'])})",
    )


def _collected(s: dict[str, Any]) -> Words:
    who = plain(s["recipient"])
    centre = s["centre"]
    if who == "first_degree_relative":
        relation = plain(s.get("relation")) or ""
        return (
            f"استلم الوثيقة قريب من الدرجة الأولى ({RELATIONS.get(relation, relation)})"
            f" من المركز {centre}",
            f"Collected by a first-degree relative ({relation}) at centre {centre}",
        )
    if who == "proxy":
        return (
            f"استلم الوثيقة وكيل بموجب وكالة من المركز {centre}",
            f"Collected by a proxy at centre {centre}",
        )
    return (
        f"استلم المواطن الوثيقة من المركز {centre}",
        f"Collected by the citizen at centre {centre}",
    )


def _pickup_changed(s: dict[str, Any]) -> Words:
    ar, en = f"تم تغيير مركز الاستلام إلى {s['centre']}", f"Pickup centre changed to {s['centre']}"
    if s["transfer"]:
        return f"{ar}، وستُنقل الوثيقة إليه", f"{en}; the document is transferred there"
    return ar, en


_WORDS: dict[str, Callable[[dict[str, Any]], Words]] = {
    "FeeAssessed": _fee,
    "PaymentRecorded": lambda s: (
        f"تم دفع الرسم {_money(s['amount'])} ل.س عبر {s['provider']}",
        f"Fee of {_money(s['amount'])} SYP paid through {s['provider']}",
    ),
    "SentToAgency": lambda s: ("أُرسلت المعاملة إلى الجهة المختصة", "Sent to the issuing agency"),
    "AcceptedByAgency": lambda s: (
        f"قبلت الجهة المعاملة (المرجع {s['agency_reference']})",
        f"The agency accepted the request (reference {s['agency_reference']})",
    ),
    "InformationRequested": lambda s: (
        f"تطلب الجهة معلومات إضافية: {s['what']}",
        f"The agency asks for more information: {s['what']}",
    ),
    "InformationProvided": lambda s: (
        "قُدّمت المعلومات المطلوبة وعادت المعاملة إلى الجهة",
        "Information provided; the request is back with the agency",
    ),
    "Issued": lambda s: (
        f"أصدرت الجهة الوثيقة ({s['document_reference']}) وأُرسلت إلى المركز {s['to_centre']}",
        f"The agency issued the document ({s['document_reference']});"
        f" sent to centre {s['to_centre']}",
    ),
    "Rejected": lambda s: (
        f"رفضت الجهة المعاملة: {s['reason']}",
        f"Rejected by the agency: {s['reason']}",
    ),
    "Refunded": lambda s: (
        f"أُعيد الرسم {_money(s['amount'])} ل.س",
        f"Fee of {_money(s['amount'])} SYP refunded",
    ),
    "Cancelled": lambda s: (f"أُلغيت المعاملة: {s['reason']}", f"Request cancelled: {s['reason']}"),
    "ClerkAssigned": lambda s: ("تولّى موظف متابعة المعاملة", "A clerk took charge of the request"),
    "NoteAdded": lambda s: ("أُضيفت ملاحظة إلى المعاملة", "A note was added to the request"),
    "Certified": lambda s: (
        f"خُتمت الوثيقة بالأختام الحية في المركز {s['centre']}",
        f"Stamped with the live stamps at centre {s['centre']}",
    ),
    "ReadyForPickup": lambda s: ("الوثيقة جاهزة للاستلام", "The document is ready for pickup"),
    "PickupCentreChanged": _pickup_changed,
    "Collected": _collected,
    "Dispatched": lambda s: (
        f"أُرسلت الوثيقة بالبريد (رقم التتبع {s['postal_tracking']})",
        f"Sent by post (tracking number {s['postal_tracking']})",
    ),
    "Delivered": lambda s: ("سُلّمت الوثيقة بالبريد", "Delivered by post"),
    "Expired": lambda s: (
        "انتهت صلاحية المعاملة لعدم استلام الوثيقة في موعدها",
        "Expired: the document was not collected in time",
    ),
}


def describe(name: str, state: dict[str, Any], services: Mapping[str, Words]) -> Words:
    """The event in plain words; UnhandledEvent for an event without words (a newer type)."""
    if name == "Submitted":
        code = state["service_code"]
        return _submitted(state, services.get(code, (code, code)))
    words = _WORDS.get(name)
    if words is None:
        raise UnhandledEvent(f"no words for request event {name!r}")
    return words(state)
