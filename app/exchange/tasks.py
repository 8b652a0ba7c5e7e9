"""Background jobs of the national exchange: export an exam's accepted records of a subtree
as one ZIP, import such a ZIP into an exam. Both take ids only (see app/jobs.py)."""
import contextlib
import datetime as dt
import logging
import os

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .. import filestore
from ..backup import file_sha256
from ..candidates.importer import ImportConflict, Importer
from ..candidates.models import Candidate, ImportBatch, ImportRowError
from ..candidates.privacy import mask_id_number
from ..candidates.tasks import GONE, restart
from ..extensions import db
from ..jobs import report_progress
from ..jurisdiction import Node, scoped, subtree_range
from ..photos import storage
from ..photos.models import PHOTO, CandidatePhoto
from ..photos.service import accept_photo
from ..printing.models import AdmissionTicket
from ..security import KsUser
from . import dbf_format as fmt
from .models import ExchangeExport
from .package import BadPackage, PackageWriter, open_package, photo_members, read_registrations

log = logging.getLogger(__name__)
EXPORT_TIMEOUT = IMPORT_TIMEOUT = 4 * 3600
_PROGRESS_EVERY = 500
SKIPPED_LISTED = 1000
#: exchange uploads wait in the file store's imports/ with this suffix (registry uploads differ).
UPLOAD_SUFFIX = ".exchange.zip"


#: the file-store folder of finished exports
EXPORTS = "exchange"


def exchange_dir():
    """That folder in the filesystem store (whichever store is configured)."""
    folder = os.path.join(current_app.config["UPLOAD_DIR"], EXPORTS)
    os.makedirs(folder, exist_ok=True)
    return folder


# --- export ------------------------------------------------------------------------------


def _field_value(cand, key, name, ticket):
    if name == "ZKZH":
        return ticket or ""
    if name == "ZJLXDM":
        return fmt.ID_CARD
    if key is None:
        return ""
    if key == "school_code":
        return cand.node.code
    value = getattr(cand, key)
    if name in fmt.DATE_FIELDS:
        return value
    return "" if value is None else str(value)


def record_row(cand, ticket):
    """The T_BMK tuple of one candidate, or raise ValueError with the reason it cannot go
    into a GBK table as is (a character outside GBK, a value wider than its field)."""
    row = []
    for name, spec, zh, key in fmt.T_BMK:
        value = _field_value(cand, key, name, ticket)
        size = fmt.width(spec)
        if size is not None:
            try:
                encoded = value.encode(fmt.ENCODING)
            except UnicodeEncodeError as exc:
                raise ValueError(str(_l("%(field)s holds “%(char)s”, which GBK cannot encode",
                                        field=zh, char=value[exc.start:exc.end]))) from None
            if len(encoded) > size:
                raise ValueError(str(_l("%(field)s is longer than %(n)d bytes in GBK",
                                        field=zh, n=size)))
        row.append(value)
    return tuple(row)


def _accepted_query(export):
    return (select(Candidate, AdmissionTicket.ticket_number)
            .join(Node, Node.id == Candidate.node_id)
            .outerjoin(AdmissionTicket, AdmissionTicket.candidate_id == Candidate.id)
            .options(contains_eager(Candidate.node))
            .where(Candidate.exam_id == export.exam_id,
                   subtree_range(Node.path, export.node_path),
                   Candidate.state.in_(fmt.accepted_states(export.accepted,
                                                           export.exam.kind)))
            .order_by(Node.path, Candidate.candidate_number, Candidate.id))


def _photo_files(export):
    """{candidate id: SHA-256 of the current photo} for the exported subtree."""
    stmt = (select(CandidatePhoto.candidate_id, CandidatePhoto.file_sha256)
            .join(Candidate, Candidate.id == CandidatePhoto.candidate_id)
            .join(Node, Node.id == Candidate.node_id)
            .where(Candidate.exam_id == export.exam_id, CandidatePhoto.kind == PHOTO,
                   CandidatePhoto.current.is_(True),
                   subtree_range(Node.path, export.node_path))
            .order_by(CandidatePhoto.id))
    return dict(db.session.execute(stmt).all())


