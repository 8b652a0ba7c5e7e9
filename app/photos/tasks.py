"""Background job of the ZIP photo import (照片批量导入)."""
import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import filestore
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import Node, scoped
from ..security import KsUser
from .models import PhotoImport
from .service import PhotoBatch, accept_photo
from .zipimport import MAX_MEMBERS, BadArchive, files_in, named_id, read_member, stored_archive

log = logging.getLogger(__name__)
#: Members per transaction: a chunk costs a bounded number of statements, whatever its size.
CHUNK = 50


def run_photo_import(import_id):
    """Match every member of the import's ZIP to a candidate of the importer's subtree.

    Members are committed a chunk (``CHUNK``) at a time, so whatever stops the job leaves
    every picture of the chunks before it in place, and the report lists exactly those.
    """
    imp = db.session.get(PhotoImport, import_id)
    imp.start()
    db.session.commit()
    report = {"matched": [], "unmatched": [], "rejected": []}
    error, crashed = None, False
    try:
        node = db.session.execute(select(Node).where(Node.path == imp.node_path)).scalar_one()
        user = db.session.get(KsUser, imp.user_id)
        with stored_archive(imp.stored_path) as archive:
            _import_members(imp, archive, node, user, report)
    except BadArchive as exc:
        error = str(exc)
    except Exception:
        # The import must never stay "running": record the failure and what was stored.
        log.exception("Photo import %s failed", import_id)
        db.session.rollback()
        crashed = True
        error = str(_l(
            "The import stopped because of an internal error. The pictures listed as stored "
            "are kept; the other files were not processed. Please tell the system "
            "administrator."))
    imp = db.session.get(PhotoImport, import_id)
    imp.report = report
    if error:
        imp.fail(error)
    else:
        imp.finish()
    db.session.commit()
    # The report is in the database and accepted pictures are stored: the ZIP has served.
    # After a crash it stays in the file store's imports/ for the administrator to look into.
    if not crashed:
        filestore.delete(imp.stored_path)
        db.session.commit()
    return imp.status_json()


def _import_members(imp, archive, node, user, report):
    members = files_in(archive)
    total, seen = len(members), {}
    for start in range(0, total, CHUNK):
        chunk = members[start:start + CHUNK]
        for entry in _import_chunk(imp, archive, chunk, start, seen, node, user):
            report[entry[0]].append(entry[1])  # reported once committed: "matched" is stored
        imp.advance(start + len(chunk), total, chunk[-1].filename)
        db.session.commit()


def _import_chunk(imp, archive, chunk, start, seen, node, user):
    """Import ``chunk`` (members from index ``start``) in one transaction: its candidates
    read in one query, its writes in one flush (service.PhotoBatch). If any member raises,
    the chunk is undone and imported again a member at a time, each committed on its own, so
    only the failing member is lost. ``[(report list, entry)]`` in member order."""
    before = dict(seen)
    try:
        with db.session.no_autoflush:
            found = _candidates(imp, chunk, node)
            batch = PhotoBatch(found.values(), imp.kind)
            outcomes = [_import_member(imp, archive, info, index, seen, user,
                                       found.get, batch)
                        for index, info in enumerate(chunk, start)]
            batch.write()
        db.session.commit()
        return outcomes
    except Exception:
        log.exception("Photo import %s: a member of a chunk failed; one by one", imp.id)
        db.session.rollback()
    seen.clear()
    seen.update(before)
    return [_import_alone(imp, archive, info, index, seen, node, user)
            for index, info in enumerate(chunk, start)]


def _candidates(imp, chunk, node):
    """{ID number: candidate} of the chunk's names, within the importer's subtree only
    (another county's candidate reads as "no such candidate"), in one query."""
    numbers = {n for n in (named_id(i.filename) for i in chunk) if n}
    if not numbers:
        return {}
    rows = db.session.execute(scoped(
        select(Candidate).options(joinedload(Candidate.node))
        .where(Candidate.exam_id == imp.exam_id, Candidate.id_number.in_(numbers)),
        Candidate, node)).scalars()
    return {c.id_number: c for c in rows}


def _import_alone(imp, archive, info, index, seen, node, user):
    """One member in its own transaction; an unexpected error undoes it and is reported."""
    try:
        outcome = _import_member(imp, archive, info, index, seen, user,
                                 lambda number: _candidates(imp, [info], node).get(number))
        db.session.commit()
        return outcome
    except Exception:
        log.exception("Photo import %s: member %r failed", imp.id, info.filename)
        db.session.rollback()
        return "rejected", [info.filename, "error", str(_l(
            "This file could not be processed because of an internal error"))]


def _import_member(imp, archive, info, index, seen, user, candidate_of, batch=None):
    """``(report list, entry)`` for one member; an accepted picture is added, not committed."""
    if index >= MAX_MEMBERS:
        return "rejected", [info.filename, "too_many", str(_l(
            "More than %(max)d files in one archive", max=MAX_MEMBERS))]
    member = read_member(archive, info, seen)
    if member.data is None:
        return "rejected", [member.name, member.code, str(member.reason)]
    candidate = candidate_of(member.id_number)
    if candidate is None:
        return "unmatched", member.name
    photo, failures = accept_photo(candidate, member.data, imp.kind, user, batch=batch)
    if photo is None:
        return "rejected", [member.name, ",".join(f.code for f in failures),
                            "；".join(str(f.message) for f in failures)]
    return "matched", member.name
