"""Registry import (学籍同步): turn mapped rows into candidates, upserting by ID number
inside the importing unit's subtree.

Rows are converted and checked one by one (a bad row is reported, never blocks the others),
then written per chunk with set-based statements and committed, so a retried job upserts the
same rows again instead of duplicating them, and nothing is left half-written.

A re-import never loses stored data: only the fields a row carries (a mapped column with a
non-empty cell) are written, so what the candidate or the school entered elsewhere (phone,
ethnicity, 成人高考 details...) survives the next registry sync.

A row that would change a record the policy holds frozen (signed, or approved) is rejected
with the policy's own reason (``app.candidates.policy.frozen_refusal``, the rule of check_change
applied to the values the chunk read in bulk). The write re-checks that rule and the version
read before, so a record signed or approved meanwhile is not overwritten, and it moves the
version of every record it changes, guardians included: printed forms' verification codes
bind that version.
"""
import datetime as dt
import functools

from flask_babel import lazy_gettext as _l

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from ..audit import AuditLog
from ..extensions import db
from ..jurisdiction import POINT, SCHOOL, Node, subtree_range
from ..phases.rules import PhaseClosed, check_open
from .policy import frozen_refusal
from ..refusals import Refused
from .states import APPROVED
from .. import codes
from .models import Candidate, Guardian, ImportRowError
from .registry_file import EXCEL_DIGITS_LOST, normalise_code, normalise_date, normalise_gender
from ..validators import (DERIVING_TYPES, EXAM_FIELDS, InvalidValue, check_exam_field,
                         check_id_consistency, message_text, validate_candidate_number,
                         validate_division_code, validate_document_number, validate_mobile,
                         validate_name, validate_past_date, validate_postcode)

CHUNK = 2000
#: A chunk whose write meets a concurrent change is rolled back and read again this often.
ATTEMPTS = 5
#: free-text candidate columns an import may set (their length limit is the column's).
TEXT_FIELDS = ("address", "student_number", "class_name", "graduation_school",
               "diploma_number", "medical_license", "remark")
#: candidate columns an import may set; anything else (review state, photos…) stays.
UPDATABLE = ("name", "gender", "birth_date", "ethnicity", "political_status", "phone",
             "address", "postcode", "hukou", "student_number", "candidate_number",
             "class_name", "category", "subject_track", "foreign_language",
             "graduation_school", "education_level", "occupation", "work_start",
             "candidate_feature", "enrolment_type", "study_form", "graduation_date",
             "diploma_number", "medical_license", "remark", "node_id")
_UPDATABLE = frozenset(UPDATABLE)
_EXAM_SPECIFIC = frozenset(f for fields in EXAM_FIELDS.values() for f in fields)


class RowError(Exception):
    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems  # [(field, message)]


def _cached(fn):
    # Registry columns repeat a handful of values (汉族, 男, 团员, dates…): memoise the pure
    # normalisers; errors are raised again each time (lru_cache does not store exceptions).
    return functools.lru_cache(maxsize=4096)(fn)


_gender = _cached(normalise_gender)
_date = _cached(normalise_date)
_postcode = _cached(validate_postcode)
_division = _cached(validate_division_code)
_code = _cached(normalise_code)
_CATEGORY = {kind: tuple(table) for kind, table in codes.CANDIDATE_CATEGORIES.items()}


def _needed_for_document():
    return _l("Required for this document type: its number does not carry the birth date "
              "and gender.")


def _coded(table):
    return lambda v: _code(table, v)


def _past_date(value):
    return validate_past_date(_date(value))


def _field_rules(exam_kind):
    """(field, normaliser) for the optional coded candidate fields."""
    return (
        ("ethnicity", _coded(codes.ETHNICITIES)),
        ("political_status", _coded(codes.POLITICAL_STATUS)),
        ("category", _coded(_CATEGORY.get(exam_kind, ()))),
        ("phone", validate_mobile),
        ("postcode", _postcode),
        ("hukou", _division),
        ("gender", _gender),
        ("birth_date", _date),
        ("candidate_number", validate_candidate_number),
        ("subject_track", _coded(codes.SUBJECT_TRACKS)),
        ("foreign_language", _coded(codes.FOREIGN_LANGUAGES)),
        ("education_level", _coded(codes.EDUCATION_LEVELS)),
        ("occupation", _coded(codes.OCCUPATIONS)),
        ("work_start", _past_date),
        ("candidate_feature", _coded(codes.ADULT_FEATURES)),
        ("enrolment_type", _coded(codes.ENROLMENT_TYPES)),
        ("study_form", _coded(codes.STUDY_FORMS)),
        ("graduation_date", _past_date),
    )


