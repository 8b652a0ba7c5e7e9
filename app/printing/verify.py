"""Checking a paper form against the records (核验): is the verification code printed on it
valid, and was it printed from the record as it stands now?

A code binds a form kind, a record id and the record's version (``render.record_version``).
With the record at hand we recompute the codes of every kind for every version the record has
had, newest first, so an outdated paper is recognised without any log. With the code alone we
find the record through the print log (single prints, self-service downloads and batch parts
all log the codes they printed). Records are always loaded through the jurisdiction scope: a
code of another county's record answers "unknown", exactly like a made-up code.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Text, cast, select

from ..audit import AuditLog
from ..candidates.lookup import find_candidates
from ..candidates.models import Candidate
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import Node, in_scope, scoped
from ..refusals import BadInput
from .pdf import is_code, normalise_code, verify_code
from .render import (CANDIDATE_KINDS, DRAFT_VERSION, check_code, code_for, publicity_candidates,
                     publicity_version, record_version, secret)

CURRENT, OUTDATED, UNKNOWN = "current", "outdated", "unknown"
#: a record's versions are small counters; a bound keeps a corrupt value from looping long.
MAX_VERSIONS = 100_000


@dataclass
class Finding:
    status: str
    code: str
    kind: str | None = None
    candidate: Candidate | None = None
    node: Node | None = None  # the unit of a 公示 list
    printed_version: int | None = None
    current_version: int | None = None
    prints: list = field(default_factory=list)  # print-log rows carrying the code


class BadCode(BadInput):
    """The text cannot be a verification code at all."""

    def __init__(self):
        super().__init__(_l("A verification code has 12 letters and digits, printed as "
                            "XXXX-XXXX-XXXX at the foot of every page."))


def check(code, record=None):
    """Verify ``code`` read from paper, optionally for ``record`` (candidate id, ID number or
    考生号). Raises :class:`BadCode` for text that is not a code."""
    code = normalise_code(code)
    if not is_code(code):
        raise BadCode()
    prints = _print_log(code)
    if record:
        candidates = find_candidates(record)
    else:
        draft = _draft(code)
        if draft is not None:
            return draft
        publicity = _publicity(code, prints)
        if publicity is not None:
            return publicity
        candidates = _logged_candidates(code, prints)
    for candidate in candidates:
        found = match(code, candidate)
        if found is not None:
            kind, version = found
            current = record_version(candidate)
            return Finding(CURRENT if version == current else OUTDATED, code, kind, candidate,
                           candidate.node, version, current,
                           [p for p in prints if _names_candidate(p, code, candidate.id)])
    return Finding(UNKNOWN, code)


def match(code, candidate):
    """``(kind, version)`` of the candidate form carrying ``code``, newest version first."""
    for kind in CANDIDATE_KINDS:
        if check_code(code, kind, candidate):
            return kind, record_version(candidate)
    key = secret()
    for version in range(min(record_version(candidate), MAX_VERSIONS) - 1, 0, -1):
        for kind in CANDIDATE_KINDS:
            if verify_code(code, kind, candidate.id, version, key):
                return kind, version
    return None


def _print_log(code):
    """Print-log rows whose details mention ``code`` (single prints carry ``code``, batch
    parts a ``codes`` map), oldest first."""
    stmt = (select(AuditLog).where(AuditLog.action == "print",
                                   AuditLog.table_name == Candidate.__tablename__,
                                   cast(AuditLog.changes, Text).contains(code))
            .order_by(AuditLog.id))
    return list(db.session.execute(stmt).scalars())


def _names_candidate(row, code, candidate_id):
    changes = row.changes or {}
    if changes.get("code") == code:
        return changes.get("candidate_id") == candidate_id
    return (changes.get("codes") or {}).get(str(candidate_id)) == code


def _logged_candidates(code, prints):
    ids = []
    for row in prints:
        changes = row.changes or {}
        if changes.get("code") == code and changes.get("candidate_id"):
            ids.append(int(changes["candidate_id"]))
        ids += [int(cid) for cid, c in (changes.get("codes") or {}).items() if c == code]
    if not ids:
        return []
    stmt = select(Candidate).where(Candidate.id.in_(set(ids))).order_by(Candidate.id)
    return list(db.session.execute(scoped(stmt, Candidate)).scalars())


def _draft(code):
    """The blank 信息采集草表 has one code per layout version."""
    for version in range(DRAFT_VERSION, 0, -1):
        if code == code_for("draft", 0, version):
            status = CURRENT if version == DRAFT_VERSION else OUTDATED
            return Finding(status, code, "draft", printed_version=version,
                           current_version=DRAFT_VERSION)
    return None


def _publicity(code, prints):
    """A 公示 list binds its unit and the newest change of the candidates it lists: rebuild
    the same list (unit, exam, state from the log) and compare."""
    for row in prints:
        changes = row.changes or {}
        if changes.get("kind") != "publicity" or changes.get("code") != code:
            continue
        node = db.session.get(Node, changes.get("node_id") or 0)
        exam = db.session.get(Exam, changes.get("exam_id") or 0)
        if node is None or exam is None or not in_scope(node):
            continue
        now = code_for("publicity", node.id, publicity_version(
            publicity_candidates(node, exam.id, changes.get("state"))))
        return Finding(CURRENT if now == code else OUTDATED, code, "publicity", node=node,
                       prints=[r for r in prints if (r.changes or {}).get("code") == code])
    return None
