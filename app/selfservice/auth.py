"""Candidate authentication: hashing, activation codes, per-account throttling, sessions.

Nothing here touches Flask-Login or ``g.user``: the candidate's session lives under its own
keys, so FAB never sees a candidate as a user and staff pages stay closed to candidates.
"""
import datetime as dt
import hashlib
import re
import secrets
import time
import unicodedata
from types import SimpleNamespace

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import event_metrics
from ..candidates.models import Candidate, Guardian, Preference
from ..candidates.states import state_label
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import Node
from ..passwords import (count_failure, is_locked as _locked_at, name_variants, password_problems,
                         session_expired)
from ..printing.models import AdmissionTicket
from ..codes import ID_CARD
from ..validators import InvalidValue, validate_id_number
from .models import CandidateAccount

#: No 0/O, 1/I/L: codes are read off paper and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
#: 考生号 as exam offices assign them (14 digits in most provinces; letters tolerated).
CANDIDATE_NUMBER_RE = re.compile(r"[0-9A-Z]{6,20}")
#: User names chosen on the public sign-up page (stored lower-case): 4–20 characters, a letter
#: first, then letters, digits or "_".
USERNAME_RE = re.compile(r"[a-z][a-z0-9_]{3,19}")
RECOVERY_QUESTIONS = (
    _l("My primary school's name"),
    _l("My mother's given name"),
    _l("My father's given name"),
    _l("The name of my best childhood friend"),
    _l("My favourite teacher's name"),
)
SESSION_KEYS = ("ss_cid", "ss_aid", "ss_stamp", "ss_seen", "ss_start")


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


def issue_code(candidate, account=None):
    """Create or reset the candidate's account code; return ``(account, plain code)``.

    Only the hash is stored; a previous code stops working. A reset is what staff do when an
    account is compromised or the password forgotten, so it ends the old password, the lock
    and every session at once (sessions are bound to the password hash): until the candidate
    activates with the new code nobody can log in to the account.
    """
    if account is None:
        account = db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == candidate.id)).scalar_one_or_none()
    if account is None:
        account = CandidateAccount(candidate=candidate)
        db.session.add(account)
    code = new_code()
    account.activation_code_hash = make_hash(code)
    account.activation_expires = now() + dt.timedelta(days=code_days())
    account.password_hash = None
    account.failed_logins, account.locked_until = 0, None
    return account, code


def personal_values(candidate):
    """What a candidate's password may not contain: ID number (and its parts), 考生号, birth
    date in the usual spellings, name (with its pinyin)."""
    values = [candidate.id_number, candidate.id_number[-6:], candidate.id_number[-8:],
              candidate.id_number[:6] if candidate.id_number else "",
              getattr(candidate, "candidate_number", None), *name_variants(candidate.name)]
    b = candidate.birth_date
    if b:
        values += [b.strftime(f) for f in ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d",
                                          "%d%m%Y", "%m%d%Y", "%y%m%d", "%m%d%y", "%d%m%y")]
        values += [f"{b.year}年{b.month}月{b.day}日", f"{b.year}{b.month}{b.day}"]
    return [v for v in values if v]


def check_new_password(candidate, password, confirm, extra=()):
    """Every rule ``password`` breaks (``extra``: more values of the person it may not
    contain, the sign-up's user name and mobile number)."""
    problems = list(password_problems(password, [*personal_values(candidate), *extra]))
    if password != confirm:
        problems.append(_l("The two passwords do not match."))
    return problems