def _records(export, total, photos, skipped):
    """The T_BMK rows of the accepted records, streamed from the database to the table; the
    (考生号, photo sha) to add and the records left out (with the reason) are collected."""
    shas = _photo_files(export)
    result = db.session.execute(_accepted_query(export).execution_options(yield_per=2000))
    for done, (cand, ticket) in enumerate(result, 1):
        reason = row = None
        if not cand.candidate_number:
            reason = str(_l("No candidate number (考生号) assigned yet"))
        else:
            try:
                row = record_row(cand, ticket)
            except ValueError as exc:
                reason = str(exc)
        if reason:
            skipped.append([mask_id_number(cand.id_number), cand.name, reason])
        else:
            if cand.id in shas:
                photos.append((cand.candidate_number, shas[cand.id]))
            yield row
        if done % _PROGRESS_EVERY == 0:
            export.advance(done, total, str(_l("Writing records")))


def _write_package(path, export, total):
    """Write the ZIP; (rows, photos, skipped)."""
    photos, skipped = [], []
    writer = PackageWriter(path)
    try:
        rows = writer.add_table(fmt.REGISTRATION_TABLE + ".DBF", fmt.table_spec(),
                                _records(export, total, photos, skipped))
        for name, table in fmt.code_tables(export.exam.kind).items():
            writer.add_table(name + ".DBF", fmt.CODE_SPEC, table)
        for done, (number, sha) in enumerate(photos, 1):
            writer.add_bytes(f"{fmt.PHOTO_DIR}/{number}.jpg", storage.open_bytes(sha),
                             compress=False)
            if done % _PROGRESS_EVERY == 0:
                export.advance(done, len(photos), str(_l("Adding photos")))
    except BaseException:
        writer.zip.close()
        raise
    writer.close({
        "format": fmt.FORMAT_NAME, "version": fmt.FORMAT_VERSION, "encoding": "GBK",
        "exam": {"id": export.exam_id, "kind": export.exam.kind, "year": export.exam.year,
                 "name": export.exam.name},
        "unit": export.node_path, "accepted": export.accepted,
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
        "tables": {fmt.REGISTRATION_TABLE: rows}, "photos": len(photos),
        "skipped": len(skipped),
    })
    return rows, photos, skipped


def run_export(export_id, locale="zh"):
    """Write the export's ZIP to the file store (exchange/). Idempotent: a retry writes it
    anew. The ZIP is written to a local temp file (zipfile needs to seek in it), then stored
    a chunk at a time."""
    export = db.session.get(ExchangeExport, export_id)
    export.start()
    db.session.commit()
    try:
        with force_locale(locale):
            total = db.session.scalar(select(db.func.count()).select_from(
                _accepted_query(export).order_by(None).subquery()))
            with filestore.staged(f"{EXPORTS}/export-{export.id}.zip") as stage:
                rows, photos, skipped = _write_package(stage.path, export, total)
                export.sha256 = file_sha256(stage.path)
    except Exception as exc:
        log.exception("Exchange export %s failed", export_id)
        db.session.rollback()
        db.session.get(ExchangeExport, export_id).fail(str(exc) or type(exc).__name__)
        db.session.commit()
        raise
    # The page lists them: bounded, whatever the number (the count stays exact).
    export.rows, export.photos, export.skipped = rows, len(photos), skipped[:SKIPPED_LISTED]
    export.advance(total, total)
    export.finish(str(_l("%(n)d accepted records were left out; the first %(shown)d are "
                         "listed.", n=len(skipped), shown=SKIPPED_LISTED))
                  if len(skipped) > SKIPPED_LISTED else None, result_path=stage.ref)
    db.session.commit()
    return export.status_json()


# --- import ------------------------------------------------------------------------------

_REGISTRY_KEY = {name: key for name, _spec, _zh, key in fmt.T_BMK if key is not None}
_DBF_NAME = {key: name for name, key in _REGISTRY_KEY.items()}
STOPPED = _l("The import stopped because of a server error. The rows imported so far are "
             "saved; import the package again to finish, or contact the system administrator.")


