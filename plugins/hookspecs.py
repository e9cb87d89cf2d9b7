"""The plugin API of khidma: every hook a plugin may implement, documented here.

Implement hooks with ``@khidma.plugins.hookimpl`` on a module or an object and ship the plugin
with an entry point in the ``khidma`` group; khidma's own connectors (``khidma.plugins.builtin``)
are registered through these same hooks. Hooks that reach another system return an *awaitable*
(write them as ``async def`` helpers and return the coroutine); hooks marked *first result*
are asked plugin by plugin until one answers, so return ``None`` for an agency, provider or
channel that is not yours. Raise :class:`~khidma.plugins.types.ConnectorUnavailable` when the
other side is down or slow (khidma retries with backoff and a circuit breaker) and
:class:`~khidma.plugins.types.ConnectorRefused` when it refused what was sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from . import hookspec
from .types import (
    AgencyAnswer,
    AgencySubmission,
    Callback,
    ChannelSpec,
    DeliveryReceipt,
    Health,
    Message,
    Parcel,
    PaymentOrder,
    PaymentPage,
    PaymentStatus,
    PluginContext,
    PostalReceipt,
    RefundOrder,
    RefundReceipt,
    ServiceOffer,
)

# -- start-up and the catalog -----------------------------------------------------------------


@hookspec
def khidma_startup(context: PluginContext) -> None:
    """Called once when the plugin manager is made, before any other hook.

    :param context: where khidma is called back (``callback_base``), the secret callbacks are
        signed with, the timeout to use for every outside call, and ``url_for(name)``, the base
        URL configured for a system (``KHIDMA_CONNECTOR_URLS``, else the sandbox).

    Keep what you need of it; do no I/O here.
    """


@hookspec
def khidma_services() -> Sequence[ServiceOffer]:
    """Return the services your agency offers, as :class:`ServiceOffer`.

    Each offer gives the service's code (unique across all plugins), its names in Arabic and
    English, its form schema (the format of ``khidma.core.domain.forms``), the agency's fee,
    ``direct`` access or ``reply_later``, the expected turnaround in working days and who may
    collect the document. khidma refuses to start, naming the plugin, when two plugins offer
    the same code or an offer is invalid.
    """


# -- agencies --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def khidma_submit_request(
    agency: str, submission: AgencySubmission
) -> Awaitable[AgencyAnswer] | None:
    """Send a paid (or free) request to ``agency``; return None if it is not your agency.

    :param submission: the tracking number, service, validated form, the callback URL for a
        later answer, and an ``idempotency_key`` that is the same every time khidma retries
        this request — pass it on so the agency files it once.

    The awaitable returns an :class:`AgencyAnswer`: ``issued`` now (direct access),
    ``rejected`` now with a reason, ``info_required``, or ``accepted`` for a later decision
    with the agency's reference (the answer then comes by callback or by polling). When the
    submission carries an ``agency_reference`` it re-sends information the agency asked for.
    """


@hookspec(firstresult=True)
def khidma_poll_request(
    agency: str, tracking_number: str, agency_reference: str
) -> Awaitable[AgencyAnswer] | None:
    """Ask ``agency`` where an accepted request stands; return None if it is not yours.

    khidma polls reply-later requests on a schedule, so an answer is not lost when a callback
    is. The awaitable returns an :class:`AgencyAnswer`, ``pending`` while it is undecided.
    """


@hookspec(firstresult=True)
def khidma_agency_callback(agency: str, callback: Callback) -> AgencyAnswer | None:
    """Verify and read a callback that ``agency`` POSTed; return None if it is not yours.

    Check the callback's signature first and raise :class:`ForgedCallback` if it does not
    verify (khidma answers 403, logs it and changes nothing). Then map the agency's own
    terms to an :class:`AgencyAnswer` with its ``tracking_number``: issued, rejected with the
    reason, or more information needed. Callbacks may come twice or out of order; khidma
    applies each answer once and ignores one that no longer fits the request.
    """


# -- payments --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def khidma_create_payment(provider: str, order: PaymentOrder) -> Awaitable[PaymentPage] | None:
    """Open a payment of ``order.amount`` SYP with ``provider``; None if it is not yours.

    The awaitable returns a :class:`PaymentPage`: the provider's reference and the page where
    the citizen pays, choosing the bank there (or ``order.bank`` preselected). The provider
    later POSTs a signed confirmation to ``order.callback_url``. Use ``order.idempotency_key``
    so a retry opens no second payment.
    """


@hookspec(firstresult=True)
def khidma_payment_status(provider: str, payment_ref: str) -> Awaitable[PaymentStatus] | None:
    """Ask ``provider`` how a payment stands; None if it is not yours.

    khidma re-checks pending payments on a schedule, so its record never drifts from the
    provider's even when a confirmation callback is lost.
    """


@hookspec(firstresult=True)
def khidma_payment_callback(provider: str, callback: Callback) -> PaymentStatus | None:
    """Verify and read ``provider``'s payment confirmation; None if it is not yours.

    Raise :class:`ForgedCallback` when the signature does not verify; otherwise return the
    :class:`PaymentStatus` it confirms.
    """


@hookspec(firstresult=True)
def khidma_refund_payment(provider: str, order: RefundOrder) -> Awaitable[RefundReceipt] | None:
    """Refund a payment (a rejection or cancellation after payment); None if not yours.

    Use ``order.idempotency_key`` so a retried refund pays back once. The awaitable returns the
    provider's :class:`RefundReceipt`.
    """


# -- the post and notifications --------------------------------------------------------------


@hookspec(firstresult=True)
def khidma_dispatch_parcel(parcel: Parcel) -> Awaitable[PostalReceipt] | None:
    """Hand a certified document to the post, to a post office or the home address.

    The awaitable returns the :class:`PostalReceipt` with the postal tracking number. Return
    None if you are not a postal service.
    """


@hookspec
def khidma_notification_channels() -> Sequence[ChannelSpec]:
    """Return the notification channels you provide (``sms``, ``email``…) with priorities.

    khidma tries channels from the lowest priority number up: when one fails (or cannot reach
    this citizen) the next is tried, and each attempt is recorded as an event.
    """


@hookspec(firstresult=True)
def khidma_send_notification(channel: str, message: Message) -> Awaitable[DeliveryReceipt] | None:
    """Send ``message`` (already in the citizen's language) on ``channel``; None if not yours.

    The awaitable returns the channel's :class:`DeliveryReceipt`. Raise
    :class:`ConnectorRefused` if the citizen has no address for this channel (no phone, no
    email) and :class:`ConnectorUnavailable` if the channel is down.
    """


# -- health ----------------------------------------------------------------------------------


@hookspec
def khidma_health() -> Awaitable[Sequence[Health]] | None:
    """Report how the systems your plugin talks to are doing, for ``khidma plugins``.

    Return an awaitable of :class:`Health` entries (one per agency or service you reach), or
    None if you have nothing to report. Do not raise: report ``ok=False`` with the reason.
    """