def normalise_username(value):
    """A typed user name as stored: NFKC (full-width letters typed on a phone), no spaces,
    lower-case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).lower()


def accounts_for(identifier):
    """Accounts of every candidate record holding this ID number (one per exam), or, when
    ``identifier`` is not a valid ID number, this 考生号 (candidate number), the number of
    another document (travel permit, passport: codes.ID_TYPES) or the user name chosen on the
    sign-up page (any letter case)."""
    username = normalise_username(identifier)
    identifier = "".join(unicodedata.normalize("NFKC", identifier or "").split()).upper()
    try:
        clause = Candidate.id_number == validate_id_number(identifier)
    except InvalidValue:
        named = _accounts_named(username) if USERNAME_RE.fullmatch(username) else []
        if not CANDIDATE_NUMBER_RE.fullmatch(identifier):
            return named
        # 考生号 is unique per exam: naming the exams lets the (exam_id, candidate_number)
        # unique index answer instead of a scan.
        clause = (Candidate.exam_id.in_(select(Exam.id)) & (
            Candidate.candidate_number == identifier)) | (
            (Candidate.id_number == identifier) & (Candidate.id_type != ID_CARD))
        numbered = _accounts_where(clause)
        return numbered + [a for a in named if a not in numbered]
    return _accounts_where(clause)


def _accounts_where(clause):
    return db.session.execute(
        select(CandidateAccount).join(Candidate, Candidate.id == CandidateAccount.candidate_id)
        .where(clause).order_by(CandidateAccount.id.desc())
    ).scalars().all()


def _accounts_named(username):
    """The account with this user name (its own unique index, not an OR beside the numbers)."""
    return db.session.execute(select(CandidateAccount).where(
        CandidateAccount.username == username)).scalars().all()


def is_locked(account, at=None):
    return _locked_at(account.locked_until, at or now())


def record_failure(account):
    cfg = current_app.config
    account.failed_logins, locked_until = count_failure(
        account.failed_logins, now(), int(cfg.get("SELF_SERVICE_MAX_FAILURES", 5)),
        int(cfg.get("SELF_SERVICE_LOCK_MINUTES", 15)))
    if locked_until is not None:
        account.locked_until = locked_until
        event_metrics.count_lockout(event_metrics.CANDIDATE)


def lock_message(account):
    return _l("Too many failed attempts: this account is locked until %(time)s. "
              "Try again later, or ask your school for a new activation code.",
              time=account.locked_until.strftime("%H:%M"))


# --- session -------------------------------------------------------------------------------


def _stamp_of(password_hash, last_login):
    """The server-side check of a session cookie: bound to the password hash and to the
    account's latest log-in or log-out (``last_login`` serves as the session epoch, no extra
    column). A password change, a staff reset, a new log-in elsewhere (one session per
    account) or a log-out ends every other session of the account, cookie copies included."""
    epoch = last_login.isoformat() if last_login else ""
    return hashlib.sha256(f"{password_hash or ''}|{epoch}".encode()).hexdigest()[:16]


def _stamp(account):
    return _stamp_of(account.password_hash, account.last_login)


_PAGE_LOAD = (joinedload(CandidateAccount.candidate).joinedload(Candidate.exam),
              joinedload(CandidateAccount.candidate).joinedload(Candidate.node))


def start_session(account):
    # A fresh session: drops any staff login and defeats session fixation.
    session.clear()
    session.permanent = True
    session["ss_cid"] = account.candidate_id
    session["ss_aid"] = account.id
    session["ss_stamp"] = _stamp(account)
    session["ss_seen"] = session["ss_start"] = int(time.time())


def end_session(account=None):
    """Log out; with ``account``, also end its sessions everywhere (moves the epoch)."""
    if account is not None:
        account.last_login = now()
        db.session.commit()
    for key in SESSION_KEYS:
        session.pop(key, None)


def idle_seconds():
    return 60 * int(current_app.config.get("SESSION_MINUTES", 30))


def max_seconds():
    return 3600 * float(current_app.config.get("SELF_SERVICE_MAX_HOURS", 8))


def _session_ids():
    aid, cid, seen = session.get("ss_aid"), session.get("ss_cid"), session.get("ss_seen")
    start = session.get("ss_start")
    if not aid or not cid or not seen or not start:
        return None
    t = int(time.time())
    # Idle timeout, and an absolute lifetime however active the session is.
    if session_expired(t - int(seen), t - int(start), idle_seconds(), max_seconds()):
        end_session()
        return None
    return aid, cid


def _session_valid(cid, candidate_id, password_hash, last_login):
    if candidate_id != cid or password_hash is None \
            or session.get("ss_stamp") != _stamp_of(password_hash, last_login):
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
    if account is None or not _session_valid(ids[1], account.candidate_id, account.password_hash,
                                             account.last_login):
        return None
    return account


class CandidateSummary:
    """What the status page shows, read in one Core query (no ORM objects): the page every
    candidate reloads at the deadline. Has what app.candidates.policy, check_open_for and the
    template use (``exam`` and ``node`` are small namespaces)."""

    def __init__(self, row):
        self.id, self.name, self.state = row.id, row.name, row.state
        self.reject_reason, self.locked, self.version = row.reject_reason, row.locked, row.version
        self.phone, self.exam_id, self.category = row.phone, row.exam_id, row.category
        self.node_id = row.node_id
        self.exam = SimpleNamespace(id=row.exam_id, name=row.exam_name, kind=row.exam_kind)
        self.node = SimpleNamespace(id=row.node_id, name=row.node_name, path=row.node_path,
                                    kind=row.node_kind)
        self.guardian_count, self.has_ticket = row.guardians, bool(row.tickets)
        self.preference_count = row.preferences

    @property
    def state_label(self):
        return state_label(self.state, self.exam.kind)


def session_summary():
    """Like :func:`session_account` for the status page: ``(candidate_id, CandidateSummary)``."""
    ids = _session_ids()
    if ids is None:
        return None
    global _SUMMARY
    if _SUMMARY is None:
        _SUMMARY = _summary_statement()
    row = db.session.execute(_SUMMARY, {"aid": ids[0]}).one_or_none()
    if row is None or not _session_valid(ids[1], row.account_cid, row.password_hash,
                                         row.last_login):
        return None
    return CandidateSummary(row)


_SUMMARY = None


def _summary_statement():
    """Built once per process (building a select costs more than running it on SQLite)."""
    guardians = select(func.count(Guardian.id)).where(
        Guardian.candidate_id == Candidate.id).scalar_subquery()
    tickets = select(func.count(AdmissionTicket.id)).where(
        AdmissionTicket.candidate_id == Candidate.id).scalar_subquery()
    preferences = select(func.count(Preference.id)).where(
        Preference.candidate_id == Candidate.id).scalar_subquery()
    return (
        select(CandidateAccount.candidate_id.label("account_cid"), CandidateAccount.password_hash,
               CandidateAccount.last_login,
               Candidate.id, Candidate.name, Candidate.state, Candidate.reject_reason,
               Candidate.locked, Candidate.version, Candidate.phone, Candidate.exam_id,
               Candidate.category, Candidate.node_id, Exam.name.label("exam_name"),
               Exam.kind.label("exam_kind"), Node.name.label("node_name"),
               Node.path.label("node_path"), Node.kind.label("node_kind"),
               guardians.label("guardians"), tickets.label("tickets"),
               preferences.label("preferences"))
        .join(Candidate, Candidate.id == CandidateAccount.candidate_id)
        .join(Exam, Exam.id == Candidate.exam_id).join(Node, Node.id == Candidate.node_id)
        .where(CandidateAccount.id == bindparam("aid")))


def decoy_question(identifier):
    """The recovery question shown for a number without an account: one of the offered
    questions, chosen by a keyed hash so the same number always gets the same one."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hashlib.blake2b(normalise_code(identifier).encode(), key=key[:64],
                             digest_size=4).digest()
    return str(RECOVERY_QUESTIONS[int.from_bytes(digest, "big") % len(RECOVERY_QUESTIONS)])
