"""The payment gateway behind one interface (网上缴费, seed 004 §四.4).

``provider()`` returns the configured :class:`Provider` (setting ``PAYMENT_PROVIDER``):

- ``"file"`` (default): no online payment here. Candidates pay on the payment platform; the
  office imports the platform's result file (``payments.import_payments``).
- ``"simulated"``: a stand-in provider for the demo and the tests. Its page
  ``/me/adult/pay/sim`` shows the order and "pays" after a confirm click; the provider then
  sends the notify this module checks like a real one's.

Whatever the provider, a payment is recorded by ``payments.record_payment``: the same checks
and insert as a row of the result file (confirmed on site, one payment per candidate, unique
transaction id). Orders and notifies are signed with the application's secret, so a notify
naming another candidate, another amount or a made-up order is refused, and a notify sent
again records nothing twice (its transaction id is already recorded).
"""
import datetime as dt
import secrets
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..phases.rules import check_open_for, now_local
from ..refusals import BadInput, Refused
from ..candidates.models import Candidate
from .payment_state import NOT_CONFIRMED, PAID, VOID, payment_state

ORDER_SALT, NOTIFY_SALT = "kaosheng-payment-order", "kaosheng-payment-notify"
#: an order must be paid within this many seconds of being started.
ORDER_MAX_AGE = 2 * 3600


class PaymentRefused(Refused):
    """A payment cannot be started or recorded; the message says why (translated)."""

    def __init__(self, message, status=409):
        super().__init__(message, status=status)


def fee():
    value = current_app.config.get("ADULT_EXAM_FEE") or "160.00"  # default in config.py
    return Decimal(str(value)).quantize(
        Decimal("0.01"))


def check_payable(candidate, now=None):
    """Raise unless ``candidate`` may pay now: confirmed on site, not paid, not void, inside
    the ``payment`` window (its hours and extensions too)."""
    state, payment = payment_state(candidate, now)
    if state == PAID:
        raise PaymentRefused(_l("Your fee is already paid (transaction %(tx)s); it is not "
                                "paid twice.", tx=payment.transaction_id))
    if state == NOT_CONFIRMED:
        raise PaymentRefused(_l("Pay after your confirmation point has confirmed your "
                                "registration on site."))
    if state == VOID:
        raise PaymentRefused(_l("The payment period has ended: your registration is void "
                                "because the fee was not paid in time."))
    check_open_for("payment", candidate, now)


class Provider:
    """The interface of a payment provider."""

    key = ""
    #: whether candidates pay online through this system (a pay button on the status page).
    online = False

    def start_payment(self, candidate):
        """Start paying ``candidate``'s fee; return the URL to send the candidate to."""
        raise PaymentRefused(_l("Online payment is not available here: pay on the payment "
                                "platform; the examination office records the payments from "
                                "the platform's result file."), status=404)

    def handle_notify(self, data):
        """Record the payment a provider's notify ``data`` reports; returns the
        ``payments.PaymentReport``. Raises BadInput for a notify that is not genuine."""
        raise BadInput(_l("This payment provider sends no notifications."))


class FileProvider(Provider):
    """Payments come only from the reconciliation file import."""

    key = "file"


class SimulatedProvider(Provider):
    """A provider for the demo and the tests: the order is a signed token carrying the
    candidate, the amount and a nonce; paying makes a signed notify with the transaction id
    ``SIM`` + nonce."""

    key = "simulated"
    online = True

    def _serializer(self, salt):
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)

    def start_payment(self, candidate):
        from flask import url_for

        check_payable(candidate)
        order = self._serializer(ORDER_SALT).dumps(
            {"c": candidate.id, "a": str(fee()), "n": secrets.token_hex(8)})
        return url_for("selfservice.adult_pay_sim", order=order)

    def read_order(self, order, candidate=None):
        """The order's {c, a, n}; BadInput unless genuine, recent and (when given) of
        ``candidate``."""
        try:
            data = self._serializer(ORDER_SALT).loads(order or "", max_age=ORDER_MAX_AGE)
        except BadSignature:
            raise BadInput(_l("This payment order is not valid (altered or expired); start "
                              "the payment again."))
        if candidate is not None and data.get("c") != candidate.id:
            raise BadInput(_l("This payment order is not valid (altered or expired); start "
                              "the payment again."))
        return data

    def pay(self, order, candidate):
        """The provider's side of a confirm click: the payment succeeds and the provider
        notifies; returns the signed notify (what the provider would post back)."""
        data = self.read_order(order, candidate)
        return self._serializer(NOTIFY_SALT).dumps({
            "c": data["c"], "a": data["a"], "tx": f"SIM{data['n'].upper()}",
            "at": now_local().strftime("%Y-%m-%d %H:%M:%S")})

    def handle_notify(self, data):
        from .payments import record_payment

        try:
            notice = self._serializer(NOTIFY_SALT).loads(data or "", max_age=ORDER_MAX_AGE)
        except BadSignature:
            raise BadInput(_l("The payment notification is not genuine; nothing was "
                              "recorded."))
        candidate = db.session.get(Candidate, notice["c"])
        if candidate is None:
            raise BadInput(_l("The payment notification is not genuine; nothing was "
                              "recorded."))
        paid_at = dt.datetime.strptime(notice["at"], "%Y-%m-%d %H:%M:%S")
        # Paid inside the window (a notify may arrive a little later).
        check_open_for("payment", candidate, paid_at)
        return record_payment(candidate, Decimal(notice["a"]), paid_at, notice["tx"],
                              source=str(_l("Online payment (simulated provider)")))


PROVIDERS = {p.key: p for p in (FileProvider, SimulatedProvider)}


def provider():
    """The configured provider (``PAYMENT_PROVIDER``, default ``"file"``)."""
    key = current_app.config.get("PAYMENT_PROVIDER") or "file"  # default in config.py
    if key not in PROVIDERS:
        raise RuntimeError(f"PAYMENT_PROVIDER={key!r}: choose one of {sorted(PROVIDERS)}")
    return PROVIDERS[key]()
