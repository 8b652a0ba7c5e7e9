"""Background job of the ZIP photo import (照片批量导入)."""
import datetime as dt
import os

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..candidates.models import Candidate
from ..extensions import db
from ..jobs import report_progress
from ..jurisdiction import Node, scoped
from ..security import KsUser
from .models import PhotoImport
from .service import accept_photo
from .zipimport import MAX_MEMBERS, BadArchive, files_in, open_archive, read_member

COMMIT_EVERY = 20


def run_photo_import(import_id):
    """Match every member of the import's ZIP to a candidate of the importer's subtree."""
    imp = db.session.get(PhotoImport, import_id)
    node = db.session.execute(select(Node).where(Node.path == imp.node_path)).scalar_one()
    user = db.session.get(KsUser, imp.user_id)
    imp.status = "running"
    db.session.commit()
    report = {"matched": [], "unmatched": [], "rejected": [], "error": None}
    try:
        with open_archive(imp.stored_path) as archive:
            _import_members(imp, archive, node, user, report)
    except BadArchive as exc:
        report["error"] = str(exc.message)
    imp.report = report
    imp.status = "failed" if report["error"] else "done"
    imp.finished_on = dt.datetime.now()
    db.session.commit()
    # The report is in the database and accepted pictures are stored: the ZIP has served.
    # A job that crashed before this line keeps its file for a rerun.
    if os.path.exists(imp.stored_path):
        os.unlink(imp.stored_path)
    return {"import_id": imp.id, "matched": len(report["matched"]),
            "unmatched": len(report["unmatched"]), "rejected": len(report["rejected"]),
            "error": report["error"]}


def _import_members(imp, archive, node, user, report):
    members = files_in(archive)
    total, seen = len(members), set()
    for done, info in enumerate(members, 1):
        if done > MAX_MEMBERS:
            report["rejected"].append([info.filename, "too_many", str(_l(
                "More than %(max)d files in one archive", max=MAX_MEMBERS))])
            continue
        member = read_member(archive, info, seen)
        if member.data is None:
            report["rejected"].append([member.name, member.code, str(member.reason)])
        else:
            _match(imp, member, node, user, report)
        if done % COMMIT_EVERY == 0:
            db.session.commit()
        report_progress(done, total, member.name)


def _match(imp, member, node, user, report):
    # Only the importer's subtree: another county's candidate reads as "no such candidate".
    candidate = db.session.execute(scoped(
        select(Candidate).where(Candidate.exam_id == imp.exam_id,
                                Candidate.id_number == member.id_number),
        Candidate, node)).scalar_one_or_none()
    if candidate is None:
        report["unmatched"].append(member.name)
        return
    photo, failures = accept_photo(candidate, member.data, imp.kind, user)
    if photo is None:
        report["rejected"].append([member.name, ",".join(f.code for f in failures),
                                   "；".join(str(f.message) for f in failures)])
    else:
        report["matched"].append(member.name)