def registry_values(fields):
    """{DBF field: text} of one T_BMK row → {registry field: text} for the importer."""
    return {_REGISTRY_KEY[name]: value for name, value in fields.items()
            if name in _REGISTRY_KEY}


def run_exchange_import(batch_id, locale="zh"):
    """Import the package of ``batch_id`` (an ImportBatch whose upload is the ZIP): the
    registry importer's upsert by ID number inside the importer's subtree, then the photos.
    Idempotent: a retry clears the old report and upserts again."""
    batch = db.session.get(ImportBatch, batch_id)
    user = db.session.get(KsUser, batch.user_id)
    restart(batch)
    with force_locale(locale):
        try:
            photo_summary = _import(batch, user)
        except BadPackage as exc:
            return _finish(batch_id, str(exc), failed=True)
        except Exception as exc:
            log.exception("Exchange import %s failed", batch_id)
            db.session.rollback()
            _finish(batch_id, str(exc) if isinstance(exc, ImportConflict) else str(STOPPED),
                    failed=True)
            raise
        return _finish(batch_id, photo_summary)


def _finish(batch_id, message, failed=False):
    batch = db.session.get(ImportBatch, batch_id)
    if failed:
        batch.fail(message)
    else:
        batch.finish(message)
    db.session.commit()
    return batch.status_json()


@contextlib.contextmanager
def stored_package(reference):
    """The package kept in the file store as ``reference``, verified and open (read a chunk
    at a time, never whole); BadPackage when it is gone or not intact."""
    try:
        upload = filestore.open_file(reference)
    except FileNotFoundError:
        raise BadPackage(GONE) from None
    with upload:
        archive, _manifest = open_package(upload)
        with archive:
            yield archive


def _import(batch, user):
    with stored_package(batch.stored_path) as archive:
        rows = read_registrations(archive)
        numbered, refused = [], []
        for number, fields in rows:
            problem = _id_type_problem(fields)
            if problem:
                refused.append(ImportRowError(batch_id=batch.id, row=number, column="ZJLXDM",
                                              reason=problem))
            else:
                numbered.append((number, registry_values(fields)))
        Importer(batch, user, lambda f: _DBF_NAME.get(f, f)).run(numbered)
        # Rows the importer never saw still count in the summary.
        db.session.add_all(refused)
        batch.total += len(refused)
        batch.rejected_count += len(refused)
        db.session.commit()
        stored, rejected = _import_photos(batch, user, archive, rows)
    return str(_l("Photos stored: %(stored)d; photos rejected: %(rejected)d.",
                  stored=stored, rejected=rejected))


def _id_type_problem(fields):
    kind = fields.get("ZJLXDM", "")
    if kind in ("", fmt.ID_CARD):
        return None
    return str(_l("Only resident identity cards (证件类型 1) are supported, not “%(kind)s”.",
                  kind=kind))


def _import_photos(batch, user, archive, rows):
    """Each photos/<考生号>.jpg onto the candidate of that number, committed one by one."""
    row_of = {fields.get("KSH", "").upper(): number for number, fields in rows
              if fields.get("KSH")}
    node = db.session.execute(select(Node).where(Node.path == batch.node_path)).scalar_one()
    members = sorted(photo_members(archive).items())
    stored = rejected = 0
    for done, (number, name) in enumerate(members, 1):
        candidate = db.session.execute(scoped(
            select(Candidate).where(Candidate.exam_id == batch.exam_id,
                                    Candidate.candidate_number == number),
            Candidate, node)).scalar_one_or_none()
        reason = None
        if candidate is None:
            reason = str(_l("No candidate with this candidate number was imported"))
        else:
            photo, failures = accept_photo(candidate, archive.read(name), PHOTO, user)
            if photo is None:
                reason = "；".join(str(f.message) for f in failures)
        if reason:
            db.session.rollback()
            db.session.add(ImportRowError(batch_id=batch.id, row=row_of.get(number, 0),
                                          column=name[:50], reason=reason[:500]))
            rejected += 1
        else:
            stored += 1
        db.session.commit()
        # Progress of the photos only: the batch's own total stays the number of rows.
        report_progress(done, len(members), name)
    return stored, rejected
