"""Bulk import of pictures from a ZIP (照片批量导入): upload, background job, progress, report."""
import uuid

from flask import g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import select

from .. import filestore
from ..exams.models import Exam
from ..exams.picker import active_exams
from ..extensions import db
from ..jurisdiction import get_scoped_or_404, scoped
from .models import KINDS, PhotoImport
from .tasks import run_photo_import
from .views import KIND_LABELS, save_upload
from .zipimport import BadArchive, open_archive

MAX_ZIP_BYTES = 200 * 1024 * 1024
JOB_TIMEOUT = 3600


class PhotoImportView(BaseView):
    route_base = "/photos/import"
    # Its own permission, not PhotoView's: FAB's menu follows a view's permission name, and
    # readers of photos must not be offered the import.
    class_permission_name = "PhotoImportView"
    method_permission_name = {"index": "capture", "start": "capture", "report": "capture",
                              "status": "capture"}
    default_view = "index"

    def _form(self, error=None, status=200):
        exams = active_exams()
        recent = db.session.execute(scoped(
            select(PhotoImport).order_by(PhotoImport.id.desc()).limit(20), PhotoImport)
        ).scalars().all()
        return self.render_template(
            "photos/import.html", exams=exams, kinds=KINDS, labels=KIND_LABELS, recent=recent,
            error=error, max_mb=MAX_ZIP_BYTES // (1024 * 1024)), status

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
        with filestore.staged(f"{filestore.IMPORTS}/{uuid.uuid4().hex}.zip") as stage:
            refused = self._received(stage)
        if refused is not None:
            return refused
        imp = PhotoImport(exam_id=exam.id, kind=kind, user_id=g.user.id,
                          node_path=g.user.node.path, stored_path=stage.ref,
                          filename=(request.files["file"].filename or "")[-255:])
        pk = imp.start_job(run_photo_import, timeout=JOB_TIMEOUT, description="photo import")
        return redirect(url_for(".report", pk=pk))

    def _received(self, stage):
        """Copy the upload to ``stage.path``; the refusal page (the stage abandoned) for a
        missing, oversized or broken archive, refused now with nothing recorded rather than
        in a failed job. The archive reaches the file store only when accepted."""
        error = save_upload("file", MAX_ZIP_BYTES, stage.path)
        if error is not None:
            stage.abandon()
            return self._form(str(error[0].message), error[1])
        try:
            open_archive(stage.path).close()
        except BadArchive as exc:
            stage.abandon()
            return self._form(str(exc), exc.status)
        return None

    @expose("/<int:pk>")
    @has_access
    def report(self, pk):
        imp = get_scoped_or_404(PhotoImport, pk)
        return self.render_template("photos/import_report.html", imp=imp, labels=KIND_LABELS,
                                    report=imp.report or {})

    @expose("/<int:pk>/status")
    @has_access
    def status(self, pk):
        return jsonify(get_scoped_or_404(PhotoImport, pk).status_json())
