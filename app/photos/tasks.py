"""Background job of the ZIP photo import (照片批量导入)."""
import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import filestore
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import Node, scoped
from ..security import KsUser
from .models import PhotoImport
from .service import accept_photo
from .zipimport import MAX_MEMBERS, BadArchive, files_in, read_member, stored_archive

log = logging.getLogger(__name__)


def run_photo_import(import_id):
    """Match every member of the import's ZIP to a candidate of the importer's subtree.

    Each member is committed on its own, so whatever stops the job leaves every picture
    stored before it in place, and the report lists exactly those.
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
    for done, info in enumerate(members, 1):
        if done > MAX_MEMBERS:
            report["rejected"].append([info.filename, "too_many", str(_l(
                "More than %(max)d files in one archive", max=MAX_MEMBERS))])
        else:
            try:
                outcome, entry = _import_member(imp, archive, info, seen, node, user)
                db.session.commit()
            except Exception:
                # One bad member never stops the others: only its own changes are undone.
                log.exception("Photo import %s: member %r failed", imp.id, info.filename)
                db.session.rollback()
                outcome, entry = "rejected", [info.filename, "error", str(_l(
                    "This file could not be processed because of an internal error"))]
            # Reported once committed: "matched" always means stored.
            report[outcome].append(entry)
        imp.advance(done, total, info.filename)
        db.session.commit()


def _import_member(imp, archive, info, seen, node, user):
    """``(report list, entry)`` for one member; an accepted picture is added, not committed."""
    member = read_member(archive, info, seen)
    if member.data is None:
        return "rejected", [member.name, member.code, str(member.reason)]
    # Only the importer's subtree: another county's candidate reads as "no such candidate".
    candidate = db.session.execute(scoped(
        select(Candidate).where(Candidate.exam_id == imp.exam_id,
                                Candidate.id_number == member.id_number),
        Candidate, node)).scalar_one_or_none()
    if candidate is None:
        return "unmatched", member.name
    photo, failures = accept_photo(candidate, member.data, imp.kind, user)
    if photo is None:
        return "rejected", [member.name, ",".join(f.code for f in failures),
                            "；".join(str(f.message) for f in failures)]
    return "matched", member.name
