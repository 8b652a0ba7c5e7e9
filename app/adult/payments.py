"""Payment results (网上缴费) from the payment platform's file: county or city staff import the
platform's export (CSV in UTF-8 or GBK, or XLSX; read by ``candidates.registry_file.read_table``)
and the rows become payments. An online provider (``gateway.py``) records its payments through
:func:`record_payment`, the same checks and insert as one row of the file.

A row names the candidate by 考生号 or ID number (or both, which must then agree), the amount,
the time paid and the platform's transaction id. Only candidates of the importer's subtree
whose registration the point has confirmed on site (the point's first review approved it, or
a level above) are recorded; every other row is reported with its reason and nothing of it is
stored. Importing the same file again records nothing twice (the transaction id is unique and a
candidate pays once).
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..candidates.models import Candidate
from ..candidates.registry_file import (EXCEL_DIGITS_LOST, RegistryFileError, _header_key,
                                        excel_damaged)
from ..extensions import db
from ..jurisdiction import scope_clause
from ..candidates.states import APPROVED
from ..candidates.policy import is_approved
from .logistics import parse_amount, parse_paid_at, parse_transaction
from .models import AdultPayment

#: States in which the point has confirmed the registration on site (现场确认审核, the first
#: review of a 成人高考 record), for queries; :func:`confirmed_on_site` for one record.
CONFIRMED_ON_SITE = APPROVED
CHUNK = 1000
UNCHANGED = object()  # a row whose payment is already recorded as it stands
#: column → recognised headers (Chinese, the platform's codes, English).
COLUMNS = {
    "candidate_number": ("考生号", "KSH", "candidate_number"),
    "id_number": ("身份证号", "身份证件号", "证件号码", "身份证号码", "ZJHM", "SFZH", "id_number"),
    "amount": ("金额", "缴费金额", "支付金额", "交易金额", "JE", "JFJE", "amount"),
    "paid_at": ("缴费时间", "支付时间", "交易时间", "JFSJ", "paid_at"),
    "transaction_id": ("交易流水号", "流水号", "订单号", "交易号", "JYLSH", "LSH",
                       "transaction_id"),
}
COLUMN_LABELS = {
    "candidate_number": _l("Candidate number"), "id_number": _l("ID number"),
    "amount": _l("Amount"), "paid_at": _l("Time paid"), "transaction_id": _l("Transaction id"),
}
_HEADERS = {_header_key(name): column for column, names in COLUMNS.items() for name in names}


@dataclass
class PaymentReport:
    recorded: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)  # [(row number, number shown, reason)]

    @property
    def total(self):
        return self.recorded + self.unchanged + len(self.rejected)


def column_mapping(headers):
    """{column: index} of the recognised headers; RegistryFileError naming what is missing."""
    mapping = {}
    for index, header in enumerate(headers):
        column = _HEADERS.get(_header_key(header))
        if column is not None and column not in mapping:
            mapping[column] = index
    missing = [c for c in ("amount", "paid_at", "transaction_id") if c not in mapping]
    if "candidate_number" not in mapping and "id_number" not in mapping:
        missing.insert(0, "candidate_number")
    if missing:
        raise RegistryFileError("columns", _l(
            "The file lacks the columns %(columns)s. The first row must name them, e.g. 考生号 "
            "(or 身份证号), 金额, 缴费时间, 交易流水号.",
            columns="、".join(str(COLUMN_LABELS[c]) for c in missing)))
    return mapping


def import_payments(table, exam, node, user_id, source):
    """Record the payments of ``table`` (a registry_file.Table) for ``exam`` inside ``node``'s
    subtree; commits per chunk of rows and returns a :class:`PaymentReport`."""
    mapping = column_mapping(table.headers)
    report = PaymentReport()
    rows, seen_tx, seen_key = [], {}, {}
    damaged = excel_damaged(table, mapping, ("candidate_number", "id_number", "transaction_id"))
    for number, cells in table.numbered():
        row = _parse_row(number, cells, mapping, damaged)
        if isinstance(row, tuple):
            report.rejected.append(row)
            continue
        first = seen_tx.get(row["transaction_id"]) or seen_key.get(row["key"])
        if first is not None:
            report.rejected.append((number, row["shown"], _l(
                "Row %(row)d of this file already holds this transaction or candidate.",
                row=first)))
            continue
        seen_tx[row["transaction_id"]] = seen_key[row["key"]] = number
        rows.append(row)
    for start in range(0, len(rows), CHUNK):
        _record_chunk(rows[start:start + CHUNK], exam, node, user_id, source, report)
    report.rejected.sort(key=lambda r: r[0])
    return report


def _parse_row(number, cells, mapping, damaged):
    def cell(column):
        index = mapping.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    cand_number = cell("candidate_number").upper()
    id_number = cell("id_number").upper()
    shown = cand_number or id_number
    if number in damaged:  # {row: [column]} of numbers Excel cut to 15 digits
        return (number, shown, EXCEL_DIGITS_LOST)
    if not shown:
        return (number, "", _l("The row names no candidate number or ID number."))
    amount, paid_at = parse_amount(cell("amount")), parse_paid_at(cell("paid_at"))
    transaction = parse_transaction(cell("transaction_id"))
    if amount is None:
        return (number, shown, _l("“%(value)s” is not an amount in yuan (at most two "
                                  "decimals).", value=cell("amount")))
    if paid_at is None:
        return (number, shown, _l("“%(value)s” is not a payment time; use "
                                  "2026-09-05 14:03:27.", value=cell("paid_at")))
    if transaction is None:
        return (number, shown, _l("“%(value)s” is not a transaction id (4 to 64 letters, "
                                  "digits, _ or -).", value=cell("transaction_id")))
    return {"row": number, "shown": shown, "number": cand_number or None,
            "id_number": id_number or None, "key": (cand_number, id_number),
            "amount": amount, "paid_at": paid_at, "transaction_id": transaction}


def _record_chunk(rows, exam, node, user_id, source, report):
    numbers = [r["number"] for r in rows if r["number"]]
    id_numbers = [r["id_number"] for r in rows if r["id_number"]]
    found = db.session.execute(
        select(Candidate.id, Candidate.candidate_number, Candidate.id_number, Candidate.state)
        .where(Candidate.exam_id == exam.id, scope_clause(Candidate, node),
               or_(Candidate.candidate_number.in_(numbers), Candidate.id_number.in_(id_numbers)))
    ).all()
    by_number = {c.candidate_number: c for c in found if c.candidate_number}
    by_id_number = {c.id_number: c for c in found}
    ids = [c.id for c in found]
    paid = {p.candidate_id: p for p in db.session.execute(
        select(AdultPayment).where(AdultPayment.candidate_id.in_(ids))).scalars()}
    holders = dict(db.session.execute(
        select(AdultPayment.transaction_id, AdultPayment.candidate_id).where(
            AdultPayment.transaction_id.in_([r["transaction_id"] for r in rows]))).all())
    new = {}  # candidate id → (row, payment)
    for row in rows:
        cand = _match(row, by_number, by_id_number)
        reason = _refusal(row, cand, paid, holders)
        if reason is None and cand.id in new:
            # Named once by 考生号 and once by ID number in the same file.
            reason = _l("Row %(row)d of this file already holds this transaction or "
                        "candidate.", row=new[cand.id][0]["row"])
        if reason is UNCHANGED:
            report.unchanged += 1
        elif reason is not None:
            report.rejected.append((row["row"], row["shown"], reason))
        else:
            new[cand.id] = (row, AdultPayment(
                candidate_id=cand.id, amount=row["amount"], paid_at=row["paid_at"],
                transaction_id=row["transaction_id"], source=source, imported_by=user_id))
    db.session.add_all(payment for _row, payment in new.values())
    try:
        db.session.commit()
    except IntegrityError:
        # Another import recorded one of these payments after the chunk read them.
        db.session.rollback()
        report.rejected += [(row["row"], row["shown"], _l(
            "Recorded by another import at the same time: import the file again to see the "
            "result.")) for row, _payment in new.values()]
        return
    report.recorded += len(new)


def record_payment(candidate, amount, paid_at, transaction_id, source, user_id=None):
    """One payment reported online by the payment gateway (``adult/gateway.py``): recorded as a
    one-row file would be, with the same checks (confirmed on site, paid once, transaction
    unique) and the same insert; commits. Returns the :class:`PaymentReport` (``recorded`` 1,
    or ``unchanged`` 1 for a transaction already recorded for this candidate, or the reason in
    ``rejected``)."""
    row = {"row": 1, "shown": candidate.candidate_number or candidate.id_number,
           "number": candidate.candidate_number or None, "id_number": candidate.id_number,
           "key": (candidate.candidate_number or "", candidate.id_number), "amount": amount,
           "paid_at": paid_at, "transaction_id": transaction_id}
    report = PaymentReport()
    _record_chunk([row], candidate.exam, candidate.node, user_id, source, report)
    return report


def _match(row, by_number, by_id_number):
    """The candidate a row names, None when unknown, outside the subtree, or when its 考生号
    and ID number name different candidates."""
    by_num = by_number.get(row["number"]) if row["number"] else None
    by_idn = by_id_number.get(row["id_number"]) if row["id_number"] else None
    if row["number"] and row["id_number"]:
        return by_num if by_num is not None and by_num is by_idn else None
    return by_num or by_idn


def _refusal(row, cand, paid, holders):
    """None when the row is recorded, UNCHANGED when it already is, else the reason."""
    if cand is None:
        # Unknown and another county's candidate read the same: existence is not revealed.
        return _l("No candidate of this exam with this candidate number or ID number is in "
                  "your jurisdiction.")
    holder = holders.get(row["transaction_id"])
    if holder is not None:
        if holder == cand.id:
            return UNCHANGED
        return _l("Transaction %(tx)s is already recorded for another candidate.",
                  tx=row["transaction_id"])
    if cand.id in paid:
        return _l("This candidate's payment is already recorded (transaction %(tx)s); a "
                  "second payment is not recorded.", tx=paid[cand.id].transaction_id)
    if not confirmed_on_site(cand.state):
        return _l("The registration has not been confirmed on site at the confirmation "
                  "point, so the payment does not count; it was not recorded.")
    return None


def confirmed_on_site(state):
    """Whether a record in ``state`` has been confirmed on site: only then does its payment
    count, and does the point check why it is unpaid."""
    return is_approved(state)


def payment_counts(exam_id, node):
    """(confirmed on site, paid, unpaid) among ``exam_id``'s candidates of ``node``'s subtree."""
    confirmed = select(Candidate.id).where(Candidate.exam_id == exam_id,
                                           Candidate.state.in_(CONFIRMED_ON_SITE),
                                           scope_clause(Candidate, node))
    total = db.session.execute(select(func.count()).select_from(confirmed.subquery())).scalar()
    paid = db.session.execute(select(func.count(AdultPayment.id)).where(
        AdultPayment.candidate_id.in_(confirmed))).scalar()
    return total, paid, total - paid
