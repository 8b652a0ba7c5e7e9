"""Candidate authentication: hashing, activation codes, per-account throttling, sessions.

Nothing here touches Flask-Login or ``g.user``: the candidate's session lives under its own
keys, so FAB never sees a candidate as a user and staff pages stay closed to candidates.
"""
import datetime as dt
import hashlib
import secrets
import time
import unicodedata
from types import SimpleNamespace

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..candidates.models import Candidate
from ..candidates.validators import ValidationError, validate_id_number
from ..extensions import db
from ..passwords import password_problems
from .models import CandidateAccount

#: No 0/O, 1/I/L: codes are read off paper and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
RECOVERY_QUESTIONS = (
    _l("My primary school's name"),
    _l("My mother's given name"),
    _l("My father's given name"),
    _l("The name of my best childhood friend"),
    _l("My favourite teacher's name"),
)
SESSION_KEYS = ("ss_cid", "ss_aid", "ss_stamp", "ss_seen")


def hash_method():
    # The staff cost (scrypt n=2**14, ~60 ms): logins are the self-service bottleneck, see
    # README "Candidate self-service" for the measured logins/s.
    return current_app.config.get("FAB_PASSWORD_HASH_METHOD") or "scrypt:16384:8:1"


def make_hash(secret):
    return generate_password_hash(secret, method=hash_method())


_DUMMY = {}


def check_hash(stored, secret):
    """Constant work whether or not there is a stored hash (no account enumeration by time)."""
    if not stored:
        method = hash_method()
        if method not in _DUMMY:
            _DUMMY[method] = generate_password_hash("dummy-password", method=method)
        check_password_hash(_DUMMY[method], secret or "")
        return False
    return check_password_hash(stored, secret or "")


def normalise_code(code):
    return "".join(unicodedata.normalize("NFKC", code or "").upper().split()).replace("-", "")


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_answer(answer):
    return "".join(unicodedata.normalize("NFKC", answer or "").lower().split())


def now():
    return dt.datetime.now()


def code_days():
    return int(current_app.config.get("SELF_SERVICE_CODE_DAYS", 14))


def issue_code(candidate):
    """Create or reset the candidate's account code; return ``(account, plain code)``.

    Only the hash is stored; a previous code stops working. The password (if any) stays valid
    until the candidate uses the new code.
    """
    account = db.session.execute(select(CandidateAccount).where(
        CandidateAccount.candidate_id == candidate.id)).scalar_one_or_none()
    if account is None:
        account = CandidateAccount(candidate=candidate)
        db.session.add(account)
    code = new_code()
    account.activation_code_hash = make_hash(code)
    account.activation_expires = now() + dt.timedelta(days=code_days())
    return account, code


def personal_values(candidate):
    """What a candidate's password may not contain: ID number (and its parts), birth date in
    the usual spellings, name."""
    values = [candidate.id_number, candidate.id_number[-6:], candidate.id_number[-8:],
              candidate.id_number[:6] if candidate.id_number else "", candidate.name]
    b = candidate.birth_date
    if b:
        values += [b.strftime(f) for f in ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d",
                                          "%d%m%Y", "%m%d%Y", "%y%m%d", "%m%d%y", "%d%m%y")]
        values += [f"{b.year}年{b.month}月{b.day}日", f"{b.year}{b.month}{b.day}"]
    return [v for v in values if v]


def check_new_password(candidate, password, confirm):
    problems = list(password_problems(password, personal_values(candidate)))
    if password != confirm:
        problems.append(_l("The two passwords do not match."))
    return problems


def accounts_for(id_number):
    """Accounts of every candidate record holding this ID number (one per exam)."""
    try:
        id_number = validate_id_number(id_number)
    except ValidationError:
        return []
    return db.session.execute(
        select(CandidateAccount).join(Candidate, Candidate.id == CandidateAccount.candidate_id)
        .where(Candidate.id_number == id_number).order_by(CandidateAccount.id.desc())
    ).scalars().all()


def is_locked(account, at=None):
    return account.locked_until is not None and account.locked_until > (at or now())


def record_failure(account):
    cfg = current_app.config
    account.failed_logins = (account.failed_logins or 0) + 1
    if account.failed_logins >= int(cfg.get("SELF_SERVICE_MAX_FAILURES", 5)):
        account.locked_until = now() + dt.timedelta(
            minutes=int(cfg.get("SELF_SERVICE_LOCK_MINUTES", 15)))
        account.failed_logins = 0


def lock_message(account):
    return _l("Too many failed attempts: this account is locked until %(time)s. "
              "Try again later, or ask your school for a new activation code.",
              time=account.locked_until.strftime("%H:%M"))


