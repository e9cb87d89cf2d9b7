"""What the citizen is told, in Arabic and English."""

from __future__ import annotations

from khidma.core.domain.dispatch import NotificationKind

K = NotificationKind
TEXTS: dict[NotificationKind, dict[str, str]] = {
    K.PAYMENT_DUE: {
        "ar": "معاملتك {number}: يرجى دفع {amount} ل.س عبر الرابط {link}",
        "en": "Your request {number}: please pay {amount} SYP at {link}",
    },
    K.READY_FOR_PICKUP: {
        "ar": "معاملتك {number} جاهزة للاستلام في مركز خدمة المواطن {centre}",
        "en": "Your request {number} is ready for pickup at citizen service centre {centre}",
    },
    K.REJECTED: {
        "ar": "نأسف، رُفضت معاملتك {number}: {reason}",
        "en": "We are sorry: your request {number} was rejected: {reason}",
    },
    K.INFORMATION_REQUIRED: {
        "ar": "معاملتك {number} تحتاج إلى معلومات إضافية: {what}",
        "en": "Your request {number} needs more information: {what}",
    },
    K.DISPATCHED: {
        "ar": "أُرسلت وثيقة معاملتك {number} بالبريد، رقم التتبع {postal}",
        "en": "The document of your request {number} was posted, tracking number {postal}",
    },
    K.DELAYED: {
        "ar": "الجهة المعنية بمعاملتك {number} غير متاحة الآن؛ الموعد الجديد {due}",
        "en": "The agency handling your request {number} is unavailable; new date {due}",
    },
}


def render(kind: NotificationKind, language: str, **values: object) -> str:
    """The message of ``kind`` in ``language`` (Arabic if the language is not known)."""
    texts = TEXTS[kind]
    return texts.get(language, texts["ar"]).format(**{k: v or "-" for k, v in values.items()})
