"""Exports of the candidate list: streamed inside the request up to ``EXPORT_INLINE_MAX``
rows, above that a background job (app/candidates/export_tasks.py) with a progress page and a
download kept for ``EXPORT_KEEP_HOURS``. Either way the rows are the list's as the user
filtered it, inside the user's subtree, and the export is in the audit log."""
import datetime as dt
import tempfile

from flask import (Response, abort, current_app, flash, g, jsonify, redirect, request,
                   send_file, stream_with_context, url_for)
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import filestore
from ..audit import log_event
from ..extensions import db
from ..job_records import DONE
from ..jurisdiction import get_scoped_or_404
from .export import CsvExport, query_rows, write_xlsx
from .export_tasks import EXPORT_TIMEOUT, EXPORTS, filtered_query, run_export
from .models import Candidate, CandidateExport

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _settings():
    config = current_app.config  # defaults in config.py
    return int(config["EXPORT_INLINE_MAX"]), float(config["EXPORT_KEEP_HOURS"])


def count_up_to(query, limit):
    """How many rows ``query`` selects, counting no further than ``limit`` (a province's
    million rows are not counted to decide that the export is a job)."""
    capped = query.with_entities(Candidate.id).order_by(None).limit(limit).subquery()
    return db.session.execute(select(func.count()).select_from(capped)).scalar_one()


def _args():
    """The request's arguments as stored on a job (lists: a filter may repeat)."""
    return {key: request.args.getlist(key) for key in request.args}


def export_response(view, fmt):
    """The export of ``view``'s filtered list as ``fmt``: the file, or a redirect to the job."""
    if fmt not in FORMATS:
        abort(404)
    inline_max, _keep = _settings()
    query = filtered_query(view)
    count = count_up_to(query, inline_max + 1)
    if count > inline_max:
        return _start_job(fmt)
    log_event("export", Candidate.__tablename__,
              {"format": fmt, "rows": count, "filters": dict(request.args)})
    headers = {"Content-Disposition": f"attachment; filename=candidates.{fmt}"}
    if fmt == "csv":
        return Response(stream_with_context(iter(CsvExport(query))),
                        mimetype=FORMATS[fmt], headers=headers)
    # openpyxl's write-only workbook needs a seekable file to zip into: a spooled temp file
    # (memory up to 8 MB, then disk).
    out = tempfile.SpooledTemporaryFile(max_size=8 << 20)
    write_xlsx(query_rows(query), out)
    out.seek(0)
    return send_file(out, mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=f"candidates.{fmt}")


def _start_job(fmt):
    export = CandidateExport(fmt=fmt, args=_args(), user_id=g.user.id,
                             node_path=g.user.node.path)
    db.session.add(export)
    db.session.commit()
    export_id = export.id
    log_event("export", Candidate.__tablename__,
              {"format": fmt, "job": export_id, "filters": dict(request.args)})
    export.start_job(run_export, timeout=EXPORT_TIMEOUT, description="candidate export")
    return redirect(url_for("CandidateExportView.progress", pk=export_id))


def expired(export):
    _inline, keep = _settings()
    return export.finished_on is not None and \
        export.finished_on < dt.datetime.now() - dt.timedelta(hours=keep)


class CandidateExportView(BaseView):
    """Progress and download of a candidate export run as a job; granted with the candidate
    list's writers (security._WRITE_CANDIDATES), who may export. Its own permission name:
    sharing CandidateView's would make FAB cut that view's permissions to these."""

    route_base = "/candidate-exports"
    class_permission_name = "CandidateExportView"
    method_permission_name = {"progress": "export", "status": "export", "download": "export"}
    base_permissions = ["can_export"]

    @expose("/<int:pk>")
    @has_access
    def progress(self, pk):
        export = get_scoped_or_404(CandidateExport, pk)
        return self.render_template("candidates/export_progress.html", export=export,
                                    expired=expired(export))

    @expose("/<int:pk>/status")
    @has_access
    def status(self, pk):
        export = get_scoped_or_404(CandidateExport, pk)
        url = url_for(".download", pk=export.id) if not expired(export) else None
        return jsonify(export.status_json(url))

    @expose("/<int:pk>/download")
    @has_access
    def download(self, pk):
        export = get_scoped_or_404(CandidateExport, pk)
        if export.status != DONE:
            abort(404)
        if expired(export):
            flash(_l("This export has expired (files are kept for %(hours)s hours): export the "
                     "list again.", hours=f"{_settings()[1]:g}"), "warning")
            return redirect(url_for(".progress", pk=export.id))
        response = filestore.send(export.result_path, EXPORTS, FORMATS[export.fmt],
                                  f"candidates-{export.id}.{export.fmt}")
        if response is None:
            abort(404)
        log_event("export", Candidate.__tablename__,
                  {"format": export.fmt, "job": export.id, "download": True,
                   "rows": export.rows})
        return response