_RULES = {}
_TEXT_LIMITS = {f: Candidate.__table__.c[f].type.length for f in TEXT_FIELDS}


def convert_row(values, exam_kind, own_unit=None):
    """Mapped text values → (candidate columns, guardian columns or None, school code).

    Only fields with a value are in the candidate columns (an empty cell changes nothing);
    name, ID number, gender and birth date always are. Without a 学校代码 column the row
    belongs to ``own_unit`` (the code of the importing school, see own_unit_code). Raises
    RowError listing every problem of the row (field, translated message)."""
    out, problems = {}, []
    rules = _RULES.get(exam_kind) or _RULES.setdefault(exam_kind, dict(_field_rules(exam_kind)))
    # 证件类型: a file without the column holds 居民身份证 numbers.
    id_type = codes.ID_CARD
    if (values.get("id_type") or "").strip():
        try:
            id_type = _code(codes.ID_TYPES, values["id_type"].strip())
        except InvalidValue as exc:
            problems.append(("id_type", str(exc)))
    out["id_type"] = id_type
    # With an unknown document type the number has no rule to be checked against.
    checked = [("name", validate_name)] + ([] if problems else [
        ("id_number", lambda v: validate_document_number(id_type, v))])
    for key, fn in checked:
        try:
            out[key] = fn(values.get(key, ""))
        except InvalidValue as exc:
            problems.append((key, str(exc)))
    # Only the mapped columns are in ``values``: look each one up instead of walking every rule.
    for key, raw in values.items():
        fn, limit = rules.get(key), _TEXT_LIMITS.get(key)
        if fn is None and limit is None:
            continue
        value = (raw or "").strip()
        if not value:
            continue
        try:
            if key in _EXAM_SPECIFIC:
                check_exam_field(exam_kind, key)
            if fn is not None:
                out[key] = fn(value)
                continue
        except InvalidValue as exc:
            problems.append((key, str(exc)))
            continue
        if len(value) > limit:
            problems.append((key, message_text(_too_long(limit))))
        out[key] = value
    school_code = (values.get("school_code") or "").strip() if "school_code" in values \
        else own_unit or ""
    if not school_code:
        problems.append(("school_code", message_text(_missing_school())))
    if "id_number" in out and id_type not in DERIVING_TYPES:
        # A travel permit or passport number carries neither birth date nor gender.
        for key in ("gender", "birth_date"):
            if key not in out:
                problems.append((key, message_text(_needed_for_document())))
    elif "id_number" in out:
        # Derive from the already validated number instead of re-validating it per call.
        idn = out["id_number"]
        derived_birth = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
        derived_gender = "1" if int(idn[16]) % 2 else "2"
        out["gender"] = out.get("gender") or derived_gender
        out["birth_date"] = out.get("birth_date") or derived_birth
        if (out["gender"], out["birth_date"]) != (derived_gender, derived_birth):
            try:
                check_id_consistency(idn, out["birth_date"], out["gender"])
            except InvalidValue as exc:
                problems.append(("id_number", str(exc)))
    guardian = None
    if (values.get("guardian1_name") or "").strip():
        guardian = {"relation": "99", "phone": None}
        for key, fn in (("name", validate_name),
                        ("relation", lambda v: _code(codes.GUARDIAN_RELATIONS, v)),
                        ("phone", validate_mobile)):
            value = (values.get(f"guardian1_{key}") or "").strip()
            if value:
                try:
                    guardian[key] = fn(value)
                except InvalidValue as exc:
                    problems.append((f"guardian1_{key}", str(exc)))
    if problems:
        raise RowError(problems)
    return out, guardian, school_code


def _too_long(limit):
    from flask_babel import lazy_gettext as _l

    return _l("At most %(n)d characters.", n=limit)


def _missing_school():
    from flask_babel import lazy_gettext as _l

    return _l("The school code is empty.")


def _unit_messages():
    from flask_babel import lazy_gettext as _l

    return {
        "unknown": _l("No school or registration point with code %(code)s."),
        "outside": _l("The unit %(code)s is outside your jurisdiction."),
        "held": _l("This ID number is already registered for this exam by %(unit)s."),
        "raced": _l("This ID number was registered for this exam by %(unit)s while the file "
                    "was being imported; import the row again to update that record."),
        "duplicate": _l("The same ID number already appears in row %(row)d of this file."),
        "number_duplicate": _l("The same candidate number already appears in row %(row)d of "
                               "this file."),
        "number_held": _l("The candidate number %(number)s is already used for this exam by "
                          "another candidate of %(unit)s."),
    }


