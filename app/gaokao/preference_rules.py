"""Rules of 高考 志愿 and the dynamic password card (口令卡), seed 002 part 5.

* A batch's window is a phase (activity :data:`ACTIVITY`, category = the batch's code), asked
  through ``phases.rules.check_open`` like every window, so extensions (延时) apply. When it
  closes the batch's preferences freeze: no save, and a change still waiting for its code
  never takes effect.
* A candidate binds one card (serial + the code at a position the server picks). Every save
  of a batch is only *pending* until the code at a position the server picks (stored with
  the pending change, so a reload asks the same one) is typed; each code works once; wrong
  codes are counted and lock the card after :data:`MAX_FAILURES` (the county unlocks it).
* Codes are stored as HMAC-SHA256 keyed with ``PASSWORD_CARD_KEY`` (default: SECRET_KEY) over
  serial, position and code: a copy of the database alone does not give them away (a
  six-digit code under a plain hash would be found by trying a million values), and keying
  costs microseconds, so 1,000 cards (40,000 codes) are hashed in well under a second.

The 高考 registration lock does not apply here: the registration data are signed months
before 志愿 are filled (as for the physical results); the candidate's own identity, the
batch's window and the card are the guards.
"""
import datetime as dt
import hashlib
import hmac
import re
import secrets

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, distinct, func, insert, select, update

from ..candidates.models import Candidate
from ..codes import GAOKAO
from ..extensions import db
from ..phases.rules import PhaseClosed, check_open
from ..refusals import BadInput, NotAllowed, Refused
from . import archive
from .preference_models import (BOUND, CANCELLED, ISSUED, GaokaoPreference, PasswordCard,
                                PasswordCardCode, PendingPreferenceChange, PreferenceBatch)

