"""Bulk import of pictures from a ZIP (照片批量导入): upload, background job, progress, report."""
import os
import uuid

from flask import g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import jobs
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import get_scoped_or_404, scoped
from . import storage
from .models import KINDS, PhotoImport
from .tasks import run_photo_import
from .views import KIND_LABELS, save_upload
from .zipimport import BadArchive, open_archive

MAX_ZIP_BYTES = 200 * 1024 * 1024
JOB_TIMEOUT = 3600
STATUS_LABELS = {"uploaded": _l("Queued"), "running": _l("Running"), "done": _l("Finished"),
                 "failed": _l("Failed")}


class PhotoImportView(BaseView):
    route_base = "/photos/import"
    # Its own permission, not PhotoView's: FAB's menu follows a view's permission name, and
    # readers of photos must not be offered the import.
    class_permission_name = "PhotoImportView"
    method_permission_name = {"index": "capture", "start": "capture", "report": "capture",
                              "status": "capture"}
    default_view = "index"

    def _form(self, error=None, status=200):
        exams = db.session.execute(
            select(Exam).where(Exam.active.is_(True)).order_by(Exam.year.desc(), Exam.kind)
        ).scalars().all()
        recent = db.session.execute(scoped(
            select(PhotoImport).order_by(PhotoImport.id.desc()).limit(20), PhotoImport)
        ).scalars().all()
        return self.render_template(
            "photos/import.html", exams=exams, kinds=KINDS, labels=KIND_LABELS, recent=recent,
            statuses=STATUS_LABELS, error=error, max_mb=MAX_ZIP_BYTES // (1024 * 1024)), status

    @expose("/")
    @has_access
    def index(self):
        return self._form()

    @expose("/", methods=["POST"])
    @has_access
    def start(self):
        exam = db.session.get(Exam, request.form.get("exam", type=int) or 0)
        kind = request.form.get("kind")
        if exam is None or kind not in KINDS or g.user.node is None:
            return self._form(_("Choose the exam and the kind of picture"), 400)
        path = os.path.join(storage.import_dir(), f"{uuid.uuid4().hex}.zip")
        error = save_upload("file", MAX_ZIP_BYTES, path)
        if error is not None:
            return self._form(str(error[0].message), error[1])
        # Refuse a broken archive now, with nothing recorded, rather than in a failed job.
        try:
            open_archive(path).close()
        except BadArchive as exc:
            os.unlink(path)
            return self._form(str(exc.message), 400)
        imp = PhotoImport(exam_id=exam.id, kind=kind, user_id=g.user.id,
                          node_path=g.user.node.path, stored_path=path,
                          filename=(request.files["file"].filename or "")[-255:])
        db.session.add(imp)
        db.session.commit()
        job_id = jobs.enqueue(run_photo_import, imp.id, job_timeout=JOB_TIMEOUT,
                              description=f"photo import {imp.id}", owner_id=g.user.id)
        imp = db.session.get(PhotoImport, imp.id)
        imp.job_id = job_id
        db.session.commit()
        return redirect(url_for(".report", pk=imp.id))

    @expose("/<int:pk>")
    @has_access
    def report(self, pk):
        imp = get_scoped_or_404(PhotoImport, pk)
        return self.render_template("photos/import_report.html", imp=imp, labels=KIND_LABELS,
                                    report=imp.report or {})

    @expose("/<int:pk>/status")
    @has_access
    def status(self, pk):
        imp = get_scoped_or_404(PhotoImport, pk)
        # The import row is the truth once the job has finished; the job adds live progress.
        job = jobs.record_job_status(imp, lambda message: _failed(imp, message))
        finished = imp.status in ("done", "failed")
        return jsonify(import_status=imp.status,
                       state="finished" if finished else (job or {}).get("state", imp.status),
                       percent=100 if finished else (job or {}).get("percent", 0),
                       done=(job or {}).get("done", 0), total=(job or {}).get("total", 0),
                       message=(job or {}).get("message", ""),
                       error=(imp.report or {}).get("error") or (job or {}).get("error"))


def _failed(imp, message):
    """Record the end of an import whose job died without recording it (worker stopped)."""
    imp.status, imp.report = "failed", {**(imp.report or {}), "error": message}
    db.session.commit()
