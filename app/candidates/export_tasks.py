"""Background job of a large candidate-list export (ids only, see app/jobs.py), and the purge of
old export files.

The job re-applies the list's filters as the user set them (the request arguments stored on
the record) inside the user's subtree, exactly as the list showed them, and writes the file a
block of rows at a time into the file store (``exports/``)."""
import datetime as dt

from flask import current_app, g
from flask_appbuilder.urltools import get_filter_args
from sqlalchemy import select

from .. import filestore
from ..extensions import db
from ..security import KsUser
from .export import CsvExport, query_rows, write_xlsx
from .models import Candidate, CandidateExport

EXPORTS = "exports"
EXPORT_TIMEOUT = 3 * 3600
PROGRESS_EVERY = 20_000  # rows between progress reports


def filtered_query(view):
    """The ORM query of the candidate list ``view`` as filtered by the current request's
    arguments, inside the current user's subtree, in id order. Filters of its own: the
    view's are shared by the requests (and jobs) of the process."""
    filters = view.datamodel.get_filters(view.search_columns)
    get_filter_args(filters)
    joined = filters.get_joined_filters(view._base_filters)
    return view.datamodel.apply_all(view.datamodel.session.query(Candidate), joined,
                                    order_column="id", order_direction="asc")


def candidate_view():
    """The app's candidate list view (whose filters an export re-applies)."""
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == "CandidateView":
            return view
    raise LookupError("CandidateView is not registered")


def run_export(export_id):
    """Write the export's file; idempotent (a retry writes the file anew)."""
    export = db.session.get(CandidateExport, export_id)
    if export is None:
        return {"status": "gone"}
    export.start()
    db.session.commit()
    try:
        user = db.session.get(KsUser, export.user_id)
        with current_app.test_request_context("/candidateview/list/",
                                              query_string=export.args or {}):
            g.user = user
            query = filtered_query(candidate_view())
            total = query.order_by(None).count()
            export.advance(0, total)
            db.session.commit()
            key = f"{EXPORTS}/candidates-{export.id}.{export.fmt}"
            with filestore.staged(key) as stage, open(stage.path, "wb") as fh:
                count = _write(query, export, total, fh)
    except Exception as exc:
        db.session.rollback()
        db.session.get(CandidateExport, export_id).fail(str(exc) or type(exc).__name__)
        db.session.commit()
        raise
    export = db.session.get(CandidateExport, export_id)
    export.rows = count
    export.advance(count, max(total, count))
    export.finish(result_path=stage.ref)
    db.session.commit()
    return export.status_json()


def _write(query, export, total, fh):
    """Write the file; the number of rows. The CSV goes out as the database writes it (COPY on
    PostgreSQL); the XLSX row by row, reporting progress every PROGRESS_EVERY rows."""
    if export.fmt == "csv":
        exporter = CsvExport(query)
        for block in exporter:
            fh.write(block)
        return exporter.count
    return write_xlsx(_reporting(query_rows(query), export, total), fh)


def _reporting(cells, export, total):
    """``cells``, reporting progress every PROGRESS_EVERY rows."""
    for count, row in enumerate(cells, 1):
        yield row
        if count % PROGRESS_EVERY == 0:
            export.advance(count, total)


def purge_exports(now=None):
    """Delete the files of exports older than EXPORT_KEEP_HOURS (the records stay); how many."""
    keep = float(current_app.config["EXPORT_KEEP_HOURS"])
    limit = (now or dt.datetime.now()) - dt.timedelta(hours=keep)
    old = db.session.execute(select(CandidateExport).where(
        CandidateExport.finished_on < limit, CandidateExport.result_path.is_not(None))).scalars().all()
    removed = 0
    for export in old:
        filestore.delete(export.result_path)
        export.result_path = None
        removed += 1
    db.session.commit()
    return removed