ACTIVITY = "gaokao_preference"
ROWS, COLUMNS = "ABCDE", 8
POSITIONS = tuple(f"{r}{c}" for r in ROWS for c in range(1, COLUMNS + 1))
CODE_DIGITS = 6
MAX_FAILURES = 5
MAX_MAJORS = 6
MAX_SCHOOLS = 20
BATCH_CODE = re.compile(r"^[A-Z][0-9A-Z]?$")
SCHOOL_CODE = re.compile(r"^[0-9A-Z]{1,10}$")
MAJOR_CODE = re.compile(r"^[0-9A-Z]{1,6}$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
                           "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class CodeRefused(Refused):
    """The card's code was wrong, used already, or the card cannot be used (400/403)."""

    status = 400


# --- windows ----------------------------------------------------------------------------------


def window_refusal(batch, candidate, now=None):
    """The PhaseClosed refusal of the batch's window for ``candidate`` (its unit's extensions
    count), or None while open."""
    try:
        check_open(ACTIVITY, batch.exam_id, batch.code, candidate.node, now)
    except PhaseClosed as exc:
        return exc
    return None


def batches_of(exam_id):
    """The exam's batches in filling order (a 征集 round after its batch's position)."""
    return db.session.execute(select(PreferenceBatch).where(
        PreferenceBatch.exam_id == exam_id).order_by(PreferenceBatch.seq,
                                                     PreferenceBatch.id)).scalars().all()


def check_gaokao(candidate):
    if candidate is None or candidate.exam is None or candidate.exam.kind != GAOKAO:
        raise NotAllowed(_l("Preferences with a password card are filled by 高考 candidates "
                            "only."))


# --- cards ------------------------------------------------------------------------------------


def _key():
    key = current_app.config.get("PASSWORD_CARD_KEY") or current_app.config["SECRET_KEY"]
    return str(key).encode()


def code_hash(serial, position, code, key=None):
    return hmac.new(key or _key(), f"{serial}:{position}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def normalise(text):
    return re.sub(r"\s+", "", (text or "").translate(_FULLWIDTH)).upper()


def new_codes():
    """{position: code} of one card."""
    return {p: f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}" for p in POSITIONS}


def serial_for(run_id, index):
    return f"{run_id:06d}{index:06d}"


def make_cards(run, first, count, node_path, candidate_id=None):
    """Insert cards ``first`` … ``first + count - 1`` of ``run`` with their hashed codes (bulk,
    not one ORM object per code) and return ``[(serial, {position: code})]`` for printing:
    the plain codes exist only in the returned list and on paper."""
    key = _key()
    cards = [(serial_for(run.id, first + i), new_codes()) for i in range(count)]
    rows = db.session.execute(insert(PasswordCard).returning(
        PasswordCard.id, PasswordCard.serial), [
        dict(exam_id=run.exam_id, run_id=run.id, serial=serial, node_path=node_path,
             candidate_id=candidate_id, status=ISSUED, failures=0, locked=False,
             created_on=dt.datetime.now()) for serial, _ in cards]).all()
    ids = {serial: pk for pk, serial in rows}
    db.session.execute(insert(PasswordCardCode), [
        dict(card_id=ids[serial], position=pos, code_hash=code_hash(serial, pos, code, key))
        for serial, codes in cards for pos, code in codes.items()])
    return cards


def active_card(candidate):
    """The card bound to ``candidate`` (None before binding or after cancellation)."""
    return db.session.execute(select(PasswordCard).where(
        PasswordCard.candidate_id == candidate.id, PasswordCard.status == BOUND)).scalars().first()


def reserved_card(candidate):
    """A reissued card waiting for ``candidate`` to bind it."""
    return db.session.execute(select(PasswordCard).where(
        PasswordCard.candidate_id == candidate.id, PasswordCard.status == ISSUED)).scalars().first()


def _unused(card):
    return set(db.session.execute(select(PasswordCardCode.position).where(
        PasswordCardCode.card_id == card.id, PasswordCardCode.used_at.is_(None))).scalars())


def choose_position(card=None, exclude=()):
    """A random unused position of ``card`` (any position before binding) not held by
    another pending change; refused when the card has none left."""
    free = (_unused(card) if card is not None else set(POSITIONS)) - set(exclude)
    if not free:
        raise CodeRefused(_l("Your card has no unused codes left. Ask your county office for "
                             "a new card."), status=409)
    return secrets.choice(sorted(free))


def check_usable(card):
    if card.status == CANCELLED:
        raise CodeRefused(_l("This card was cancelled. Use the new card your county office "
                             "issued."), status=403)
    if card.locked:
        raise CodeRefused(_l("This card is locked after %(n)d wrong codes. Your county office "
                             "unlocks it.", n=MAX_FAILURES), status=403)


def use_code(card, position, typed, now=None):
    """Check ``typed`` against the code at ``position`` and mark it used, once: a wrong or
    used code is counted (the card locks at MAX_FAILURES) and refused. The caller commits
    (also after a refusal: the count must stay)."""
    check_usable(card)
    typed = normalise(typed)
    row = db.session.execute(select(PasswordCardCode).where(
        PasswordCardCode.card_id == card.id,
        PasswordCardCode.position == position)).scalar_one_or_none()
    if row is None:
        raise CodeRefused(_l("That position is not on your card."))
    if row.used_at is None and typed and hmac.compare_digest(
            row.code_hash, code_hash(card.serial, position, typed)):
        # Marked used only if nobody marked it meanwhile (two tabs confirming at once).
        done = db.session.execute(update(PasswordCardCode).where(
            PasswordCardCode.id == row.id, PasswordCardCode.used_at.is_(None)).values(
            used_at=now or dt.datetime.now())).rowcount
        if done == 1:
            card.failures = 0
            return
    reused = typed and _was_used(card, typed)
    card.failures = (card.failures or 0) + 1
    if card.failures >= MAX_FAILURES:
        card.locked = True
    left = max(0, MAX_FAILURES - card.failures)
    if reused:
        raise CodeRefused(_l("That code was used already: each code of the card works once. "
                             "Scratch the position %(pos)s and type its code (%(left)d tries "
                             "left).", pos=position, left=left))
    raise CodeRefused(_l("The code at position %(pos)s is wrong (%(left)d tries left before "
                         "the card locks).", pos=position, left=left))


def _was_used(card, typed):
    used = db.session.execute(select(PasswordCardCode.position, PasswordCardCode.code_hash).where(
        PasswordCardCode.card_id == card.id, PasswordCardCode.used_at.is_not(None))).all()
    return any(hmac.compare_digest(h, code_hash(card.serial, pos, typed)) for pos, h in used)


def bind(candidate, serial, position, typed):
    """Bind the card ``serial`` to ``candidate`` with the code at ``position``."""
    check_gaokao(candidate)
    if active_card(candidate) is not None:
        raise CodeRefused(_l("A card is bound to you already."), status=409)
    # Locked until the commit (PostgreSQL): two people binding one card wait for each other.
    card = db.session.execute(select(PasswordCard).where(
        PasswordCard.serial == normalise(serial)).with_for_update()).scalar_one_or_none()
    # Another candidate's card, or one of a unit the candidate is not in, reads as unknown.
    if card is None or card.exam_id != candidate.exam_id or (
            card.candidate_id is not None and card.candidate_id != candidate.id) or \
            not candidate.node.path.startswith(card.node_path):
        raise CodeRefused(_l("No card with this serial number can be bound to you. Check the "
                             "number printed on the card."))
    use_code(card, position, typed)
    card.status, card.candidate_id, card.bound_at = BOUND, candidate.id, dt.datetime.now()
    return card


def cancel_and_reissue(card, reason, run):
    """The county cancels a lost card and issues a new one reserved for the same candidate,
    who must bind it; preferences already in effect stay. Returns ``(new card, codes)``."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("A reason is required."))
    if card.status == CANCELLED:
        raise Refused(_l("This card is cancelled already."))
    if card.candidate_id is None:
        raise Refused(_l("This card is not bound to a candidate: keep it for another "
                         "candidate instead of reissuing it."))
    card.status, card.cancelled_at, card.cancel_reason = CANCELLED, dt.datetime.now(), reason[:200]
    db.session.execute(delete(PendingPreferenceChange).where(
        PendingPreferenceChange.card_id == card.id))
    [(serial, codes)] = make_cards(run, 1, 1, card.node_path, card.candidate_id)
    new = db.session.execute(select(PasswordCard).where(
        PasswordCard.serial == serial)).scalar_one()
    new.replaces_id = card.id
    return new, codes


def unlock(card):
    if not card.locked:
        raise Refused(_l("This card is not locked."))
    card.locked, card.failures = False, 0


# --- preferences ------------------------------------------------------------------------------


def clean_rows(batch, form):
    """The rows of the batch's form: ``([{seq, school_code, school_name, majors, adjust}],
    {field: message})``. Choices are filled from the first on, without gaps; an institution
    appears once; a major once per institution."""
    rows, errors, seen, gap = [], {}, set(), None
    for seq in range(1, batch.schools + 1):
        code = normalise(form.get(f"school_code_{seq}"))
        name = (form.get(f"school_name_{seq}") or "").strip()
        majors = []
        for m in range(1, batch.majors + 1):
            mcode = normalise(form.get(f"major_code_{seq}_{m}"))
            mname = (form.get(f"major_name_{seq}_{m}") or "").strip()
            if not mcode and not mname:
                continue
            key = f"major_code_{seq}_{m}"
            if not MAJOR_CODE.match(mcode):
                errors[key] = _l("A major code is 1–6 letters or digits.")
            elif not mname or len(mname) > 60:
                errors[f"major_name_{seq}_{m}"] = _l("Type the major's name (up to 60 "
                                                     "characters).")
            elif mcode in [c for c, _ in majors]:
                errors[key] = _l("This major is chosen twice for the same institution.")
            majors.append([mcode, mname[:60]])
        adjust = form.get(f"adjust_{seq}") in ("1", "on", "y")
        if not code and not name:
            if majors:
                errors[f"school_code_{seq}"] = _l("Majors need an institution.")
            gap = gap or seq
            continue
        if gap is not None:
            errors[f"school_code_{seq}"] = _l("Fill the choices in order: choice %(n)d is "
                                              "empty.", n=gap)
        if not SCHOOL_CODE.match(code):
            errors[f"school_code_{seq}"] = _l("An institution code is 1–10 letters or digits.")
        elif code in seen:
            errors[f"school_code_{seq}"] = _l("This institution is chosen twice in the batch.")
        if not name or len(name) > 100:
            errors[f"school_name_{seq}"] = _l("Type the institution's name (up to 100 "
                                              "characters).")
        seen.add(code)
        rows.append({"seq": seq, "school_code": code, "school_name": name[:100],
                     "majors": majors, "adjust": adjust})
    return rows, errors


def effective_rows(candidate_id, batch_id):
    return db.session.execute(select(GaokaoPreference).where(
        GaokaoPreference.candidate_id == candidate_id,
        GaokaoPreference.batch_id == batch_id).order_by(GaokaoPreference.seq)).scalars().all()


def as_row(pref):
    return {"seq": pref.seq, "school_code": pref.school_code, "school_name": pref.school_name,
            "majors": [list(m) for m in pref.majors or []], "adjust": pref.adjust}


def pending_of(candidate_id, batch_id):
    return db.session.execute(select(PendingPreferenceChange).where(
        PendingPreferenceChange.candidate_id == candidate_id,
        PendingPreferenceChange.batch_id == batch_id)).scalar_one_or_none()


def save_pending(candidate, batch, rows, now=None):
    """Keep ``rows`` as the batch's pending change (nothing takes effect yet) and return it;
    the position to confirm with is chosen once per pending change and card."""
    check_gaokao(candidate)
    refusal = window_refusal(batch, candidate, now)
    if refusal is not None:
        raise refusal
    card = active_card(candidate)
    if card is None:
        raise Refused(_l("Bind your password card first."), status=409)
    check_usable(card)
    pending = pending_of(candidate.id, batch.id)
    if pending is None or pending.card_id != card.id or pending.position not in _unused(card):
        held = db.session.execute(select(PendingPreferenceChange.position).where(
            PendingPreferenceChange.card_id == card.id,
            PendingPreferenceChange.batch_id != batch.id)).scalars().all()
        position = choose_position(card, held)
        if pending is None:
            pending = PendingPreferenceChange(candidate_id=candidate.id, batch_id=batch.id,
                                              card_id=card.id, position=position, rows=rows)
            db.session.add(pending)
        pending.card_id, pending.position = card.id, position
    pending.rows, pending.created_on = rows, dt.datetime.now()
    return pending


def confirm_pending(candidate, batch, typed, now=None):
    """Apply the pending change of ``batch`` once the card's code checks out: the effective
    rows are replaced (audited row by row). The caller commits, also after a refusal."""
    refusal = window_refusal(batch, candidate, now)
    if refusal is not None:
        raise refusal
    pending = pending_of(candidate.id, batch.id)
    if pending is None:
        raise Refused(_l("There is no saved change waiting for a code."), status=404)
    card = pending.card
    if card.status != BOUND or card.candidate_id != candidate.id:
        raise CodeRefused(_l("The card this change was saved with is no longer yours; save "
                             "the change again."), status=409)
    use_code(card, pending.position, typed, now)
    for row in effective_rows(candidate.id, batch.id):
        db.session.delete(row)
    db.session.flush()
    stamp = dt.datetime.now()
    for row in pending.rows:
        db.session.add(GaokaoPreference(
            candidate_id=candidate.id, batch_id=batch.id, seq=row["seq"],
            school_code=row["school_code"], school_name=row["school_name"],
            majors=row["majors"], adjust=bool(row["adjust"]), confirmed_at=stamp))
    db.session.delete(pending)
    return len(pending.rows)


# --- lists ------------------------------------------------------------------------------------


def _filled(batch):
    return select(GaokaoPreference.id).where(GaokaoPreference.candidate_id == Candidate.id,
                                             GaokaoPreference.batch_id == batch.id).exists()


def missing_select(batch):
    """Candidates of the batch's exam without effective preferences in it (谨防漏报); the
    caller scopes it."""
    return select(Candidate).where(Candidate.exam_id == batch.exam_id, ~_filled(batch))


def archive_states(candidate_ids):
    """The archive part: CONFIRMED once every required batch has effective (code-confirmed)
    preferences, ENTERED when some have, MISSING otherwise; one query."""
    required = select(func.count(PreferenceBatch.id)).where(
        PreferenceBatch.exam_id == Candidate.exam_id,
        PreferenceBatch.required.is_(True)).correlate(Candidate).scalar_subquery()
    filled = func.count(distinct(PreferenceBatch.id))
    stmt = (select(Candidate.id, required, filled)
            .outerjoin(GaokaoPreference, GaokaoPreference.candidate_id == Candidate.id)
            .outerjoin(PreferenceBatch, and_(PreferenceBatch.id == GaokaoPreference.batch_id,
                                             PreferenceBatch.required.is_(True)))
            .where(Candidate.id.in_(list(candidate_ids)))
            .group_by(Candidate.id, Candidate.exam_id))
    out = {}
    for cid, need, have in db.session.execute(stmt):
        if need and have >= need:
            out[cid] = archive.CONFIRMED
        elif have:
            out[cid] = archive.ENTERED
        else:
            out[cid] = archive.MISSING
    return out


def _archive_link(candidate):
    return url_for("GaokaoPreferenceView.candidate", candidate_id=candidate.id)


def _archive_sql(cid):
    """``archive_states`` as a SQL expression: the required batches of the candidate's exam
    (``need``) and the required batches holding effective preferences of the candidate
    (``have``), counted by correlated subqueries."""
    cand = Candidate.__table__.alias("pref_cand")
    need = (select(func.count(PreferenceBatch.id))
            .where(PreferenceBatch.exam_id == cand.c.exam_id, cand.c.id == cid,
                   PreferenceBatch.required.is_(True)).scalar_subquery())
    have = (select(func.count(distinct(PreferenceBatch.id))).select_from(PreferenceBatch)
            .join(GaokaoPreference, GaokaoPreference.batch_id == PreferenceBatch.id)
            .where(GaokaoPreference.candidate_id == cid, PreferenceBatch.required.is_(True))
            .scalar_subquery())
    return archive.state_case((and_(need > 0, have >= need), archive.CONFIRMED),
                              (have > 0, archive.ENTERED))


archive.part("preferences", archive_states, link=_archive_link, state_sql=_archive_sql)
