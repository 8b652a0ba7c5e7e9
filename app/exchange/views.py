"""Exchange screens (数据交换): start an export of the accepted records of one's subtree,
follow it and download the ZIP; upload a package from another system into an exam, follow
the import and download its row-by-row error report. Every export and download is audited."""
import os
import uuid

from flask import abort, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import filestore
from ..audit import log_event
from ..candidates.export import row_errors_csv
from ..candidates.models import ImportBatch
from ..exams.models import Exam
from ..exams.picker import active_exams
from ..extensions import db
from ..job_records import DONE
from ..jurisdiction import get_scoped_or_404, scoped
from ..photos.views import save_upload
from . import dbf_format as fmt
from .models import ExchangeExport
from .package import BadPackage, open_package
from .tasks import (EXPORT_TIMEOUT, EXPORTS, IMPORT_TIMEOUT, UPLOAD_SUFFIX,
                    run_exchange_import, run_export)

MAX_ZIP_BYTES = 1024 * 1024 * 1024
ACCEPTED_LABELS = {
    "final": _l("Approved at the last review level of the exam"),
    "county": _l("Approved from the county level on"),
    "any": _l("Approved at any level"),
}


def _locale():
    return str(get_locale() or "zh")


class ExchangeView(BaseView):
    """数据交换: the national DBF format, both ways."""

    route_base = "/exchange"
    class_permission_name = "ExchangeView"
    method_permission_name = {
        "index": "export", "export": "export", "export_page": "export",
        "export_status": "export", "download": "export",
        "import_package": "import", "import_page": "import", "import_status": "import",
        "import_errors": "import"}
    default_view = "index"

    def _index(self, error=None, status=200):
        exams = active_exams()
        exports = db.session.execute(scoped(
            select(ExchangeExport).order_by(ExchangeExport.id.desc()).limit(20),
            ExchangeExport)).scalars().all()
        imports = db.session.execute(scoped(
            select(ImportBatch).where(ImportBatch.stored_path.endswith(UPLOAD_SUFFIX))
            .order_by(ImportBatch.id.desc()).limit(20), ImportBatch)).scalars().all()
        return self.render_template(
            "exchange/index.html", exams=exams, exports=exports, imports=imports,
            accepted=ACCEPTED_LABELS, default_accepted=fmt.DEFAULT_ACCEPTED,
            error=error,
            fields=fmt.T_BMK, max_mb=MAX_ZIP_BYTES // (1024 * 1024)), status

    @expose("/")
    @has_access
    def index(self):
        return self._index()

    @expose("/export", methods=["POST"])
    @has_access
    def export(self):
        exam = db.session.get(Exam, request.form.get("exam", type=int) or 0)
        accepted = request.form.get("accepted") or fmt.DEFAULT_ACCEPTED
        if exam is None or accepted not in fmt.ACCEPTED_FROM or g.user.node is None:
            return self._index(_l("Choose the exam and which records count as accepted."), 400)
        export = ExchangeExport(exam_id=exam.id, user_id=g.user.id, accepted=accepted,
                                node_path=g.user.node.path)
        db.session.add(export)
        db.session.commit()
        log_event("export", ExchangeExport.__tablename__,
                  {"export": export.id, "exam": exam.id, "unit": g.user.node.code,
                   "accepted": accepted}, row_id=export.id)
        export_id = export.start_job(run_export, _locale(), timeout=EXPORT_TIMEOUT,
                                     description="exchange export")
        return redirect(url_for(".export_page", pk=export_id))

    @expose("/export/<int:pk>")
    @has_access
    def export_page(self, pk):
        export = get_scoped_or_404(ExchangeExport, pk)
        return self.render_template("exchange/export.html", export=export,
                                    accepted=ACCEPTED_LABELS)

    @expose("/export/<int:pk>/status")
    @has_access
    def export_status(self, pk):
        export = get_scoped_or_404(ExchangeExport, pk)
        return jsonify(export.status_json(url_for(".download", pk=export.id)))

    @expose("/export/<int:pk>/download")
    @has_access
    def download(self, pk):
        """The finished ZIP, inside one's subtree only; every download is logged."""
        export = get_scoped_or_404(ExchangeExport, pk)
        name = f"exchange-{export.exam.year}-{export.exam.kind}-{export.id}.zip"
        response = filestore.send(export.result_path, EXPORTS, "application/zip", name) \
            if export.status == DONE else None
        if response is None:
            return self._index(_l("This export has no file to download."), 404)
        log_event("download", ExchangeExport.__tablename__,
                  {"export": export.id, "rows": export.rows, "sha256": export.sha256},
                  row_id=export.id)
        return response

    @expose("/import", methods=["POST"])
    @has_access
    def import_package(self):
        exam = db.session.get(Exam, request.form.get("exam", type=int) or 0)
        if exam is None or g.user.node is None:
            return self._index(_l("Choose the exam to import into."), 400)
        with filestore.staged(f"{filestore.IMPORTS}/{uuid.uuid4().hex}{UPLOAD_SUFFIX}") as stage:
            refused = self._received(stage)
        if refused is not None:
            return refused
        batch = ImportBatch(exam_id=exam.id, user_id=g.user.id, node_path=g.user.node.path,
                            filename=os.path.basename(request.files["file"].filename or "")[-255:]
                            or "package.zip", stored_path=stage.ref)
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.start_job(run_exchange_import, _locale(), timeout=IMPORT_TIMEOUT,
                                   description="exchange import")
        return redirect(url_for(".import_page", pk=batch_id))

    def _received(self, stage):
        """Copy the upload to ``stage.path``; the refusal page (the stage abandoned) for a
        missing, oversized, broken or altered package, refused now with nothing recorded.
        The package reaches the file store only when accepted."""
        error = save_upload("file", MAX_ZIP_BYTES, stage.path)
        if error is not None:
            stage.abandon()
            return self._index(str(error[0].message), error[1])
        try:
            open_package(stage.path)[0].close()
        except BadPackage as exc:
            stage.abandon()
            return self._index(str(exc), exc.status)
        return None

    @staticmethod
    def _batch(pk):
        batch = get_scoped_or_404(ImportBatch, pk)
        if not batch.stored_path.endswith(UPLOAD_SUFFIX):
            abort(404)  # a registry import: shown on its own pages
        return batch

    @expose("/import/<int:pk>")
    @has_access
    def import_page(self, pk):
        return self.render_template("exchange/import.html", batch=self._batch(pk))

    @expose("/import/<int:pk>/status")
    @has_access
    def import_status(self, pk):
        return jsonify(self._batch(pk).status_json())

    @expose("/import/<int:pk>/errors.csv")
    @has_access
    def import_errors(self, pk):
        batch = self._batch(pk)
        return row_errors_csv(batch.id, f"exchange-import-{batch.id}-errors.csv")