# --- session -------------------------------------------------------------------------------


def _stamp_of(password_hash):
    """Changes with the password: other sessions end when the password changes."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _stamp(account):
    return _stamp_of(account.password_hash)


_PAGE_LOAD = (joinedload(CandidateAccount.candidate).joinedload(Candidate.exam),
              joinedload(CandidateAccount.candidate).joinedload(Candidate.node))


def start_session(account):
    # A fresh session: drops any staff login and defeats session fixation.
    session.clear()
    session.permanent = True
    session["ss_cid"] = account.candidate_id
    session["ss_aid"] = account.id
    session["ss_stamp"] = _stamp(account)
    session["ss_seen"] = int(time.time())


def end_session():
    for key in SESSION_KEYS:
        session.pop(key, None)


def idle_seconds():
    return 60 * int(current_app.config.get("SESSION_MINUTES", 30))


def _session_ids():
    aid, cid, seen = session.get("ss_aid"), session.get("ss_cid"), session.get("ss_seen")
    if not aid or not cid or not seen:
        return None
    if int(time.time()) - int(seen) > idle_seconds():
        end_session()
        return None
    return aid, cid


def _session_valid(cid, candidate_id, password_hash):
    if candidate_id != cid or password_hash is None \
            or session.get("ss_stamp") != _stamp_of(password_hash):
        end_session()
        return False
    t = int(time.time())
    if t - int(session["ss_seen"]) > 30:  # refresh the idle clock, not on every hit
        session["ss_seen"] = t
    return True


def session_account():
    """The logged-in account or None (expired, password changed, or not logged in)."""
    ids = _session_ids()
    if ids is None:
        return None
    # One query for what every page shows: the account, its candidate, exam and unit.
    account = db.session.get(CandidateAccount, ids[0], options=_PAGE_LOAD)
    if account is None or not _session_valid(ids[1], account.candidate_id, account.password_hash):
        return None
    return account


class CandidateSummary:
    """What the status page shows, read in one Core query (no ORM objects): the page every
    candidate reloads at the deadline. Has what check_editable, check_open_for and the
    template use (``exam`` and ``node`` are small namespaces)."""

    def __init__(self, row):
        self.id, self.name, self.state = row.id, row.name, row.state
        self.reject_reason, self.locked, self.version = row.reject_reason, row.locked, row.version
        self.phone, self.exam_id, self.category = row.phone, row.exam_id, row.category
        self.node_id = row.node_id
        self.exam = SimpleNamespace(id=row.exam_id, name=row.exam_name, kind=row.exam_kind)
        self.node = SimpleNamespace(id=row.node_id, name=row.node_name, path=row.node_path)
        self.guardian_count, self.has_ticket = row.guardians, bool(row.tickets)

    @property
    def state_label(self):
        from ..review.workflow import STATE_LABELS

        return STATE_LABELS.get(self.state, self.state)


def session_summary():
    """Like :func:`session_account` for the status page: ``(candidate_id, CandidateSummary)``."""
    ids = _session_ids()
    if ids is None:
        return None
    global _SUMMARY
    if _SUMMARY is None:
        _SUMMARY = _summary_statement()
    row = db.session.execute(_SUMMARY, {"aid": ids[0]}).one_or_none()
    if row is None or not _session_valid(ids[1], row.account_cid, row.password_hash):
        return None
    return CandidateSummary(row)


_SUMMARY = None


def _summary_statement():
    """Built once per process (building a select costs more than running it on SQLite)."""
    from ..candidates.models import Guardian
    from ..exams.models import Exam
    from ..forms.models import AdmissionTicket
    from ..jurisdiction import Node

    guardians = select(func.count(Guardian.id)).where(
        Guardian.candidate_id == Candidate.id).scalar_subquery()
    tickets = select(func.count(AdmissionTicket.id)).where(
        AdmissionTicket.candidate_id == Candidate.id).scalar_subquery()
    return (
        select(CandidateAccount.candidate_id.label("account_cid"), CandidateAccount.password_hash,
               Candidate.id, Candidate.name, Candidate.state, Candidate.reject_reason,
               Candidate.locked, Candidate.version, Candidate.phone, Candidate.exam_id,
               Candidate.category, Candidate.node_id, Exam.name.label("exam_name"),
               Exam.kind.label("exam_kind"), Node.name.label("node_name"),
               Node.path.label("node_path"), guardians.label("guardians"),
               tickets.label("tickets"))
        .join(Candidate, Candidate.id == CandidateAccount.candidate_id)
        .join(Exam, Exam.id == Candidate.exam_id).join(Node, Node.id == Candidate.node_id)
        .where(CandidateAccount.id == bindparam("aid")))