def _conflict_message():
    from flask_babel import lazy_gettext as _l

    return _l("Other users kept changing the same records during the import; it stopped. "
              "The rows imported so far are saved: import the file again to finish.")


class ImportConflict(Refused):
    """A chunk met concurrent changes on every attempt (409: the records kept changing)."""


class _Stale(Exception):
    """The chunk's write met a change made after it was read (lock, version, insert)."""

    def __init__(self, inserted=()):
        super().__init__()
        self.inserted = set(inserted)  # ID numbers the chunk tried to insert


def own_unit_code(node_path):
    """The code of the unit at ``node_path`` when it is a school or registration point (whose
    files need no 学校代码 column: the pupils are its own), else None."""
    unit = db.session.execute(
        select(Node.code, Node.kind).where(Node.path == node_path)).first()
    return unit.code if unit is not None and unit.kind in (SCHOOL, POINT) else None


class Importer:
    """Imports the mapped rows of one batch; counts and errors accumulate on ``batch``."""

    def __init__(self, batch, user, header_of, damaged=None):
        self.batch, self.user, self.header_of = batch, user, header_of
        # {row: [field]}: numbers Excel cut to 15 digits (registry_file.excel_damaged).
        self.damaged = damaged or {}
        self.exam = batch.exam
        self.msgs = _unit_messages()
        units = db.session.execute(
            select(Node.code, Node.id, Node.kind).where(subtree_range(Node.path, batch.node_path))
        ).all()
        self.units = {code: nid for code, nid, kind in units if kind in (SCHOOL, POINT)}
        self.subtree_ids = {nid for _code, nid, _kind in units}
        self.own_unit = own_unit_code(batch.node_path)
        self.seen = {}
        self.seen_numbers = {}
        self._windows = {}

    def run(self, numbered_rows):
        """Import the rows chunk by chunk; the batch's progress moves with each chunk."""
        rows = list(numbered_rows)
        self.batch.total = len(rows)
        # Committed now: a chunk that meets a concurrent change rolls back and starts again.
        db.session.commit()
        for start in range(0, len(rows), CHUNK):
            self.import_chunk(rows[start:start + CHUNK])
            # Committed at once: a pending UPDATE of the batch would hold SQLite's write lock
            # through the next chunk's reads.
            self.batch.advance(min(start + CHUNK, len(rows)), len(rows))
            db.session.commit()

    def import_chunk(self, rows):
        """Read, check and write one chunk in one transaction.

        When the write finds that a record changed after it was read (signed, edited, or an
        ID number inserted by someone else), the chunk is rolled back and done again from a
        fresh read; rows that were inserted meanwhile are then rejected, not overwritten."""
        raced = set()
        for _attempt in range(ATTEMPTS):
            try:
                self._chunk(rows, raced)
                db.session.commit()
                return
            except _Stale as exc:
                db.session.rollback()
                raced |= set(self._existing(sorted(exc.inserted)))
        raise ImportConflict(_conflict_message())

    def _reject(self, errors, row, field, reason):
        errors.append({"batch_id": self.batch.id, "row": row,
                       "column": self.header_of(field), "reason": str(reason)[:500]})

    def _convert(self, rows, errors):
        """The rows that convert and name a unit of the subtree, each ID number (and 考生号)
        once in the file: [(row number, candidate columns, guardian)]; errors for the rest."""
        good = []
        for number, values in rows:
            if number in self.damaged:
                # Refused before any check: a cut ID number would otherwise be stored under
                # a stranger's number, or reported as a typing error.
                for field in self.damaged[number]:
                    self._reject(errors, number, field, message_text(EXCEL_DIGITS_LOST))
                continue
            try:
                cand, guardian, school = convert_row(values, self.exam.kind, self.own_unit)
            except RowError as exc:
                for field, reason in exc.problems:
                    self._reject(errors, number, field, reason)
                continue
            node_id = self.units.get(school)
            if node_id is None:
                key = "outside" if self._unit_exists(school) else "unknown"
                self._reject(errors, number, "school_code",
                             message_text(self.msgs[key]) % {"code": school})
                continue
            first = self.seen.setdefault(cand["id_number"], number)
            if first != number:
                self._reject(errors, number, "id_number",
                             message_text(self.msgs["duplicate"]) % {"row": first})
                continue
            if cand.get("candidate_number"):
                first = self.seen_numbers.setdefault(cand["candidate_number"], number)
                if first != number:
                    self._reject(errors, number, "candidate_number",
                                 message_text(self.msgs["number_duplicate"]) % {"row": first})
                    continue
            cand["node_id"] = node_id
            good.append((number, cand, guardian))
        return good

    def _chunk(self, rows, raced):
        errors = []
        good = self._convert(rows, errors)
        existing = self._existing([c["id_number"] for _n, c, _g in good])
        numbers = self._number_holders([c["candidate_number"] for _n, c, _g in good
                                        if c.get("candidate_number")])
        inserts, updates, audits, new_guardians = [], [], [], []
        for number, cand, guardian in good:
            old = existing.get(cand["id_number"])
            if old is not None and old["node_id"] not in self.subtree_ids:
                self._reject(errors, number, "id_number",
                             message_text(self.msgs["held"]) % {"unit": old["unit"]})
                continue
            if cand["id_number"] in raced and old is not None:
                self._reject(errors, number, "id_number",
                             message_text(self.msgs["raced"]) % {"unit": old["unit"]})
                continue
            holder = numbers.get(cand.get("candidate_number"))
            if holder is not None and holder[0] != cand["id_number"]:
                self._reject(errors, number, "candidate_number",
                             message_text(self.msgs["number_held"])
                             % {"number": cand["candidate_number"], "unit": holder[1]})
                continue
            # The window of the category and unit the record will have (an empty cell keeps
            # the old) and of those it has: a row must not move a record out of a closed one.
            category = cand.get("category") or (old["category"] if old else None)
            hukou = cand.get("hukou") or (old["hukou"] if old else None)  # phases' 户籍 rule
            closed = self._closed(category, cand["node_id"], hukou) or (
                old is not None and self._closed(old["category"], old["node_id"], hukou))
            if closed:
                self._reject(errors, number, "id_number", closed)
                continue
            if old is None:
                inserts.append((cand, guardian))
                continue
            changes = {k: [_plain(old[k]), _plain(cand[k])] for k in cand
                       if k in _UPDATABLE and old[k] != cand[k]}
            adds_guardian = bool(guardian) and not old["has_guardian"]
            if not changes and not adds_guardian:
                continue  # unchanged: no write, so nothing for the workflow to refuse
            refusal = frozen_refusal(old["name"], old["state"], old["locked"])
            if refusal is not None:
                self._reject(errors, number, "id_number", str(refusal))
                continue
            if adds_guardian:
                new_guardians.append({**guardian, "candidate_id": old["id"]})
                changes["guardians"] = [None, guardian["name"]]
            # Also for a guardian alone: the UPDATE moves the version (the session listener
            # of versioning.py does not see Core inserts) under the same checks.
            # Only the changed fields: the version check below guarantees the rest is as read.
            updates.append({**{k: cand[k] for k in changes if k in _UPDATABLE},
                            "b_id": old["id"], "b_version": old["version"]})
            audits.append(self._audit("update", old["id"], changes, cand["node_id"]))
        self._write(inserts, updates, audits, new_guardians, errors)

    def _closed(self, category, node_id, hukou=None):
        """The staff-entry window for this category, unit and 户籍 (cached: few distinct)."""
        key = (category, node_id, hukou)
        if key not in self._windows:
            try:
                check_open("staff_entry", self.exam.id, category, db.session.get(Node, node_id),
                           hukou=hukou)
                self._windows[key] = None
            except PhaseClosed as exc:
                self._windows[key] = str(exc)
        return self._windows[key]

    def _unit_exists(self, code):
        return db.session.execute(select(Node.id).where(Node.code == code)).first() is not None

    def _existing(self, id_numbers):
        if not id_numbers:
            return {}
        cols = [getattr(Candidate, k) for k in UPDATABLE]
        rows = db.session.execute(
            select(Candidate.id, Candidate.id_number, Node.name, Candidate.locked,
                   Candidate.version, Candidate.state, *cols,
                   select(Guardian.id).where(Guardian.candidate_id == Candidate.id)
                   .limit(1).scalar_subquery())
            .join(Node, Node.id == Candidate.node_id)
            .where(Candidate.exam_id == self.exam.id, Candidate.id_number.in_(id_numbers))
        ).all()
        out = {}
        for row in rows:
            record = dict(zip(UPDATABLE, row[6:6 + len(UPDATABLE)]))
            record.update(id=row[0], unit=row[2], locked=row[3], version=row[4], state=row[5],
                          has_guardian=row[-1] is not None)
            out[row[1]] = record
        return out

    def _number_holders(self, numbers):
        """{考生号: (ID number, unit name)} of the stored candidates holding these numbers."""
        if not numbers:
            return {}
        return {number: (idn, unit) for number, idn, unit in db.session.execute(
            select(Candidate.candidate_number, Candidate.id_number, Node.name)
            .join(Node, Node.id == Candidate.node_id)
            .where(Candidate.exam_id == self.exam.id,
                   Candidate.candidate_number.in_(numbers)))}

    def _audit(self, action, row_id, changes, node_id):
        return {"at": dt.datetime.now(), "user_id": self.user.id, "username": self.user.username,
                "action": action, "table_name": Candidate.__tablename__, "row_id": row_id,
                "node_path": self._paths().get(node_id, self.batch.node_path), "changes": changes,
                "reason": f"import #{self.batch.id}"}

    def _paths(self):
        if not hasattr(self, "_path_cache"):
            self._path_cache = dict(db.session.execute(
                select(Node.id, Node.path).where(Node.id.in_(self.subtree_ids))).all())
        return self._path_cache

    def _write(self, inserts, updates, audits, new_guardians, errors):
        # Core statements on the session's connection: the executemany fast path of the driver
        # (the ORM bulk path and RETURNING cost several times more per row).
        conn = db.session.connection()
        now = dt.datetime.now()
        if inserts:
            # One executemany needs the same keys in every row: the fields the chunk carries.
            fields = _carried(cand for cand, _g in inserts)
            rows = [{**{k: cand.get(k) for k in fields}, "exam_id": self.exam.id,
                     "created_on": now, "changed_on": now} for cand, _g in inserts]
            try:
                conn.execute(insert(Candidate.__table__), rows)
            except IntegrityError:
                # Someone stored one of these ID numbers (or 考生号) after the chunk read them.
                raise _Stale(c["id_number"] for c, _g in inserts) from None
            ids = dict(conn.execute(
                select(Candidate.id_number, Candidate.id).where(
                    Candidate.exam_id == self.exam.id,
                    Candidate.id_number.in_([c["id_number"] for c, _g in inserts]))).all())
            created = []
            for cand, guardian in inserts:
                cid = ids[cand["id_number"]]
                created.append(cid)
                if guardian:
                    new_guardians.append({**guardian, "candidate_id": cid})
            # One audit row per chunk names every created record: the created values are the
            # rows themselves and the kept upload file (updates get before/after per row).
            audits.append(self._audit("import", None, {"created": created},
                                      inserts[0][0]["node_id"] if len(
                                          {c["node_id"] for c, _g in inserts}) == 1 else None))
        if updates:
            self._update(conn, updates, now)
        for model, rows in ((Guardian, new_guardians), (AuditLog, audits),
                            (ImportRowError, errors)):
            if rows:
                conn.execute(insert(model.__table__), rows)
        self.batch.created_count += len(inserts)
        self.batch.updated_count += len(updates)
        self.batch.rejected_count += len({e["row"] for e in errors})

    @staticmethod
    def _update(conn, updates, now):
        """Set the changed fields of each row and move the version, only where the record is
        still at the version read and editable (the workflow's rule again, for a change that
        slipped past the version); any row that no longer matches makes the chunk stale.

        One executemany per set of changed fields (a term's re-sync changes the same few
        columns in most rows), so no row sends or rewrites values that did not change."""
        table = Candidate.__table__
        stmt = update(table).where(
            table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"),
            table.c.locked.is_(False),
            # Not ``notin_(APPROVED)``: an expanding IN list cannot go through executemany
            # (SQLAlchemy refuses it, and every re-sync of two or more records failed). One
            # bound value per state is an ordinary parameter, the same in every set.
            table.c.state.notin_([literal(state) for state in APPROVED]),
        ).values(changed_on=now, version=table.c.version + 1)
        groups = {}
        for row in updates:
            groups.setdefault(tuple(sorted(k for k in row if k in _UPDATABLE)), []).append(row)
        for rows in groups.values():
            try:
                # The keys of the parameter sets beyond b_* become the SET clause.
                result = conn.execute(stmt, rows)
            except IntegrityError:  # a 考生号 taken after the chunk read it
                raise _Stale() from None
            if result.rowcount != len(rows):
                raise _Stale()


def _carried(rows):
    """The keys any of ``rows`` has (a row without one gets None: keep / column default)."""
    keys = set()
    for row in rows:
        keys.update(row)
    return sorted(keys)


def _plain(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
